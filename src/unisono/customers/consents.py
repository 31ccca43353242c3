"""Consents: what a customer allowed or refused, per purpose and channel, as an append-only ledger.

A choice is recorded by appending a row (``do_record_consent``); nothing is ever updated or
deleted, so the ledger is the proof of what held at any moment. The *current* choice of a
``(purpose, channel)`` cell is its newest row. ``purpose`` is a template purpose
(``advertise``, ``payment_reminder``...) or ``*`` for every purpose; ``channel`` a channel kind or
``*`` for every channel.

**Whether a message may go** (``allows``) is decided from the current rows of the (at most four)
cells that cover it: ``(purpose, channel)``, ``(purpose, *)``, ``(*, channel)`` and ``(*, *)``,
in that order of specificity (a purpose is more specific than a channel: "no offers" is a choice
about offers wherever they come from).

1. A refusal wins over a grant, unless the grant is both newer and more specific than it.
   "No offers at all" recorded today beats "offers by SMS yes" from last year; "offers by email
   yes" recorded after "no offers" holds for email only; "offers yes" after "no offers by email"
   leaves email refused (an explicit refusal is never widened away by a broader grant).
2. With no covering row at all, the purpose's default applies: purposes that need an opt-in
   (``advertise``) are refused, the others (bills, service, information: a contract or the law
   is their basis) are allowed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from unisono.clock import utcnow
from unisono.customers.access import access_customer
from unisono.errors import Conflict, Invalid
from unisono.integrations.events import publish
from unisono.models import ChannelKind, Consent, Customer
from unisono.pagination import Page, clamp_limit, encode_cursor, time_id_cursor
from unisono.security.actor import Actor
from unisono.security.audit import record_audit
from unisono.studio.spec import Purpose

ANY = "*"
PURPOSES: tuple[str, ...] = (ANY, *(p.value for p in Purpose))
CHANNELS: tuple[str, ...] = (ANY, *(c.value for c in ChannelKind))
# Purposes whose messages need the customer's explicit grant (marketing, by law).
OPT_IN_PURPOSES = frozenset({Purpose.ADVERTISE.value})
MAX_NOTE_LENGTH = 2_000
SOURCE_LENGTH = 64


@dataclass(frozen=True, slots=True)
class ConsentChoice:
    """A choice as an operator or an integration sends it; nothing in it is trusted yet."""

    purpose: str
    channel: str
    granted: bool
    source: str | None = None
    note: str = ""


def check_consent(choice: ConsentChoice, actor: Actor) -> ConsentChoice:
    """``choice`` validated: known purpose and channel, a source, a note of sensible length."""
    purpose = choice.purpose.strip().lower()
    if purpose not in PURPOSES:
        raise Invalid(
            f"'{purpose[:40]}' is not a purpose; use * or one of {', '.join(PURPOSES[1:])}",
            reason="unknown_purpose",
        )
    channel = choice.channel.strip().lower()
    if channel not in CHANNELS:
        raise Invalid(
            f"'{channel[:40]}' is not a channel; use * or one of {', '.join(CHANNELS[1:])}",
            reason="unknown_channel",
        )
    if not isinstance(choice.granted, bool):
        raise Invalid("granted is true or false")
    source = (choice.source or actor.via).strip()
    if not source or len(source) > SOURCE_LENGTH:
        raise Invalid(f"the source is 1 to {SOURCE_LENGTH} characters", reason="bad_source")
    note = choice.note or ""
    if "\x00" in note or len(note) > MAX_NOTE_LENGTH:
        raise Invalid(f"the note is at most {MAX_NOTE_LENGTH} characters", reason="bad_note")
    return ConsentChoice(purpose, channel, choice.granted, source, note.strip())


def do_record_consent(
    session: Session, actor: Actor, customer_id: uuid.UUID, choice: ConsentChoice
) -> Consent:
    """Append ``choice`` to the customer's ledger (it becomes the cell's current choice)."""
    checked = check_consent(choice, actor)
    customer = access_customer(session, actor, customer_id, action="customer.update", lock=True)
    if customer.merged_into_id is not None:
        raise Conflict(
            f"customer {customer.id} was merged into {customer.merged_into_id}; record it there",
            merged_into_id=str(customer.merged_into_id),
        )
    row = Consent(
        customer_id=customer.id,
        purpose=checked.purpose,
        channel=checked.channel,
        granted=checked.granted,
        source=checked.source or actor.via,
        note=checked.note,
        operator_id=actor.operator_id,
        recorded_at=utcnow(),
    )
    session.add(row)
    session.flush()
    publish(
        session,
        "customer.consent_recorded",
        {
            "customer_id": str(customer.id),
            "purpose": row.purpose,
            "channel": row.channel,
            "granted": row.granted,
        },
    )
    record_audit(
        session,
        actor,
        "consent.recorded",
        "consent",
        row.id,
        customer_id=customer.id,
        details={"purpose": row.purpose, "channel": row.channel, "granted": row.granted},
    )
    return row


def _current_rows(
    session: Session,
    customer_id: uuid.UUID,
    purposes: Sequence[str] | None = None,
    channels: Sequence[str] | None = None,
) -> list[Consent]:
    """The newest row of each ``(purpose, channel)`` cell of the customer (only those given)."""
    newest = (
        select(
            Consent.purpose,
            Consent.channel,
            func.max(Consent.recorded_at).label("at"),
        )
        .where(Consent.customer_id == customer_id)
        .group_by(Consent.purpose, Consent.channel)
    )
    if purposes is not None:
        newest = newest.where(Consent.purpose.in_(purposes))
    if channels is not None:
        newest = newest.where(Consent.channel.in_(channels))
    latest = newest.subquery()
    rows = session.scalars(
        select(Consent)
        .join(
            latest,
            (Consent.purpose == latest.c.purpose)
            & (Consent.channel == latest.c.channel)
            & (Consent.recorded_at == latest.c.at),
        )
        .where(Consent.customer_id == customer_id)
        .order_by(Consent.purpose, Consent.channel, Consent.id.desc())
    )
    # Two rows recorded in the same instant: the later id (UUIDv7) is the newer one.
    current: dict[tuple[str, str], Consent] = {}
    for row in rows:
        current.setdefault((row.purpose, row.channel), row)
    return list(current.values())


def current_consents(session: Session, actor: Actor, customer: Customer) -> list[Consent]:
    """The customer's current choice per ``(purpose, channel)``; the read is audited."""
    rows = _current_rows(session, customer.id)
    record_audit(
        session,
        actor,
        "consent.read",
        "customer",
        customer.id,
        customer_id=customer.id,
        details={"count": len(rows)},
    )
    return rows


def consent_ledger(
    session: Session,
    actor: Actor,
    customer: Customer,
    *,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[Consent]:
    """Every recorded choice of ``customer``, newest first; the read is audited."""
    size = clamp_limit(limit)
    query = select(Consent).where(Consent.customer_id == customer.id)
    if cursor:
        at, last_id = time_id_cursor(cursor)
        query = query.where(tuple_(Consent.recorded_at, Consent.id) < tuple_(at, last_id))
    rows = list(
        session.scalars(
            query.order_by(Consent.recorded_at.desc(), Consent.id.desc()).limit(size + 1)
        )
    )
    page = rows[:size]
    next_cursor = (
        encode_cursor(page[-1].recorded_at.isoformat(), str(page[-1].id))
        if len(rows) > size
        else None
    )
    record_audit(
        session,
        actor,
        "consent.ledger",
        "customer",
        customer.id,
        customer_id=customer.id,
        details={"count": len(page)},
    )
    return Page(page, next_cursor)


def _specificity(row: Consent) -> int:
    return (2 if row.purpose != ANY else 0) + (1 if row.channel != ANY else 0)


def _newer(a: Consent, b: Consent) -> bool:
    return (a.recorded_at, a.id) > (b.recorded_at, b.id)


def decide(rows: Sequence[Consent], purpose: str, default: bool | None = None) -> bool:
    """The decision of the module's rule over the current rows covering one message."""
    grants = [r for r in rows if r.granted]
    refusals = [r for r in rows if not r.granted]
    if not grants and not refusals:
        return (purpose not in OPT_IN_PURPOSES) if default is None else default
    # A grant holds only against refusals it is both newer and more specific than.
    return any(
        all(_newer(g, r) and _specificity(g) > _specificity(r) for r in refusals) for g in grants
    )


def allows(session: Session, customer_id: uuid.UUID, purpose: str, channel: str) -> bool:
    """Whether the customer's consents allow a message of ``purpose`` on ``channel``.

    Not audited: the sending side calls it for every message, as part of a send that is.
    ``purpose`` and ``channel`` are read as ``check_consent`` stores them (trimmed, lower case),
    so "Advertise" is still a purpose that needs an opt-in.
    """
    purpose, channel = purpose.strip().lower(), channel.strip().lower()
    rows = _current_rows(session, customer_id, (purpose, ANY), (channel, ANY))
    return decide(rows, purpose)
