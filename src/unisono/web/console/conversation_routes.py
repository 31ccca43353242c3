"""Console actions on a conversation: reply, note, send a template, assign, status, priority,
labels.

The conversation page itself is ``routes._customer_page``; :func:`workspace` adds what this
module shows on it (the composer, the conversation card, mentions highlighted, recordings).
The composer offers the studio's approved templates for the chosen channel, rendered for the
customer (``studio.operator_use``): open and alone when free text is blocked (WhatsApp outside
its window), otherwise behind a disclosure whose list is loaded when it is opened, so opening
a conversation neither renders every template nor records that read of the customer's data.
Every form posts here and works as a plain POST answered with a 303 back to the page; htmx
swaps only the part that changed. A refused action re-renders the page (status 422) with the
error in its form and what the operator typed kept, never an error page.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Query, Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from unisono.clock import utcnow
from unisono.errors import Invalid, UnisonoError
from unisono.inbox.canned import find_canned
from unisono.inbox.conversations import (
    ConversationChanges,
    access_conversation,
    do_update_conversation,
)
from unisono.inbox.ingest import MAX_TEXT_LENGTH
from unisono.inbox.mentions import (
    Colleague,
    active_colleagues,
    do_mark_mentions_seen,
    list_mentions,
    mention_segments,
    mentioned_in,
    unseen_mentions,
)
from unisono.inbox.replies import (
    ReplyOption,
    default_reply_channel,
    do_add_note,
    do_reply,
    reply_options,
)
from unisono.media.attachments import download_attachment
from unisono.models import (
    AttachmentStatus,
    Conversation,
    ConversationStatus,
    Customer,
    Direction,
    Interaction,
    Priority,
    Team,
)
from unisono.security.actor import Actor
from unisono.security.operators import operator_names
from unisono.studio.operator_use import Insertable, do_send_template, insertable_templates
from unisono.studio.spec import VARIANT_CHANNELS, VariantKind
from unisono.web.console.auth import ConsoleActor, CsrfChecked
from unisono.web.console.customer_views import purpose_label
from unisono.web.console.i18n import N_, Localizer
from unisono.web.console.pages import Page, SignedInPage, harden
from unisono.web.console.views import (
    PRIORITIES,
    STATUSES,
    ChannelView,
    ConversationView,
    channel_view,
    conversation_url,
    conversation_view,
)
from unisono.web.deps import SessionDep

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

MENTIONS_PAGE_SIZE = 25
MODES = ("reply", "note")

# Domain errors by their reason, as the operator reads them in the form.
REPLY_ERRORS = {
    "empty_message": N_("Write a message first."),
    "message_too_long": N_("The message is too long."),
    "no_reply_channel": N_(
        "The customer has not written on a channel we can answer on: choose a channel."
    ),
    "not_a_reply_channel": N_("Replies cannot be sent on this channel: choose another one."),
    "no_recipient": N_(
        "The customer has no address or number for this channel: choose another one."
    ),
    "service_window_closed": N_(
        "%(channel)s accepts free text only within %(hours)s hours of the customer's last "
        "message: send an approved template or choose another channel."
    ),
}
CARD_ERRORS = {
    "labels": N_("A label has at most 64 characters, and a conversation at most 50 labels."),
    "gone": N_("That operator or team is no longer available: reload the page."),
}
BLOCKED = {
    "not_configured": N_(
        "No %(channel)s channel is configured, so nothing can be sent on it. "
        "Choose another channel."
    ),
    "service_window_closed": N_(
        "%(channel)s accepts free text only within %(hours)s hours of the customer's last "
        "message (%(last)s). Send an approved template, or choose another channel."
    ),
    "never_wrote": N_(
        "%(channel)s accepts free text only within %(hours)s hours of the customer's last "
        "message, and the customer has never written on it. Send an approved template, or "
        "choose another channel."
    ),
}
OPTION_NOTES = {
    "not_configured": N_("not configured"),
    "service_window_closed": N_("templates only"),
}
# The channels the studio writes for (a template variant is sent on them).
TEMPLATE_CHANNELS = frozenset(c for channels in VARIANT_CHANNELS.values() for c in channels)
# Variant kinds whose whole message is the text, so it can go into the textarea to be edited.
EDITABLE_KINDS = (VariantKind.SMS, VariantKind.WHATSAPP)
# Why an approved template cannot go to this customer, by the studio's code (never its English).
TEMPLATE_BLOCKED = {
    "missing_data": N_(
        "The customer's profile lacks data this template needs (see its preview in the studio)."
    ),
    "render_error": N_("It cannot be written for this customer (see its preview in the studio)."),
    "lint_errors": N_("The message for this customer breaks a rule of the studio:"),
    "consent_refused": N_(
        "The customer's consents do not allow messages of this purpose on this channel."
    ),
    "no_whatsapp_template": N_(
        "Outside the 24-hour window WhatsApp takes only a template registered with Meta, and "
        "this one names none."
    ),
}
# ``missing_data`` when the variables are known: which ones the customer's profile lacks.
TEMPLATE_MISSING = N_(
    "The customer's profile lacks data this template needs: %(names)s (see its preview in the "
    "studio)."
)
VARIANT_LABELS = {
    VariantKind.PUSH: N_("Push notification"),
    VariantKind.IN_APP: N_("In-app message"),
}
TEMPLATE_NOT_SENT = N_("The template was not sent.")
# A refused template send, by the error's reason or code.
TEMPLATE_ERRORS = {
    "template_not_approved": N_(
        "This template has no approved version any more: reload the page and choose another."
    ),
    "not_found": N_("This template no longer exists: reload the page and choose another."),
    "no_variant_for_channel": N_("This template has no version for this channel."),
    "bad_template": N_("Choose a template from the list."),
}


# --- what the page shows ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ComposerInput:
    """What the operator sent, shown again when it was refused (or a channel was switched)."""

    mode: str = "reply"
    channel: str | None = None
    text: str = ""
    error: str | None = None
    # The list of templates is shown (else it is loaded when the operator opens it).
    templates_open: bool = False


@dataclass(frozen=True, slots=True)
class ChannelOption:
    channel: ChannelView
    note: str | None
    selected: bool


@dataclass(frozen=True, slots=True)
class FindingView:
    text: str
    severity: str


@dataclass(frozen=True, slots=True)
class TemplateOffer:
    """An approved template as the composer shows it, rendered for the customer."""

    # What its send button posts: the template's id and the variant kind.
    value: str
    name: str
    description: str
    purpose: str
    variant: str | None  # when the channel takes several kinds (an app: push or in-app)
    subject: str | None
    text: str
    meta_template: str | None  # the name of the WhatsApp template registered with Meta
    findings: list[FindingView]
    blocked: str | None  # why it cannot be sent, translated
    insertable: bool  # its text may go into the textarea (free text is allowed now)

    @property
    def sendable(self) -> bool:
        return self.blocked is None


@dataclass(frozen=True, slots=True)
class TemplatesView:
    """The composer's approved templates for the chosen channel."""

    channel: ChannelView
    # Open and alone when free text is blocked; a disclosure otherwise.
    prominent: bool
    # The offers were rendered and the list is open (else ``url`` loads it when it opens).
    loaded: bool
    offers: list[TemplateOffer]
    url: str
    # The page with the list open, for a browser without JavaScript.
    open_url: str
    send_url: str


@dataclass(frozen=True, slots=True)
class ComposerView:
    action: str
    conversation_id: str
    mode: str
    options: list[ChannelOption]
    channel: ChannelView | None
    text: str
    error: str | None
    # Why free text cannot be sent on the chosen channel (the textarea is disabled).
    blocked: str | None
    # Approved templates the operator may send instead (None: the channel takes none).
    templates: TemplatesView | None = None


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str
    selected: bool


@dataclass(frozen=True, slots=True)
class CardView:
    conversation: ConversationView
    base: str
    assignee: str | None
    assigned_to_me: bool
    team: str | None
    operators: list[Choice]
    teams: list[Choice]
    statuses: list[Choice]
    priorities: list[Choice]
    error: str | None


@dataclass(frozen=True, slots=True)
class MediaView:
    url: str
    name: str
    content_type: str
    audio: bool
    pending: bool


def _translate(l10n: Localizer, message: str, **values: Any) -> str:
    text = l10n.gettext(message)
    return text % values if values else text


def _composer_input(request: Request) -> ComposerInput:
    """The composer's state: what a refused POST kept, else the page's ``?mode=&channel=``."""
    kept = getattr(request.state, "composer_input", None)
    if isinstance(kept, ComposerInput):
        return kept
    mode = request.query_params.get("mode", "reply")
    channel = request.query_params.get("channel") or None
    return ComposerInput(
        mode=mode if mode in MODES else "reply",
        channel=channel,
        templates_open=request.query_params.get("templates") == "1",
    )


def _blocked_reason(option: ReplyOption, l10n: Localizer, label: str) -> str | None:
    if option.blocked is None:
        return None
    if option.blocked == "service_window_closed":
        if option.last_inbound_at is None:
            return _translate(
                l10n, BLOCKED["never_wrote"], channel=label, hours=option.window_hours
            )
        return _translate(
            l10n,
            BLOCKED["service_window_closed"],
            channel=label,
            hours=option.window_hours,
            last=l10n.date_and_time(option.last_inbound_at),
        )
    return _translate(l10n, BLOCKED.get(option.blocked, BLOCKED["not_configured"]), channel=label)


def template_offer(offer: Insertable, l10n: Localizer, *, free_text: bool) -> TemplateOffer:
    """``offer`` as the composer shows it; reasons and findings in the operator's language."""
    reason = None
    if offer.blocked is not None:
        reason = _template_blocked(offer.blocked, offer.missing, l10n)
    meta = offer.content.meta if offer.content is not None else {}
    shown = offer.findings if offer.blocked is None else offer.errors
    return TemplateOffer(
        value=f"{offer.template_id}:{offer.kind.value}",
        name=offer.name,
        description=offer.description,
        purpose=purpose_label(offer.purpose.value, l10n),
        variant=l10n.gettext(VARIANT_LABELS[offer.kind]) if offer.kind in VARIANT_LABELS else None,
        subject=offer.subject,
        text=offer.text,
        meta_template=str(meta["template_name"]) if meta.get("template_name") else None,
        findings=[FindingView(f.text(l10n.gettext), f.severity.value) for f in shown],
        blocked=reason,
        insertable=free_text and offer.sendable and offer.kind in EDITABLE_KINDS,
    )


def templates_view(
    session: Session,
    actor: Actor,
    conversation: Conversation,
    l10n: Localizer,
    option: ReplyOption | None,
    channel: ChannelView | None,
    state: ComposerInput,
) -> TemplatesView | None:
    """The approved templates for the chosen channel, rendered only when the list is shown:
    free text is blocked there, or the operator opened it."""
    if (
        option is None
        or channel is None
        or state.mode != "reply"
        or option.channel not in TEMPLATE_CHANNELS
        or option.blocked == "not_configured"
    ):
        return None
    free_text = option.blocked is None
    shown = not free_text or state.templates_open
    offers = (
        [
            template_offer(offer, l10n, free_text=free_text)
            for offer in insertable_templates(session, actor, conversation, option.channel)
        ]
        if shown
        else []
    )
    base = conversation_url(conversation.id)
    return TemplatesView(
        channel=channel,
        prominent=not free_text,
        loaded=shown,
        offers=offers,
        url=f"{base}/templates?{urlencode({'channel': option.channel})}",
        open_url=f"{base}?{urlencode({'channel': option.channel, 'templates': '1'})}"
        "#composer-templates",
        send_url=f"{base}/templates/send",
    )


def composer_view(
    session: Session,
    actor: Actor,
    conversation: Conversation,
    l10n: Localizer,
    state: ComposerInput,
    customer: Customer | None = None,
) -> ComposerView:
    """The composer of ``conversation``: the channels to answer on, the chosen one first of all
    the one asked for, else the customer's last (``default_reply_channel``), and the approved
    templates for it."""
    options = reply_options(
        session,
        conversation,
        identity_kinds={i.kind for i in customer.identities} if customer is not None else None,
    )
    by_channel = {o.channel: o for o in options}
    chosen = state.channel if state.channel in by_channel else None
    if chosen is None:
        try:
            default = default_reply_channel(session, conversation)
        except UnisonoError:
            default = ""
        # The customer's channel, else one that can take free text now, else any.
        ranked = sorted(options, key=lambda o: (o.channel != default, o.blocked is not None))
        chosen = ranked[0].channel if ranked else None
    views = {o.channel: channel_view(o.channel, l10n) for o in options}
    selected = by_channel.get(chosen) if chosen else None
    channel = views[selected.channel] if selected else None
    return ComposerView(
        action=f"{conversation_url(conversation.id)}/compose",
        conversation_id=str(conversation.id),
        mode=state.mode,
        options=[
            ChannelOption(
                channel=views[o.channel],
                note=l10n.gettext(OPTION_NOTES[o.blocked]) if o.blocked in OPTION_NOTES else None,
                selected=o.channel == chosen,
            )
            for o in options
        ],
        channel=channel,
        text=state.text,
        error=state.error,
        blocked=(
            _blocked_reason(selected, l10n, views[selected.channel].label)
            if selected and state.mode == "reply"
            else None
        ),
        templates=templates_view(session, actor, conversation, l10n, selected, channel, state),
    )


def _teams(session: Session) -> list[Team]:
    return list(session.scalars(select(Team).order_by(Team.name)))


def card_view(
    session: Session,
    actor: Actor,
    conversation: Conversation,
    l10n: Localizer,
    error: str | None = None,
    colleagues: Sequence[Colleague] | None = None,
) -> CardView:
    """The conversation card: its state and the forms that change it."""
    now = utcnow()
    # The channels it crossed, first use first (what summarize() gives, without the rest).
    crossed = list(
        session.scalars(
            select(Interaction.channel)
            .where(Interaction.conversation_id == conversation.id)
            .group_by(Interaction.channel)
            .order_by(func.min(Interaction.occurred_at))
        )
    )
    people = list(colleagues) if colleagues is not None else active_colleagues(session)
    teams = _teams(session)
    names = {c.id: c.name for c in people}
    assignee = None
    if conversation.assignee_id is not None:
        assignee = names.get(conversation.assignee_id) or operator_names(
            session, {conversation.assignee_id}
        ).get(conversation.assignee_id)
    team = next((t.name for t in teams if t.id == conversation.team_id), None)
    return CardView(
        conversation=conversation_view(conversation, crossed, l10n, now),
        base=conversation_url(conversation.id),
        assignee=assignee,
        assigned_to_me=(
            actor.operator_id is not None and conversation.assignee_id == actor.operator_id
        ),
        team=team,
        operators=[Choice(str(c.id), c.name, c.id == conversation.assignee_id) for c in people],
        teams=[Choice(t.slug, t.name, t.id == conversation.team_id) for t in teams],
        statuses=[
            Choice(code, l10n.gettext(label), code == conversation.status.value)
            for code, label in STATUSES.items()
        ],
        priorities=[
            Choice(code, l10n.gettext(label), code == conversation.priority.value)
            for code, label in PRIORITIES.items()
        ],
        error=error,
    )


def _media(interactions: Sequence[Interaction]) -> dict[str, list[MediaView]]:
    """Stored and awaited attachments per interaction (loaded with the interactions)."""
    media: dict[str, list[MediaView]] = {}
    for interaction in interactions:
        for a in interaction.attachments:
            if a.status == AttachmentStatus.FAILED:
                continue
            media.setdefault(str(interaction.id), []).append(
                MediaView(
                    url=f"/attachments/{a.id}",
                    name=a.filename or a.content_type,
                    content_type=a.content_type,
                    audio=a.content_type.startswith("audio/"),
                    pending=a.status == AttachmentStatus.PENDING,
                )
            )
    return media


def _highlights(
    session: Session, interactions: Sequence[Interaction]
) -> dict[str, list[tuple[str, bool]]]:
    """Notes on the page cut into text and mentions, so mentions show highlighted."""
    notes = [i for i in interactions if i.direction == Direction.NOTE and "@" in i.text]
    mentioned = mentioned_in(session, [n.id for n in notes])
    return {
        str(n.id): mention_segments(n.text, mentioned[n.id]) for n in notes if n.id in mentioned
    }


def workspace(
    session: Session,
    actor: Actor,
    page: Page,
    customer: Customer,
    conversation: Conversation | None,
    interactions: Sequence[Interaction],
) -> dict[str, Any]:
    """What this module adds to the customer page; opening a conversation marks the operator's
    mentions in it seen."""
    context: dict[str, Any] = {
        "composer": None,
        "card": None,
        "highlights": _highlights(session, interactions),
        "media": _media(interactions),
    }
    if conversation is not None:
        do_mark_mentions_seen(session, actor, conversation.id)
        l10n = page.l10n
        context["composer"] = composer_view(
            session, actor, conversation, l10n, _composer_input(page.request), customer
        )
        context["card"] = card_view(
            session, actor, conversation, l10n, getattr(page.request.state, "card_error", None)
        )
    return context


# --- answering --------------------------------------------------------------------------------


def _redirect(target: str) -> RedirectResponse:
    response = RedirectResponse(target, status_code=303)
    harden(response)
    return response


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _page_again(
    session: Session,
    actor: Actor,
    page: Page,
    conversation: Conversation,
    status_code: int,
) -> Response:
    """The conversation page as it is now, with the state the request left for its forms."""
    # Imported here: the page lives in routes, which includes this module's router.
    from unisono.web.console.routes import _customer_page

    response = _customer_page(session, actor, page, conversation.customer_id, conversation, None)
    response.status_code = status_code
    return response


def _reply_error(exc: UnisonoError, channel: str | None, l10n: Localizer) -> str:
    reason = exc.extra.get("reason")
    if reason == "service_window_closed":
        label = channel_view(channel or "", l10n).label
        return _translate(l10n, REPLY_ERRORS[reason], channel=label, hours=24)
    if isinstance(reason, str) and reason in REPLY_ERRORS:
        return l10n.gettext(REPLY_ERRORS[reason])
    return _translate(l10n, N_("The message could not be sent: %(detail)s"), detail=exc.detail)


@router.post("/conversations/{conversation_id}/compose")
def compose(
    conversation_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    _csrf: CsrfChecked,
    action: Annotated[str, Form(max_length=10)] = "send",
    mode: Annotated[str, Form(max_length=10)] = "reply",
    channel: Annotated[str, Form(max_length=32)] = "",
    text: Annotated[str, Form(max_length=MAX_TEXT_LENGTH + 1000)] = "",
) -> Response:
    """Send a reply or add a note; ``action=switch`` only shows the composer for another
    channel or mode (what the channel list and the mode tabs do without JavaScript)."""
    conversation = access_conversation(session, actor, conversation_id)
    mode = mode if mode in MODES else "reply"
    state = ComposerInput(mode=mode, channel=channel or None, text=text)
    if action == "send":
        try:
            if mode == "note":
                do_add_note(session, actor, conversation, text)
                return _redirect(f"{conversation_url(conversation.id)}#composer")
            do_reply(session, actor, conversation, text, channel=channel or None)
        except UnisonoError as exc:
            if exc.status >= 500 or exc.status in (401, 403, 404):
                raise
            # Nothing the refused reply did is kept (the session rolls back on this path too).
            session.rollback()
            conversation = access_conversation(session, actor, conversation_id)
            state = ComposerInput(
                mode=mode,
                channel=channel or None,
                text=text,
                error=_reply_error(exc, channel, page.l10n),
            )
            request.state.composer_input = state
            return _page_again(session, actor, page, conversation, 422)
        query = urlencode({"channel": channel}) if channel else ""
        return _redirect(
            f"{conversation_url(conversation.id)}{'?' + query if query else ''}#composer"
        )
    if _is_htmx(request):
        return page.render(
            "console/_composer.html",
            composer=composer_view(session, actor, conversation, page.l10n, state),
        )
    request.state.composer_input = state
    return _page_again(session, actor, page, conversation, 200)


# --- studio templates in the composer ---------------------------------------------------------


@router.get("/conversations/{conversation_id}/templates")
def composer_templates(
    conversation_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    channel: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    """The composer's list of approved templates for ``channel``, rendered for the customer
    (what the disclosure loads when it opens; without htmx, the page with the list open)."""
    conversation = access_conversation(session, actor, conversation_id)
    state = ComposerInput(channel=channel or None, templates_open=True)
    if not _is_htmx(request):
        query = urlencode({"channel": channel, "templates": "1"} if channel else {"templates": "1"})
        return _redirect(f"{conversation_url(conversation.id)}?{query}#composer-templates")
    composer = composer_view(session, actor, conversation, page.l10n, state)
    return page.render("console/_composer_templates.html", composer=composer)


def _template_blocked(reason: str, missing: Sequence[str], l10n: Localizer) -> str:
    """Why a template cannot go to this customer, in the operator's language."""
    if reason == "missing_data" and missing:
        return _translate(l10n, TEMPLATE_MISSING, names=", ".join(missing))
    return l10n.gettext(TEMPLATE_BLOCKED.get(reason, TEMPLATE_BLOCKED["render_error"]))


def _template_error(exc: UnisonoError, channel: str | None, l10n: Localizer) -> str:
    reason = exc.extra.get("reason")
    if isinstance(reason, str) and reason in TEMPLATE_BLOCKED:
        missing = [str(m) for m in exc.extra.get("missing") or []]
        sentence = _template_blocked(reason, missing, l10n)
        findings = [f for f in exc.extra.get("findings") or [] if isinstance(f, dict)]
        if findings:
            sentence = f"{sentence} {' '.join(_finding_text(f, l10n) for f in findings)}"
        return f"{l10n.gettext(TEMPLATE_NOT_SENT)} {sentence}"
    for key in (reason, exc.code):
        if isinstance(key, str) and key in TEMPLATE_ERRORS:
            return l10n.gettext(TEMPLATE_ERRORS[key])
    return _reply_error(exc, channel, l10n)


def _finding_text(finding: dict[str, Any], l10n: Localizer) -> str:
    """A finding as problem details carry it (``studio.workflow.finding_json``), translated:
    its message is a msgid with placeholders, its params names and numbers."""
    message = l10n.gettext(str(finding.get("message", "")))
    params = finding.get("params")
    try:
        return message % params if isinstance(params, dict) and params else message
    except (KeyError, TypeError, ValueError):
        return str(finding.get("text", ""))


def _parse_template(value: str) -> tuple[uuid.UUID, str | None] | None:
    """A send button's value: ``<template id>:<variant kind>``."""
    template_id, _, kind = value.partition(":")
    try:
        return uuid.UUID(template_id), kind or None
    except ValueError:
        return None


@router.post("/conversations/{conversation_id}/templates/send")
def send_template(
    conversation_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    _csrf: CsrfChecked,
    template: Annotated[str, Form(max_length=80)] = "",
    channel: Annotated[str, Form(max_length=32)] = "",
    text: Annotated[str, Form(max_length=MAX_TEXT_LENGTH + 1000)] = "",
) -> Response:
    """Send the approved template (the composer's button: ``<id>:<kind>``) on ``channel``; a
    refusal shows in the composer with the list open and the operator's text kept."""
    conversation = access_conversation(session, actor, conversation_id)
    chosen = _parse_template(template)
    try:
        if chosen is None:
            raise Invalid("choose a template", reason="bad_template")
        do_send_template(session, actor, conversation, chosen[0], channel or None, kind=chosen[1])
    except UnisonoError as exc:
        if exc.status >= 500 or exc.status in (401, 403):
            raise
        # A 404 here is the template's (the conversation was found): said in the form.
        session.rollback()
        conversation = access_conversation(session, actor, conversation_id)
        request.state.composer_input = ComposerInput(
            channel=channel or None,
            text=text,
            error=_template_error(exc, channel, page.l10n),
            templates_open=True,
        )
        return _page_again(session, actor, page, conversation, 422)
    query = urlencode({"channel": channel}) if channel else ""
    return _redirect(f"{conversation_url(conversation.id)}{'?' + query if query else ''}#composer")


# --- the conversation card --------------------------------------------------------------------


def _card_change(
    request: Request,
    session: Session,
    actor: Actor,
    page: Page,
    conversation_id: uuid.UUID,
    changes: ConversationChanges,
) -> Response:
    conversation = access_conversation(session, actor, conversation_id)
    error = None
    try:
        do_update_conversation(session, actor, conversation, changes)
    except UnisonoError as exc:
        if exc.status >= 500 or exc.status in (401, 403, 404):
            raise
        session.rollback()
        conversation = access_conversation(session, actor, conversation_id)
        problem = "labels" if changes.labels is not None else "gone"
        error = page.gettext(CARD_ERRORS[problem])
    if _is_htmx(request):
        return page.render(
            "console/_conversation_card.html",
            status_code=422 if error else 200,
            card=card_view(session, actor, conversation, page.l10n, error),
        )
    if error:
        request.state.card_error = error
        return _page_again(session, actor, page, conversation, 422)
    return _redirect(f"{conversation_url(conversation.id)}#conversation-card")


@router.post("/conversations/{conversation_id}/assign")
def assign(
    conversation_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    _csrf: CsrfChecked,
    assignee: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Assign to ``me``, to an operator (their id) or to nobody (empty)."""
    if assignee == "me":
        assignee_id = actor.operator_id
    elif assignee:
        try:
            assignee_id = uuid.UUID(assignee)
        except ValueError:
            assignee_id = uuid.UUID(int=0)  # nobody has it: refused as an unknown operator
    else:
        assignee_id = None
    return _card_change(
        request,
        session,
        actor,
        page,
        conversation_id,
        ConversationChanges(assignee_id=assignee_id, assignee_set=True),
    )


@router.post("/conversations/{conversation_id}/team")
def set_team(
    conversation_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    _csrf: CsrfChecked,
    team: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Hand the conversation to a team (its slug), or to no team (empty)."""
    return _card_change(
        request,
        session,
        actor,
        page,
        conversation_id,
        ConversationChanges(team=team or None, team_set=True),
    )


@router.post("/conversations/{conversation_id}/status")
def set_status(
    conversation_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    _csrf: CsrfChecked,
    status: Annotated[ConversationStatus, Form()],
) -> Response:
    return _card_change(
        request, session, actor, page, conversation_id, ConversationChanges(status=status)
    )


@router.post("/conversations/{conversation_id}/priority")
def set_priority(
    conversation_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    _csrf: CsrfChecked,
    priority: Annotated[Priority, Form()],
) -> Response:
    return _card_change(
        request, session, actor, page, conversation_id, ConversationChanges(priority=priority)
    )


@router.post("/conversations/{conversation_id}/labels")
def change_labels(
    conversation_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    _csrf: CsrfChecked,
    label: Annotated[str, Form(max_length=200)] = "",
    remove: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Add ``label``, or take ``remove`` off."""
    conversation = access_conversation(session, actor, conversation_id)
    labels = [lbl for lbl in (conversation.labels or []) if lbl != remove]
    if label.strip():
        labels.append(label)
    return _card_change(
        request, session, actor, page, conversation_id, ConversationChanges(labels=labels)
    )


# --- canned responses, attachments, mentions --------------------------------------------------


@router.get("/canned")
def canned_suggestions(
    session: SessionDep,
    actor: ConsoleActor,
    q: Annotated[str, Query(max_length=65)] = "",
) -> Response:
    """The canned responses whose shortcut starts with ``q`` (JSON for the composer's list)."""
    found = find_canned(session, actor, q)
    response = JSONResponse(
        [{"shortcut": c.shortcut, "title": c.title, "body": c.body} for c in found]
    )
    harden(response)
    return response


# Played or shown by the browser; anything else is downloaded, never rendered on our origin.
INLINE_TYPES = ("audio/", "image/png", "image/jpeg", "image/gif", "image/webp")


@router.get("/attachments/{attachment_id}")
def attachment(attachment_id: uuid.UUID, session: SessionDep, actor: ConsoleActor) -> Response:
    """An attachment's bytes (a call's recording for the player); the read is audited."""
    stored, data = download_attachment(session, actor, attachment_id)
    name = quote(stored.filename or f"{stored.id}")
    disposition = "inline" if stored.content_type.startswith(INLINE_TYPES) else "attachment"
    response = Response(
        data,
        media_type=stored.content_type,
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{name}",
            # Whatever the bytes are, they run nothing here.
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "ETag": f'"{stored.sha256}"',
        },
    )
    harden(response)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@dataclass(frozen=True, slots=True)
class MentionRow:
    url: str
    customer: str
    author: str
    text: str
    at: Any
    seen: bool


@router.get("/mentions")
def mentions_page(
    session: SessionDep,
    actor: ConsoleActor,
    page: SignedInPage,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """The notes that mention the signed-in operator, newest first."""
    result = list_mentions(session, actor, cursor=cursor, limit=MENTIONS_PAGE_SIZE)
    authors = operator_names(
        session, {m.note.operator_id for m in result.items if m.note.operator_id}
    )
    now = utcnow()
    rows = [
        MentionRow(
            url=f"{conversation_url(m.note.conversation_id)}#i-{m.note.id}"
            if m.note.conversation_id
            else f"/customers/{m.note.customer_id}",
            customer=m.customer_name.strip() or "—",
            author=authors.get(m.note.operator_id, "") if m.note.operator_id else "",
            text=m.note.text,
            at=page.l10n.moment(m.note.occurred_at, now),
            seen=m.seen,
        )
        for m in result.items
    ]
    return page.render(
        "console/mentions.html",
        nav="mentions",
        rows=rows,
        first_url="/mentions" if cursor else None,
        next_url=(
            "/mentions?" + urlencode({"cursor": result.next_cursor}) if result.next_cursor else None
        ),
    )


@router.get("/mentions/count")
def mentions_count(session: SessionDep, actor: ConsoleActor, page: SignedInPage) -> Response:
    """The badge of unseen mentions beside the link to them (loaded by htmx)."""
    return page.render("console/_mention_count.html", count=unseen_mentions(session, actor))
