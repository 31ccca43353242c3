"""What console pages show, built from domain objects: translated labels, formatted times.

Templates only lay these values out. Building them here formats each value once per request
(Babel is the expensive part of a page) and keeps the templates free of domain rules.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import phonenumbers

from unisono.inbox.conversations import ConversationSummary
from unisono.inbox.sla import SlaState, SlaStatus
from unisono.models import Conversation, Customer, Interaction
from unisono.web.console.i18n import N_, Localizer, Moment

PREVIEW_LENGTH = 160
# A customer waiting longer than this is flagged in the inbox (until SLA policies land).
LONG_WAIT_SECONDS = 4 * 60 * 60


@dataclass(frozen=True, slots=True)
class ChannelStyle:
    label: str
    icon: str


# Icons are symbols of templates/console/_icons.html; labels are translated where shown.
CHANNELS: Mapping[str, ChannelStyle] = {
    "email": ChannelStyle(N_("Email"), "mail"),
    "sms": ChannelStyle(N_("SMS"), "sms"),
    "whatsapp": ChannelStyle(N_("WhatsApp"), "whatsapp"),
    "messenger": ChannelStyle(N_("Messenger"), "messenger"),
    "facebook_comments": ChannelStyle(N_("Facebook comments"), "facebook"),
    "x": ChannelStyle(N_("X"), "x"),
    "webchat": ChannelStyle(N_("Web chat"), "webchat"),
    "app": ChannelStyle(N_("App"), "app"),
    "voice": ChannelStyle(N_("Phone call"), "phone"),
    "letter": ChannelStyle(N_("Letter"), "letter"),
    "branch_visit": ChannelStyle(N_("Branch visit"), "branch"),
    "home_visit": ChannelStyle(N_("Home visit"), "home"),
    "internal": ChannelStyle(N_("Internal note"), "note"),
}

STATUSES = {
    "open": N_("Open"),
    "pending": N_("Pending"),
    "snoozed": N_("Snoozed"),
    "resolved": N_("Resolved"),
}
PRIORITIES = {
    "low": N_("Low"),
    "normal": N_("Normal"),
    "high": N_("High"),
    "urgent": N_("Urgent"),
}
DIRECTIONS = {
    "inbound": N_("Received"),
    "outbound": N_("Sent"),
    "note": N_("Note"),
}
AUTHORS = {
    "customer": N_("Customer"),
    "operator": N_("Operator"),
    "bot": N_("Bot"),
    "system": N_("Automatic"),
}
DELIVERY = {
    "queued": N_("Queued"),
    "sent": N_("Sent"),
    "delivered": N_("Delivered"),
    "read": N_("Read"),
    "failed": N_("Not delivered"),
}
IDENTITY_KINDS = {
    "phone": N_("Phone"),
    "email": N_("Email"),
    "messenger": N_("Messenger"),
    "facebook": N_("Facebook"),
    "x": N_("X"),
    "app": N_("App user"),
    "webchat": N_("Web chat visitor"),
    "card": N_("Card"),
    "contract": N_("Contract"),
}
LANGUAGES = {"it": N_("Italian"), "en": N_("English")}
VISIT_STATUSES = {
    "scheduled": N_("Scheduled"),
    "done": N_("Done"),
    "cancelled": N_("Cancelled"),
    "no_show": N_("Customer absent"),
}
ROLES = {
    "agent": N_("Agent"),
    "supervisor": N_("Supervisor"),
    "designer": N_("Designer"),
    "compliance": N_("Compliance"),
    "admin": N_("Administrator"),
}


class FactKind(enum.Enum):
    TEXT = "text"
    SECONDS = "seconds"
    MINUTES = "minutes"
    KWH = "kwh"
    FLAG = "flag"
    NAMES = "names"
    VISIT_STATUS = "visit_status"
    TIME = "time"


@dataclass(frozen=True, slots=True)
class FactRule:
    label: str
    # Keys to look for, each with how to read it; the first one present wins.
    keys: tuple[tuple[str, FactKind], ...]


def _text(*keys: str) -> tuple[tuple[str, FactKind], ...]:
    return tuple((key, FactKind.TEXT) for key in keys)


# Interaction metadata worth showing on the timeline, in this order. Integrations name the same
# thing differently (a call's length in seconds, a visit's in minutes). The rest stays in the API.
FACT_RULES = (
    FactRule(N_("Subject"), _text("subject")),
    FactRule(
        N_("Duration"),
        (
            ("duration_seconds", FactKind.SECONDS),
            ("duration_s", FactKind.SECONDS),
            ("duration", FactKind.SECONDS),
            ("duration_minutes", FactKind.MINUTES),
        ),
    ),
    FactRule(N_("Wait"), (("wait_seconds", FactKind.SECONDS), ("wait_minutes", FactKind.MINUTES))),
    FactRule(N_("Visit"), (("visit_status", FactKind.VISIT_STATUS),)),
    FactRule(N_("Scheduled for"), (("scheduled_for", FactKind.TIME),)),
    FactRule(N_("Outcome"), _text("outcome")),
    FactRule(N_("Reason"), _text("reason")),
    FactRule(N_("Meter reading"), (("meter_reading_kwh", FactKind.KWH),)),
    FactRule(N_("Handled by"), _text("agent", "staff")),
    FactRule(N_("Technician"), _text("technician")),
    FactRule(N_("Queue"), _text("queue")),
    FactRule(N_("Branch"), _text("branch")),
    FactRule(N_("Time slot"), _text("slot")),
    FactRule(N_("Address"), _text("address")),
    FactRule(N_("Ticket"), _text("ticket")),
    FactRule(N_("Reference"), _text("reference")),
    FactRule(N_("Campaign"), _text("campaign")),
    FactRule(N_("Account"), _text("username")),
    FactRule(N_("Public post"), (("public", FactKind.FLAG),)),
    FactRule(N_("Attachments"), (("attachments", FactKind.NAMES),)),
    FactRule(N_("Notes"), _text("notes")),
)


@dataclass(frozen=True, slots=True)
class ChannelView:
    kind: str
    label: str
    icon: str


@dataclass(frozen=True, slots=True)
class Label:
    """A coded value with its translated label (CSS classes use the code)."""

    code: str
    label: str


# How an answer target (SLA) reads: its state, the time left or overdue, which clock runs.
SLA_STATES = {
    "ok": N_("On time"),
    "due_soon": N_("Due soon"),
    "breached": N_("Overdue"),
}
SLA_LEFT = N_("%(time)s left")
SLA_OVERDUE = N_("%(time)s overdue")
SLA_CLOCKS = {
    "first_response": N_("First answer due %(time)s"),
    "next_response": N_("Next answer due %(time)s"),
}


@dataclass(frozen=True, slots=True)
class SlaBadge:
    state: Label
    text: str
    title: str


def sla_badge(status: SlaStatus | None, l10n: Localizer) -> SlaBadge | None:
    """An answer target as a badge: ``Overdue · 1h 5min overdue``, due time in the title."""
    if status is None:
        return None
    if status.state is SlaState.BREACHED:
        text = l10n.gettext(SLA_OVERDUE) % {"time": l10n.elapsed(-status.remaining)}
    else:
        text = l10n.gettext(SLA_LEFT) % {"time": l10n.elapsed(status.remaining)}
    clock = SLA_CLOCKS[status.clock.value]
    return SlaBadge(
        state=_label(status.state.value, SLA_STATES, l10n),
        text=text,
        title=l10n.gettext(clock) % {"time": l10n.date_and_time(status.due_at)},
    )


@dataclass(frozen=True, slots=True)
class InboxRow:
    url: str
    customer_name: str
    vulnerable: bool
    channels: list[ChannelView]
    preview: str
    preview_direction: Label | None
    waiting: str | None
    waiting_long: bool
    status: Label
    priority: Label
    last_activity: Moment
    id: str = ""
    sla: SlaBadge | None = None
    assignee: str | None = None


@dataclass(frozen=True, slots=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class IdentityView:
    kind: str
    value: str
    verified: bool
    label: str | None


@dataclass(frozen=True, slots=True)
class ProfileView:
    id: str
    name: str
    initials: str
    vulnerable: bool
    preferred_channel: ChannelView | None
    language: str | None
    segments: list[str]
    identities: list[IdentityView]
    merged_into_url: str | None


@dataclass(frozen=True, slots=True)
class ConversationView:
    id: str
    url: str
    subject: str
    status: Label
    priority: Label
    labels: list[str]
    channels: list[ChannelView]
    last_activity: Moment
    waiting: str | None
    first_response: Moment | None
    resolved: Moment | None


@dataclass(frozen=True, slots=True)
class TimelineItem:
    id: str
    channel: ChannelView
    direction: Label
    author: str
    at: Moment
    time: str
    text: str
    facts: list[Fact]
    delivery: Label | None
    in_selected: bool
    conversation_url: str | None


@dataclass(slots=True)
class TimelineDay:
    label: str
    items: list[TimelineItem] = field(default_factory=list)


def channel_view(kind: str, l10n: Localizer) -> ChannelView:
    style = CHANNELS.get(kind)
    if style is None:
        # A channel kind newer than this page: show its code rather than hide the item.
        return ChannelView(kind, kind.replace("_", " ").capitalize(), "chat")
    return ChannelView(kind, l10n.gettext(style.label), style.icon)


def _label(code: str, labels: Mapping[str, str], l10n: Localizer) -> Label:
    return Label(code, l10n.gettext(labels[code]) if code in labels else code)


def display_handle(kind: str, value: str) -> str:
    """An identity as people read it: phones grouped (``+39 333 123 4567``), the rest verbatim."""
    if kind != "phone":
        return value
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL))


def customer_name(customer: Customer) -> str:
    """The name to show: the display name, else the first identity's value."""
    if customer.display_name.strip():
        return customer.display_name.strip()
    if customer.identities:
        first = customer.identities[0]
        return display_handle(first.kind, first.value)
    return "—"


def initials(name: str) -> str:
    """Up to two capital initials of ``name`` for an avatar."""
    letters = [part[0] for part in name.split() if part[:1].isalpha()]
    return "".join(letters[:2]).upper() or "#"


def _preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_LENGTH else flat[: PREVIEW_LENGTH - 1].rstrip() + "…"


def conversation_url(conversation_id: uuid.UUID) -> str:
    return f"/conversations/{conversation_id}"


def customer_url(customer_id: uuid.UUID) -> str:
    return f"/customers/{customer_id}"


def inbox_row(
    summary: ConversationSummary,
    l10n: Localizer,
    now: datetime,
    *,
    sla: SlaStatus | None = None,
    assignee: str | None = None,
) -> InboxRow:
    conversation, last = summary.conversation, summary.last_interaction
    waited = now - conversation.waiting_since if conversation.waiting_since else None
    return InboxRow(
        url=conversation_url(conversation.id),
        customer_name=customer_name(summary.customer),
        vulnerable=summary.customer.vulnerable,
        channels=[channel_view(kind, l10n) for kind in summary.channels],
        preview=_preview(last.text) if last else "",
        preview_direction=_label(last.direction.value, DIRECTIONS, l10n) if last else None,
        waiting=l10n.elapsed(waited) if waited is not None else None,
        waiting_long=waited is not None and waited.total_seconds() > LONG_WAIT_SECONDS,
        status=_label(conversation.status.value, STATUSES, l10n),
        priority=_label(conversation.priority.value, PRIORITIES, l10n),
        last_activity=l10n.moment(conversation.last_activity_at, now),
        id=str(conversation.id),
        sla=sla_badge(sla, l10n),
        assignee=assignee,
    )


def profile_view(customer: Customer, l10n: Localizer) -> ProfileView:
    name = customer_name(customer)
    language = customer.language
    return ProfileView(
        id=str(customer.id),
        name=name,
        initials=initials(customer.display_name),
        vulnerable=customer.vulnerable,
        preferred_channel=(
            channel_view(customer.preferred_channel, l10n) if customer.preferred_channel else None
        ),
        language=l10n.gettext(LANGUAGES[language]) if language in LANGUAGES else language,
        segments=list(customer.segments or []),
        identities=[
            IdentityView(
                kind=l10n.gettext(IDENTITY_KINDS[i.kind]) if i.kind in IDENTITY_KINDS else i.kind,
                value=display_handle(i.kind, i.value),
                verified=i.verified,
                label=i.label,
            )
            for i in customer.identities
        ],
        merged_into_url=customer_url(customer.merged_into_id) if customer.merged_into_id else None,
    )


def conversation_view(
    conversation: Conversation, channels: list[str], l10n: Localizer, now: datetime
) -> ConversationView:
    waiting_since = conversation.waiting_since
    return ConversationView(
        id=str(conversation.id),
        url=conversation_url(conversation.id),
        subject=_preview(conversation.subject),
        status=_label(conversation.status.value, STATUSES, l10n),
        priority=_label(conversation.priority.value, PRIORITIES, l10n),
        labels=list(conversation.labels or []),
        channels=[channel_view(kind, l10n) for kind in channels],
        last_activity=l10n.moment(conversation.last_activity_at, now),
        waiting=l10n.elapsed(now - waiting_since) if waiting_since else None,
        first_response=(
            l10n.moment(conversation.first_response_at, now)
            if conversation.first_response_at
            else None
        ),
        resolved=l10n.moment(conversation.resolved_at, now) if conversation.resolved_at else None,
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _fact_value(value: Any, kind: FactKind, l10n: Localizer) -> str | None:
    """``value`` formatted for the timeline, or None when it is not what ``kind`` expects."""
    if kind is FactKind.FLAG:
        return l10n.gettext("Yes") if value is True else None
    if kind is FactKind.NAMES:
        if not isinstance(value, list):
            return None
        names = [
            str(item.get("name") or item.get("type") or "") if isinstance(item, dict) else str(item)
            for item in value
        ]
        return ", ".join(name for name in names if name) or None
    if kind is FactKind.VISIT_STATUS:
        return l10n.gettext(VISIT_STATUSES[value]) if value in VISIT_STATUSES else None
    if kind is FactKind.TIME:
        try:
            moment = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            return None
        return l10n.date_and_time(moment)
    if kind is FactKind.TEXT:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            return None
        return str(value).strip() or None
    number = _number(value)
    if number is None:
        return None
    if kind is FactKind.SECONDS:
        return l10n.duration(number)
    if kind is FactKind.MINUTES:
        return l10n.minutes(number)
    return l10n.kwh(number)


def interaction_facts(meta: Mapping[str, Any], l10n: Localizer) -> list[Fact]:
    """The metadata an operator reads on the timeline: call length, visit outcome, subject..."""
    facts: list[Fact] = []
    for rule in FACT_RULES:
        for key, kind in rule.keys:
            if key in meta and (value := _fact_value(meta[key], kind, l10n)) is not None:
                facts.append(Fact(l10n.gettext(rule.label), value))
                break
    return facts


def _author(interaction: Interaction, operators: Mapping[uuid.UUID, str], l10n: Localizer) -> str:
    if interaction.operator_id and interaction.operator_id in operators:
        return operators[interaction.operator_id]
    code = interaction.author.value
    return l10n.gettext(AUTHORS[code]) if code in AUTHORS else code


def timeline_days(
    interactions: Iterable[Interaction],
    l10n: Localizer,
    now: datetime,
    *,
    selected: uuid.UUID | None,
    operators: Mapping[uuid.UUID, str],
) -> list[TimelineDay]:
    """``interactions`` (newest first) grouped under a heading per local day."""
    today = l10n.today(now)
    days: list[TimelineDay] = []
    current: date | None = None
    for interaction in interactions:
        day = l10n.local(interaction.occurred_at).date()
        if day != current:
            days.append(TimelineDay(l10n.day(day, today)))
            current = day
        delivery = interaction.delivery_status
        days[-1].items.append(
            TimelineItem(
                id=str(interaction.id),
                channel=channel_view(interaction.channel, l10n),
                direction=_label(interaction.direction.value, DIRECTIONS, l10n),
                author=_author(interaction, operators, l10n),
                at=l10n.moment(interaction.occurred_at, now),
                time=l10n.clock(interaction.occurred_at),
                text=interaction.text,
                facts=interaction_facts(interaction.meta or {}, l10n),
                delivery=_label(delivery.value, DELIVERY, l10n) if delivery else None,
                in_selected=selected is not None and interaction.conversation_id == selected,
                # Only beside a selected conversation does "open its own" help.
                conversation_url=(
                    conversation_url(interaction.conversation_id)
                    if selected is not None and interaction.conversation_id
                    else None
                ),
            )
        )
    return days
