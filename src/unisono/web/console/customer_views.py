"""What the customer 360 panel, the customers page and the merge page show.

Built from domain objects once per request, with labels translated and times formatted, so the
templates only lay values out (see ``views`` for the conventions).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from babel.numbers import format_currency

from unisono.customers.overview import CustomerFigures
from unisono.identity.normalize import CHANNEL_IDENTITY_KIND
from unisono.models import Consent, Customer, CustomerMerge, Interaction, ProfileChange
from unisono.web.console.i18n import N_, Localizer, Moment
from unisono.web.console.views import (
    CHANNELS,
    IDENTITY_KINDS,
    LANGUAGES,
    ChannelView,
    Fact,
    channel_view,
    customer_name,
    customer_url,
    display_handle,
)

ANY = "*"
PURPOSES: Mapping[str, str] = {
    ANY: N_("Every purpose"),
    "inform": N_("Information"),
    "explain": N_("Explanations"),
    "advise": N_("Advice"),
    "educate": N_("Education"),
    "advertise": N_("Marketing offers"),
    "payment_reminder": N_("Payment reminders"),
    "service": N_("Service messages"),
}
EVERY_CHANNEL = N_("Every channel")
# Channels a message can be sent on (visits are touchpoints, not channels to reach someone).
MESSAGE_CHANNELS = (
    "email",
    "sms",
    "whatsapp",
    "messenger",
    "x",
    "app",
    "voice",
    "letter",
)
# Identity kinds an operator adds by hand, in the order of the form's list.
ADDABLE_KINDS = ("phone", "email", "x", "messenger", "facebook", "app", "card", "contract")
PROFILE_FIELDS: Mapping[str, str] = {
    "display_name": N_("Display name"),
    "given_name": N_("Given name"),
    "family_name": N_("Family name"),
    "language": N_("Language"),
    "preferred_channel": N_("Preferred channel"),
    "vulnerable": N_("Vulnerable customer"),
    "segments": N_("Segments"),
}
SOURCES: Mapping[str, str] = {
    "console": N_("Console"),
    "api": N_("API"),
    "merge": N_("Merge"),
    "merge_undo": N_("Merge undone"),
    "system": N_("Automatic"),
    "import": N_("Import"),
    "web_form": N_("Web form"),
    "sms_stop": N_("SMS STOP"),
    "test": N_("Test"),
}
ICONS_OF_KIND = {
    "phone": "phone",
    "email": "mail",
    "messenger": "messenger",
    "facebook": "facebook",
    "x": "x",
    "app": "app",
    "webchat": "webchat",
    "card": "star",
    "contract": "letter",
}


class FigureKind:
    TEXT = "text"
    EUROS = "euros"
    SINCE = "since"


# Value figures a CRM may hold in the custom attributes, under English or Italian names; the
# first key present wins. The rest of the attributes stay in the API.
FIGURES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (N_("Customer value"), FigureKind.TEXT, ("value", "value_band", "valore_cliente")),
    (N_("Monthly spend"), FigureKind.EUROS, ("monthly_spend_eur", "spesa_mensile_eur")),
    (N_("Customer since"), FigureKind.SINCE, ("customer_since", "cliente_dal")),
    (N_("Contract"), FigureKind.TEXT, ("contract", "contratto")),
    (N_("Offer"), FigureKind.TEXT, ("offer", "offerta")),
    (N_("Customer code"), FigureKind.TEXT, ("customer_code", "codice_cliente")),
    (N_("Address"), FigureKind.TEXT, ("address", "indirizzo")),
    (N_("Family contact"), FigureKind.TEXT, ("family_contact", "contatto_familiare")),
)


@dataclass(frozen=True, slots=True)
class Choice:
    code: str
    label: str


@dataclass(frozen=True, slots=True)
class IdentityRow:
    id: str
    kind: str
    kind_label: str
    icon: str
    value: str
    verified: bool
    label: str | None
    channels: list[ChannelView]


@dataclass(frozen=True, slots=True)
class ConsentRow:
    purpose: str
    channel: str
    granted: bool
    source: str
    note: str
    at: Moment


@dataclass(frozen=True, slots=True)
class MergeRow:
    id: str
    other_name: str
    other_url: str
    at: Moment


@dataclass(frozen=True, slots=True)
class FormError:
    """A form's failure, shown beside it: which form, the sentence, maybe a way out."""

    form: str
    message: str
    merge_url: str | None = None


@dataclass(frozen=True, slots=True)
class VisitAction:
    """The outcome form of a scheduled visit, on the timeline or in the list of visits due."""

    id: str
    url: str
    back: str
    # What the visit is about, for screen readers: several forms share one page.
    label: str
    status: str = ""
    outcome: str = ""
    occurred_at: str = ""
    open: bool = False


def visit_action(interaction_id: uuid.UUID, back: str, label: str) -> VisitAction:
    return VisitAction(
        id=str(interaction_id), url=f"/visits/{interaction_id}/outcome", back=back, label=label
    )


@dataclass(slots=True)
class Panel:
    """Everything the 360 card needs beyond ``views.ProfileView``."""

    id: str
    url: str
    back: str
    merged: bool
    display_name: str
    given_name: str
    family_name: str
    language: str
    preferred_channel: str
    vulnerable: bool
    segments: str
    identities: list[IdentityRow]
    consents: list[ConsentRow]
    figures: list[Fact]
    merges: list[MergeRow]
    languages: list[Choice]
    channels: list[Choice]
    kinds: list[Choice]
    purposes: list[Choice]
    consent_channels: list[Choice]
    today: str
    now_local: str
    error: FormError | None = None
    values: dict[str, str] = field(default_factory=dict)
    notice: str | None = None
    notice_merge: MergeRow | None = None
    # Scheduled visits on the timeline, by interaction id: their outcome form.
    open_visits: dict[str, VisitAction] = field(default_factory=dict)


def _kind_label(kind: str, l10n: Localizer) -> str:
    return l10n.gettext(IDENTITY_KINDS[kind]) if kind in IDENTITY_KINDS else kind


def identity_rows(customer: Customer, l10n: Localizer) -> list[IdentityRow]:
    served: dict[str, list[str]] = {}
    for channel, kind in CHANNEL_IDENTITY_KIND.items():
        served.setdefault(kind, []).append(channel)
    return [
        IdentityRow(
            id=str(i.id),
            kind=i.kind,
            kind_label=_kind_label(i.kind, l10n),
            icon=ICONS_OF_KIND.get(i.kind, "user"),
            value=display_handle(i.kind, i.value),
            verified=i.verified,
            label=i.label,
            channels=[channel_view(c, l10n) for c in served.get(i.kind, [])],
        )
        for i in customer.identities
    ]


def purpose_label(code: str, l10n: Localizer) -> str:
    return l10n.gettext(PURPOSES[code]) if code in PURPOSES else code


def consent_channel_label(code: str, l10n: Localizer) -> str:
    return l10n.gettext(EVERY_CHANNEL) if code == ANY else channel_view(code, l10n).label


def source_label(code: str, l10n: Localizer) -> str:
    return l10n.gettext(SOURCES[code]) if code in SOURCES else code


def consent_rows(rows: Sequence[Consent], l10n: Localizer, now: datetime) -> list[ConsentRow]:
    return [
        ConsentRow(
            purpose=purpose_label(c.purpose, l10n),
            channel=consent_channel_label(c.channel, l10n),
            granted=c.granted,
            source=source_label(c.source, l10n),
            note=c.note,
            at=l10n.moment(c.recorded_at, now),
        )
        for c in sorted(rows, key=lambda c: (c.purpose != ANY, c.purpose, c.channel != ANY))
    ]


def _figure(value: Any, kind: str, l10n: Localizer, now: datetime) -> str | None:
    if value is None or isinstance(value, bool | dict | list):
        return None
    if kind == FigureKind.EUROS:
        try:
            amount = float(value)
        except (TypeError, ValueError):
            return None
        return str(format_currency(amount, "EUR", locale=l10n.locale))
    if kind == FigureKind.SINCE:
        try:
            since = date.fromisoformat(str(value)[:10])
        except ValueError:
            return str(value)
        years = max(l10n.today(now).year - since.year, 0)
        noon = datetime(since.year, since.month, since.day, 12, tzinfo=UTC)
        text = l10n.gettext("%(date)s (%(years)s years)") % {
            "date": l10n.calendar_date(noon),
            "years": years,
        }
        return text
    text = str(value).strip()
    return text or None


def value_figures(customer: Customer, l10n: Localizer, now: datetime) -> list[Fact]:
    attributes: Mapping[str, Any] = customer.attributes or {}
    facts = []
    for label, kind, keys in FIGURES:
        for key in keys:
            if key in attributes and (shown := _figure(attributes[key], kind, l10n, now)):
                facts.append(Fact(l10n.gettext(label), shown))
                break
    return facts


def merge_row(
    merge: CustomerMerge, other: Customer | None, l10n: Localizer, now: datetime
) -> MergeRow:
    return MergeRow(
        id=str(merge.id),
        other_name=customer_name(other) if other else str(merge.merged_id),
        other_url=customer_url(merge.merged_id),
        at=l10n.moment(merge.created_at, now),
    )


def channel_choices(l10n: Localizer) -> list[Choice]:
    return [
        Choice(kind, l10n.gettext(style.label))
        for kind, style in CHANNELS.items()
        if kind != "internal"
    ]


def build_panel(
    customer: Customer,
    consents: Sequence[Consent],
    merges: Sequence[tuple[CustomerMerge, Customer | None]],
    l10n: Localizer,
    now: datetime,
    *,
    back: str,
) -> Panel:
    local_now = l10n.local(now)
    return Panel(
        id=str(customer.id),
        url=customer_url(customer.id),
        back=back,
        merged=customer.merged_into_id is not None,
        display_name=customer.display_name,
        given_name=customer.given_name or "",
        family_name=customer.family_name or "",
        language=customer.language or "",
        preferred_channel=customer.preferred_channel or "",
        vulnerable=customer.vulnerable,
        segments=", ".join(customer.segments or []),
        identities=identity_rows(customer, l10n),
        consents=consent_rows(consents, l10n, now),
        figures=value_figures(customer, l10n, now),
        merges=[merge_row(m, other, l10n, now) for m, other in merges],
        languages=[Choice(code, l10n.gettext(label)) for code, label in LANGUAGES.items()],
        channels=channel_choices(l10n),
        kinds=[Choice(k, _kind_label(k, l10n)) for k in ADDABLE_KINDS],
        purposes=[Choice(code, l10n.gettext(label)) for code, label in PURPOSES.items()],
        consent_channels=[Choice(ANY, l10n.gettext(EVERY_CHANNEL))]
        + [Choice(c, channel_view(c, l10n).label) for c in MESSAGE_CHANNELS],
        today=local_now.date().isoformat(),
        now_local=local_now.strftime("%Y-%m-%dT%H:%M"),
    )


# --- the customers page ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CustomerRow:
    id: str
    url: str
    name: str
    vulnerable: bool
    identities: list[IdentityRow]
    segments: list[str]
    last_activity: Moment | None


def customer_rows(
    customers: Sequence[Customer],
    activity: Mapping[uuid.UUID, datetime],
    l10n: Localizer,
    now: datetime,
) -> list[CustomerRow]:
    return [
        CustomerRow(
            id=str(c.id),
            url=customer_url(c.id),
            name=customer_name(c),
            vulnerable=c.vulnerable,
            identities=identity_rows(c, l10n),
            segments=list(c.segments or []),
            last_activity=l10n.moment(activity[c.id], now) if c.id in activity else None,
        )
        for c in customers
    ]


# --- merging ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Side:
    id: str
    url: str
    name: str
    facts: list[Fact]
    identities: list[IdentityRow]
    segments: list[str]
    vulnerable: bool
    merged: bool
    conversations: int
    active_conversations: int
    interactions: int
    last_activity: Moment | None


def _field(name: str, l10n: Localizer) -> str:
    return l10n.gettext(PROFILE_FIELDS[name])


def side(customer: Customer, figures: CustomerFigures, l10n: Localizer, now: datetime) -> Side:
    language = customer.language or ""
    facts = [
        Fact(_field("given_name", l10n), customer.given_name or "—"),
        Fact(_field("family_name", l10n), customer.family_name or "—"),
        Fact(
            _field("language", l10n),
            l10n.gettext(LANGUAGES[language]) if language in LANGUAGES else (language or "—"),
        ),
        Fact(
            _field("preferred_channel", l10n),
            channel_view(customer.preferred_channel, l10n).label
            if customer.preferred_channel
            else "—",
        ),
        *value_figures(customer, l10n, now),
    ]
    return Side(
        id=str(customer.id),
        url=customer_url(customer.id),
        name=customer_name(customer),
        facts=facts,
        identities=identity_rows(customer, l10n),
        segments=list(customer.segments or []),
        vulnerable=customer.vulnerable,
        merged=customer.merged_into_id is not None,
        conversations=figures.conversations,
        active_conversations=figures.active_conversations,
        interactions=figures.interactions,
        last_activity=l10n.moment(figures.last_activity, now) if figures.last_activity else None,
    )


# --- history and ledger ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChangeRow:
    field: str
    old: str
    new: str
    who: str
    source: str
    at: Moment


def _shown(field_name: str, value: Any, l10n: Localizer) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return l10n.gettext("Yes") if value else l10n.gettext("No")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if field_name == "preferred_channel":
        return channel_view(str(value), l10n).label
    if field_name == "language" and value in LANGUAGES:
        return l10n.gettext(LANGUAGES[value])
    return str(value)


def change_rows(
    changes: Sequence[ProfileChange],
    names: Mapping[uuid.UUID, str],
    l10n: Localizer,
    now: datetime,
) -> list[ChangeRow]:
    rows = []
    for change in changes:
        label = PROFILE_FIELDS.get(change.field)
        rows.append(
            ChangeRow(
                field=l10n.gettext(label) if label else change.field,
                old=_shown(change.field, change.old_value, l10n),
                new=_shown(change.field, change.new_value, l10n),
                who=names.get(change.operator_id, "—") if change.operator_id else "—",
                source=source_label(change.source, l10n),
                at=l10n.moment(change.created_at, now),
            )
        )
    return rows


@dataclass(frozen=True, slots=True)
class LedgerRow:
    purpose: str
    channel: str
    granted: bool
    source: str
    note: str
    who: str
    at: Moment


def ledger_rows(
    rows: Sequence[Consent], names: Mapping[uuid.UUID, str], l10n: Localizer, now: datetime
) -> list[LedgerRow]:
    return [
        LedgerRow(
            purpose=purpose_label(c.purpose, l10n),
            channel=consent_channel_label(c.channel, l10n),
            granted=c.granted,
            source=source_label(c.source, l10n),
            note=c.note,
            who=names.get(c.operator_id, "—") if c.operator_id else "—",
            at=l10n.moment(c.recorded_at, now),
        )
        for c in rows
    ]


# --- visits --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VisitRow:
    action: VisitAction
    kind: ChannelView
    due: Moment | None
    overdue: bool
    customer_name: str
    customer_url: str
    vulnerable: bool
    place: str
    reason: str
    staff: str


def visit_rows(
    found: Sequence[tuple[Interaction, Customer]], l10n: Localizer, now: datetime, *, back: str
) -> list[VisitRow]:
    rows = []
    for interaction, customer in found:
        meta = interaction.meta or {}
        due_at: datetime | None = None
        try:
            due_at = datetime.fromisoformat(str(meta["scheduled_for"]))
        except (KeyError, ValueError):
            due_at = None
        place = meta.get("address") if interaction.channel == "home_visit" else meta.get("branch")
        rows.append(
            VisitRow(
                action=visit_action(interaction.id, back, customer_name(customer)),
                kind=channel_view(interaction.channel, l10n),
                due=l10n.moment(due_at, now) if due_at and due_at.tzinfo else None,
                overdue=bool(due_at and due_at.tzinfo and due_at < now),
                customer_name=customer_name(customer),
                customer_url=customer_url(customer.id),
                vulnerable=customer.vulnerable,
                place=str(place or ""),
                reason=str(meta.get("reason") or ""),
                staff=str(meta.get("staff") or ""),
            )
        )
    return rows
