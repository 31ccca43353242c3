"""Touchpoints no provider reports: scanned letters and visits, recorded by operators.

**Letters.** An operator uploads a scan (PDF, PNG, JPEG or TIFF, recognised by its first bytes,
never by the name or the declared type) to a customer's timeline. An inbound letter threads like
any inbound message (it may open a conversation); an outbound one is a copy of a letter sent.

**Visits.** A branch visit (``branch_visit``: the customer came to a sportello) is inbound; a home
visit (``home_visit``: a technician goes to the customer) is outbound, from the moment it is
scheduled. One visit is one interaction from scheduling to outcome: recording the outcome
updates it (its place on the timeline moves to when the visit took place), and its metadata
keeps every change in ``visit_history``. The fields sit at the top level of the metadata
(``branch``, ``address``, ``staff``, ``reason``, ``outcome``, ``notes``, ``visit_status``,
``scheduled_for``, ``visited_at``, ``recorded_by``), where the console shows them as facts. A
visit joins the customer's active conversation but never opens one and never counts as an
answer: staff handle it in person, so there is nothing to wait for in the inbox.

Times in metadata are UTC ISO 8601 to the second, so their text order is time order (the list
of visits due compares them as text on both databases).
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, String, case, select, type_coerce
from sqlalchemy.orm import Session

from unisono.clock import utcnow
from unisono.config import get_settings
from unisono.customers.access import access_customer
from unisono.errors import Conflict, Invalid, NotFound, UnisonoError
from unisono.inbox.ingest import MAX_FUTURE_SKEW, MAX_TEXT_LENGTH
from unisono.inbox.threading import active_conversation, note_outbound, thread_inbound
from unisono.integrations.events import publish
from unisono.integrations.payloads import conversation_data, interaction_data
from unisono.media.attachments import store_attachment
from unisono.models import (
    Author,
    ChannelKind,
    Conversation,
    Customer,
    DeliveryStatus,
    Direction,
    Interaction,
)
from unisono.security.actor import Actor
from unisono.security.audit import record_audit

# -- shared checks ---------------------------------------------------------------------------

MAX_FIELD_LENGTH = 2_000
# A date typed with the wrong year (2062 for 2026) is refused rather than scheduled.
MAX_SCHEDULE_AHEAD = timedelta(days=2 * 365)


def _customer(session: Session, actor: Actor, customer_id: uuid.UUID) -> Customer:
    """The customer, locked (threading needs it) and not merged away."""
    customer = access_customer(session, actor, customer_id, action="customer.update", lock=True)
    if customer.merged_into_id is not None:
        raise Conflict(
            f"customer {customer.id} was merged into {customer.merged_into_id}; record it there",
            merged_into_id=str(customer.merged_into_id),
        )
    return customer


def _text(value: str | None, name: str, *, limit: int = MAX_FIELD_LENGTH) -> str | None:
    """``value`` stripped, None when blank; Invalid when too long or not storable."""
    if value is None:
        return None
    if "\x00" in value:
        raise Invalid(f"{name} must not contain NUL (\\u0000) characters")
    value = value.strip()
    if len(value) > limit:
        raise Invalid(f"{name} is longer than {limit} characters")
    return value or None


def _utc(value: datetime, name: str) -> datetime:
    """``value`` in UTC, to the second; Invalid without a timezone or out of range."""
    if value.tzinfo is None:
        raise Invalid(f"{name} needs a timezone, e.g. 2026-03-05T10:00:00+01:00")
    try:
        return value.astimezone(UTC).replace(microsecond=0)
    except OverflowError as exc:
        raise Invalid(f"{name} is out of range") from exc


def _past(value: datetime, name: str, now: datetime) -> datetime:
    value = _utc(value, name)
    if value > now + MAX_FUTURE_SKEW:
        raise Invalid(f"{name} is in the future", reason="in_the_future")
    return value


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds")


def _local(value: datetime) -> str:
    """``value`` as staff read it: day/month/year hours:minutes in the company's timezone."""
    try:
        zone: tzinfo = ZoneInfo(get_settings().default_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    return value.astimezone(zone).strftime("%d/%m/%Y %H:%M")


# -- letters ---------------------------------------------------------------------------------

MAX_LETTER_BYTES = 20 * 1024 * 1024
# What a scanner or a phone produces, by the bytes every such file starts with.
LETTER_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"II*\x00", "image/tiff", "tif"),
    (b"MM\x00*", "image/tiff", "tif"),
)
LETTER_TEXTS = {
    Direction.INBOUND: "Lettera ricevuta (scansione)",
    Direction.OUTBOUND: "Lettera inviata (copia)",
}


class FileTooLarge(UnisonoError):
    code = "file_too_large"
    status = 413
    title = "File too large"


@dataclass(frozen=True, slots=True)
class LetterUpload:
    """A scan as the operator sent it; nothing in it is trusted yet."""

    data: bytes
    filename: str | None = None
    text: str | None = None
    direction: Direction = Direction.INBOUND
    received_at: datetime | None = None
    sent_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CheckedLetter:
    content_type: str
    filename: str
    text: str
    direction: Direction
    at: datetime


def sniff_letter(data: bytes) -> tuple[str, str]:
    """``(content_type, extension)`` of a scan by its first bytes; Invalid for anything else."""
    for magic, content_type, extension in LETTER_SIGNATURES:
        if data.startswith(magic):
            return content_type, extension
    raise Invalid(
        "the file is not a PDF, PNG, JPEG or TIFF scan (its content was checked, not its name)",
        reason="unsupported_file_type",
    )


def _filename(raw: str | None, extension: str, at: datetime) -> str:
    """The name to keep: no folders, no control characters, 200 characters at most."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip()
    if not name or name in (".", ".."):
        name = f"lettera-{at:%Y%m%d}.{extension}"
    return name[-200:]


def check_letter(upload: LetterUpload, now: datetime) -> CheckedLetter:
    """Validate a scan before anything is stored: type by content, size, times, summary."""
    if len(upload.data) > MAX_LETTER_BYTES:
        raise FileTooLarge(f"scans are at most {MAX_LETTER_BYTES // (1024 * 1024)} MB")
    if not upload.data:
        raise Invalid("the file is empty")
    content_type, extension = sniff_letter(upload.data)
    if upload.direction not in (Direction.INBOUND, Direction.OUTBOUND):
        raise Invalid("direction is inbound (a letter received) or outbound (a letter sent)")
    inbound = upload.direction == Direction.INBOUND
    wrong = upload.sent_at if inbound else upload.received_at
    if wrong is not None:
        raise Invalid(
            "an inbound letter has received_at, an outbound one sent_at"
            if inbound
            else "an outbound letter has sent_at, an inbound one received_at"
        )
    given = upload.received_at if inbound else upload.sent_at
    at = _past(given, "received_at" if inbound else "sent_at", now) if given else now
    text = _text(upload.text, "text", limit=MAX_TEXT_LENGTH) or LETTER_TEXTS[upload.direction]
    return CheckedLetter(
        content_type=content_type,
        filename=_filename(upload.filename, extension, at),
        text=text,
        direction=upload.direction,
        at=at,
    )


def do_upload_letter(
    session: Session, actor: Actor, customer_id: uuid.UUID, upload: LetterUpload
) -> Interaction:
    """Put a scanned letter on the customer's timeline, the scan as its attachment."""
    now = utcnow().replace(microsecond=0)
    letter = check_letter(upload, now)
    customer = _customer(session, actor, customer_id)
    inbound = letter.direction == Direction.INBOUND
    conversation: Conversation | None
    opened = False
    if inbound:
        opened = active_conversation(session, customer, letter.at) is None
        conversation = thread_inbound(session, customer, letter.at, subject=letter.text[:120])
    else:
        conversation = active_conversation(session, customer, letter.at)
        if conversation is not None:
            note_outbound(conversation, letter.at, answers_customer=True)
    interaction = Interaction(
        customer_id=customer.id,
        conversation_id=conversation.id if conversation else None,
        channel=ChannelKind.LETTER.value,
        direction=letter.direction,
        # Who wrote the letter; who uploaded it is in the metadata and the audit trail.
        author=Author.CUSTOMER if inbound else Author.OPERATOR,
        operator_id=None if inbound else actor.operator_id,
        text=letter.text,
        meta={"source": "scan", "recorded_by": _operator(actor)},
        occurred_at=letter.at,
        delivery_status=None if inbound else DeliveryStatus.SENT,
    )
    session.add(interaction)
    session.flush()
    attachment = store_attachment(
        session,
        interaction,
        upload.data,
        content_type=letter.content_type,
        filename=letter.filename,
    )
    # The collection was never loaded: the next read sees the scan just stored.
    session.expire(interaction, ["attachments"])
    if conversation is not None and opened:
        publish(session, "conversation.created", conversation_data(conversation))
    publish(session, "message.created", interaction_data(interaction))
    record_audit(
        session,
        actor,
        "letter.uploaded",
        "interaction",
        interaction.id,
        customer_id=customer.id,
        details={
            "direction": letter.direction.value,
            "attachment_id": str(attachment.id),
            "content_type": letter.content_type,
            "size": len(upload.data),
        },
    )
    return interaction


def _operator(actor: Actor) -> str | None:
    return str(actor.operator_id) if actor.operator_id else None


# -- visits ----------------------------------------------------------------------------------


class VisitKind(enum.StrEnum):
    BRANCH = ChannelKind.BRANCH_VISIT.value
    HOME = ChannelKind.HOME_VISIT.value


class VisitStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    DONE = "done"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


# A visit that happened, was cancelled or was missed is closed: its status no longer changes.
CLOSED = frozenset({VisitStatus.DONE, VisitStatus.CANCELLED, VisitStatus.NO_SHOW})
# Statuses whose visit took place at a moment (``occurred_at``): it came, or it was missed.
HAPPENED = frozenset({VisitStatus.DONE, VisitStatus.NO_SHOW})
# Customer attributes that may hold the postal address (CRMs in English and in Italian).
ADDRESS_ATTRIBUTES = ("address", "indirizzo")
VISIT_FIELDS = ("branch", "address", "staff", "reason", "outcome", "notes")
FIELD_LIMITS = {"address": 500, "outcome": 5_000, "notes": 10_000}


@dataclass(frozen=True, slots=True)
class Visit:
    """A visit as recorded: what an operator sends to create one, and what is stored."""

    kind: VisitKind
    status: VisitStatus
    reason: str
    scheduled_for: datetime | None = None
    occurred_at: datetime | None = None
    branch: str | None = None
    address: str | None = None
    staff: str | None = None
    outcome: str | None = None
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class VisitChanges:
    """What an update changes; None leaves a field as it is."""

    status: VisitStatus | None = None
    scheduled_for: datetime | None = None
    occurred_at: datetime | None = None
    branch: str | None = None
    address: str | None = None
    staff: str | None = None
    reason: str | None = None
    outcome: str | None = None
    notes: str | None = None


def _default_address(customer: Customer) -> str | None:
    attributes: Mapping[str, Any] = customer.attributes or {}
    for key in ADDRESS_ATTRIBUTES:
        value = attributes.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[: FIELD_LIMITS["address"]]
    return None


def check_visit(visit: Visit, customer: Customer, now: datetime) -> Visit:
    """``visit`` validated and normalised (texts stripped, times in UTC, address defaulted)."""
    try:
        kind = VisitKind(visit.kind)
    except ValueError as exc:
        raise Invalid("kind is branch_visit or home_visit") from exc
    try:
        status = VisitStatus(visit.status)
    except ValueError as exc:
        raise Invalid("status is scheduled, done, cancelled or no_show") from exc
    fields = {
        name: _text(getattr(visit, name), name, limit=FIELD_LIMITS.get(name, MAX_FIELD_LENGTH))
        for name in VISIT_FIELDS
    }
    reason = fields.pop("reason")
    if not reason:
        raise Invalid("a visit needs its reason", reason="reason_missing")
    if kind == VisitKind.BRANCH and not fields["branch"]:
        raise Invalid(
            "a branch visit needs its branch, e.g. 'Milano Centrale'", reason="branch_missing"
        )
    if kind == VisitKind.HOME:
        fields["address"] = fields["address"] or _default_address(customer)
        if not fields["address"]:
            raise Invalid(
                "a home visit needs an address (the customer's profile has none)",
                reason="address_missing",
            )
    scheduled_for = _utc(visit.scheduled_for, "scheduled_for") if visit.scheduled_for else None
    if scheduled_for is not None and scheduled_for > now + MAX_SCHEDULE_AHEAD:
        raise Invalid(
            "scheduled_for is more than two years ahead; check the year", reason="too_far_ahead"
        )
    if status == VisitStatus.SCHEDULED and scheduled_for is None:
        raise Invalid("a scheduled visit needs scheduled_for")
    occurred_at = _past(visit.occurred_at, "occurred_at", now) if visit.occurred_at else None
    if occurred_at is not None and status not in HAPPENED:
        raise Invalid(
            "occurred_at is when a visit took place: give it with done or no_show",
            reason="not_happened",
        )
    if status in HAPPENED and occurred_at is None:
        # A missed appointment was missed at its time; a visit recorded as done, just now.
        due = scheduled_for if status == VisitStatus.NO_SHOW else None
        occurred_at = due if due is not None and due <= now else now
    return replace(
        visit,
        kind=kind,
        status=status,
        reason=reason,
        scheduled_for=scheduled_for,
        occurred_at=occurred_at,
        branch=fields["branch"],
        address=fields["address"],
        staff=fields["staff"],
        outcome=fields["outcome"],
        notes=fields["notes"],
    )


def visit_summary(visit: Visit) -> str:
    """A short line for the timeline, in Italian like the rest of what staff read."""
    when = visit.occurred_at or visit.scheduled_for
    at = _local(when) if when else None
    home = visit.kind == VisitKind.HOME
    place = visit.address if home else visit.branch
    where = ", ".join(p for p in (at, place) if p)
    status = visit.status
    if home:
        head = {
            VisitStatus.SCHEDULED: f"Visita a domicilio programmata: {where}",
            VisitStatus.DONE: f"Visita a domicilio effettuata: {where}",
            VisitStatus.CANCELLED: f"Visita a domicilio annullata ({where})",
            VisitStatus.NO_SHOW: f"Visita a domicilio: cliente assente ({where})",
        }[status]
    else:
        head = {
            VisitStatus.SCHEDULED: f"Appuntamento allo sportello: {where}",
            VisitStatus.DONE: f"Visita allo sportello: {where}",
            VisitStatus.CANCELLED: f"Appuntamento allo sportello annullato ({where})",
            VisitStatus.NO_SHOW: f"Appuntamento allo sportello: cliente non presentato ({where})",
        }[status]
    parts = [head, f"Motivo: {visit.reason}"]
    if visit.outcome:
        parts.append(f"Esito: {visit.outcome}")
    return " ".join(p if p.endswith((".", "!", "?", "…")) else f"{p}." for p in parts)


def _note_activity(conversation: Conversation, at: datetime) -> None:
    """A visit is activity on the case, not an answer: only the last activity moves."""
    conversation.last_activity_at = max(conversation.last_activity_at, at)


def _visit_meta(visit: Visit) -> dict[str, Any]:
    meta: dict[str, Any] = {"visit_status": visit.status.value}
    if visit.scheduled_for is not None:
        meta["scheduled_for"] = _iso(visit.scheduled_for)
    if visit.occurred_at is not None:
        meta["visited_at"] = _iso(visit.occurred_at)
    for name in VISIT_FIELDS:
        value = getattr(visit, name)
        if value is not None:
            meta[name] = value
    return meta


def _history_entry(actor: Actor, now: datetime, changed: Mapping[str, Any]) -> dict[str, Any]:
    return {"recorded_at": _iso(now), "operator_id": _operator(actor), **changed}


def _visit_from(interaction: Interaction) -> Visit:
    """The visit an interaction stores, read leniently: visits recorded through the generic
    ingestion API or the demo carry the same fields without our status, dates or types."""
    meta = interaction.meta or {}

    def at(key: str) -> datetime | None:
        try:
            value = datetime.fromisoformat(meta[key])
        except (KeyError, TypeError, ValueError):
            return None
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    def text(key: str) -> str | None:
        value = meta.get(key)
        return str(value) if isinstance(value, str | int | float) else None

    try:
        status = VisitStatus(meta.get("visit_status", VisitStatus.DONE))
    except ValueError:
        status = VisitStatus.DONE
    return Visit(
        kind=VisitKind(interaction.channel),
        status=status,
        reason=text("reason") or "",
        scheduled_for=at("scheduled_for"),
        # A visit stored without its moment took place when the timeline says.
        occurred_at=at("visited_at") or (interaction.occurred_at if status in HAPPENED else None),
        branch=text("branch"),
        address=text("address"),
        staff=text("staff"),
        outcome=text("outcome"),
        notes=text("notes"),
    )


def do_record_visit(
    session: Session, actor: Actor, customer_id: uuid.UUID, visit: Visit
) -> Interaction:
    """Put a visit on the customer's timeline: scheduled, or already done, cancelled, missed."""
    now = utcnow().replace(microsecond=0)
    customer = _customer(session, actor, customer_id)
    visit = check_visit(visit, customer, now)
    home = visit.kind == VisitKind.HOME
    # Where the visit sits on the timeline: when it took place, else when it was recorded.
    at = visit.occurred_at or now
    conversation = active_conversation(session, customer, at)
    if conversation is not None:
        _note_activity(conversation, at)
    history = _history_entry(actor, now, _visit_meta(visit))
    interaction = Interaction(
        customer_id=customer.id,
        conversation_id=conversation.id if conversation else None,
        channel=visit.kind.value,
        # The company goes to the customer's home; the customer comes to the branch.
        direction=Direction.OUTBOUND if home else Direction.INBOUND,
        author=Author.OPERATOR if home else Author.CUSTOMER,
        operator_id=actor.operator_id if home else None,
        text=visit_summary(visit),
        meta={**_visit_meta(visit), "recorded_by": _operator(actor), "visit_history": [history]},
        occurred_at=at,
        # Nothing is delivered: a visit has no delivery status.
        delivery_status=None,
    )
    session.add(interaction)
    session.flush()
    publish(session, "message.created", interaction_data(interaction))
    record_audit(
        session,
        actor,
        "visit.recorded",
        "interaction",
        interaction.id,
        customer_id=customer.id,
        details={"kind": visit.kind.value, "status": visit.status.value},
    )
    return interaction


def access_visit(
    session: Session,
    actor: Actor,
    interaction_id: uuid.UUID,
    *,
    action: str = "visit.read",
    lock: bool = False,
) -> Interaction:
    """The visit ``interaction_id`` as ``actor`` may see it; records the access."""
    interaction = session.get(Interaction, interaction_id, with_for_update=lock or None)
    if interaction is None or interaction.channel not in tuple(VisitKind):
        raise NotFound(f"no visit {interaction_id}")
    record_audit(
        session,
        actor,
        action,
        "interaction",
        interaction.id,
        customer_id=interaction.customer_id,
    )
    return interaction


def do_update_visit(
    session: Session, actor: Actor, interaction_id: uuid.UUID, changes: VisitChanges
) -> Interaction:
    """Record a visit's outcome, a new date or a cancellation on the same interaction.

    A closed visit (done, cancelled, no show) keeps its status; its texts may still be
    corrected. Each update appends what it changed to ``visit_history``.
    """
    now = utcnow().replace(microsecond=0)
    interaction = access_visit(session, actor, interaction_id, action="visit.update", lock=True)
    customer = session.get_one(Customer, interaction.customer_id)
    before = _visit_from(interaction)
    status = changes.status or before.status
    if before.status in CLOSED and status != before.status:
        raise Conflict(
            f"the visit is {before.status.value} already; record a new visit instead",
            visit_status=before.status.value,
            reason="visit_closed",
        )
    moved_on = status != before.status
    updated = replace(
        before,
        status=status,
        scheduled_for=changes.scheduled_for or before.scheduled_for,
        # A visit that now happened gets its own moment (default: now), not a stale one.
        occurred_at=changes.occurred_at or (None if moved_on else before.occurred_at),
        **{name: getattr(changes, name) or getattr(before, name) for name in VISIT_FIELDS},
    )
    updated = check_visit(updated, customer, now)
    old_meta, new_meta = _visit_meta(before), _visit_meta(updated)
    changed = {k: v for k, v in new_meta.items() if old_meta.get(k) != v}
    if not changed:
        return interaction
    history = list((interaction.meta or {}).get("visit_history", []))
    history.append(_history_entry(actor, now, changed))
    # A new dict, not an in-place change: the JSON column notices only reassignment.
    interaction.meta = {
        **{k: v for k, v in (interaction.meta or {}).items() if k not in old_meta},
        **new_meta,
        "visit_history": history,
    }
    interaction.text = visit_summary(updated)
    # Compared to the second, as stored: an imported visit's microseconds are no new moment.
    if updated.occurred_at is not None and new_meta.get("visited_at") != old_meta.get("visited_at"):
        interaction.occurred_at = updated.occurred_at
        conversation = (
            session.get(Conversation, interaction.conversation_id)
            if interaction.conversation_id
            else None
        )
        if conversation is not None:
            _note_activity(conversation, updated.occurred_at)
    record_audit(
        session,
        actor,
        "visit.updated",
        "interaction",
        interaction.id,
        customer_id=interaction.customer_id,
        details={"from": before.status.value, "to": updated.status.value},
    )
    return interaction


@dataclass(frozen=True, slots=True)
class VisitFilter:
    status: VisitStatus | None = None
    kind: VisitKind | None = None
    # Only visits scheduled before this moment (those without a date are left out).
    due_before: datetime | None = None
    customer_id: uuid.UUID | None = None


DEFAULT_LIST_LIMIT = 100
MAX_LIST_LIMIT = 500


def _meta_text(key: str) -> ColumnElement[str]:
    """A top-level metadata value as text, the same on SQLite (json_extract) and PostgreSQL."""
    return type_coerce(Interaction.meta[key].as_string(), String)


def list_visits(
    session: Session, actor: Actor, where: VisitFilter, *, limit: int | None = None
) -> list[tuple[Interaction, Customer]]:
    """Visits matching ``where``: vulnerable customers first, then the earliest due.

    One bounded list, no pages: it is a supervisor's work list of visits due, not an archive.
    """
    size = max(1, min(limit or DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT))
    due = _meta_text("scheduled_for")
    query = (
        select(Interaction, Customer)
        .join(Customer, Customer.id == Interaction.customer_id)
        .where(Interaction.channel.in_([k.value for k in VisitKind]))
    )
    if where.kind is not None:
        query = query.where(Interaction.channel == where.kind.value)
    if where.status is not None:
        query = query.where(_meta_text("visit_status") == where.status.value)
    if where.due_before is not None:
        query = query.where(due < _iso(_utc(where.due_before, "due_before")))
    if where.customer_id is not None:
        query = query.where(Interaction.customer_id == where.customer_id)
    rows = session.execute(
        query.order_by(
            Customer.vulnerable.desc(),
            case((due.is_(None), 1), else_=0),
            due,
            Interaction.occurred_at,
            Interaction.id,
        ).limit(size)
    ).all()
    record_audit(
        session,
        actor,
        "visit.list",
        "visit",
        None,
        details={
            "status": where.status.value if where.status else None,
            "kind": where.kind.value if where.kind else None,
            "due_before": _iso(where.due_before) if where.due_before else None,
            "customer_id": str(where.customer_id) if where.customer_id else None,
            "count": len(rows),
        },
    )
    return [(interaction, customer) for interaction, customer in rows]
