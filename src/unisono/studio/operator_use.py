"""Operator use: approved templates offered in a conversation and sent to its customer.

In the composer, an operator answering on a channel sees the approved templates that have a
variant for it (``spec.VARIANT_CHANNELS``), each already rendered for the conversation's
customer in the customer's language (the template's first locale when it lacks theirs).
:func:`insertable_templates` lists them, with what would stop each one: a variable the profile
does not supply, a render error, a lint error on this customer's message (an SMS over the
configured number of parts, ``UNISONO_STUDIO_MAX_SMS_SEGMENTS``), or the customer's consent
for the template's purpose on this channel. Such a template is shown but cannot be sent.

:func:`do_send_template` repeats every check at send time on the approved version (only an
approved version is ever sent to a customer) and queues the message exactly like an
operator's reply (``inbox.replies.queue_outbound``), so the worker sends it. Interaction
metadata carries ``studio`` (template id and name, version, purpose, variant, locale,
content hash) and what the adapter needs: an email's ``subject`` and ``html``; a push or
in-app ``subject`` (the title); for WhatsApp outside the 24-hour window a template message
(``template_name``, ``template_language``, ``template_parameters`` with
``template_parameter_names``, Meta's named parameters), inside it the variant's free-form
``text`` when it has one.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from unisono.config import get_settings
from unisono.customers.consents import allows
from unisono.errors import Conflict, Invalid
from unisono.inbox.ingest import MAX_TEXT_LENGTH
from unisono.inbox.replies import (
    REPLY_CHANNELS,
    check_service_window,
    default_reply_channel,
    queue_outbound,
)
from unisono.models import (
    Conversation,
    Customer,
    Interaction,
    Template,
    TemplateVersion,
    VersionStatus,
)
from unisono.security.actor import Actor
from unisono.security.audit import record_audit
from unisono.studio.blocks import approved_block_sources
from unisono.studio.customer_data import send_locale, template_data
from unisono.studio.email_html import text_from_html
from unisono.studio.lint import Blocks, blocks_for, lint_rendered
from unisono.studio.render import render_variant
from unisono.studio.spec import (
    VARIANT_CHANNELS,
    LintFinding,
    Purpose,
    RenderedVariant,
    Severity,
    VariantKind,
)
from unisono.studio.templates import get_template
from unisono.studio.workflow import finding_json


class TemplateNotApproved(Conflict):
    code = "template_not_approved"


class TemplateNotSendable(Invalid):
    """The approved template cannot go to this customer now (data, render, lint)."""

    code = "template_not_sendable"


class ConsentRefused(Invalid):
    code = "consent_refused"


@dataclass(frozen=True, slots=True)
class MessageContent:
    """What a rendered variant becomes on a channel: the timeline text and the sender's meta."""

    text: str
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def whatsapp_template(self) -> bool:
        return bool(self.meta.get("template_name"))


_META_PARAMETER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")


def body_order(parameters: Mapping[str, str], body_source: str) -> list[str]:
    """The parameter names in the order the template's body uses them (Meta's positional
    order; stored JSON objects do not keep theirs on PostgreSQL), unused ones last."""
    used = list(dict.fromkeys(m.group(1) for m in _META_PARAMETER.finditer(body_source)))
    return [n for n in used if n in parameters] + sorted(n for n in parameters if n not in used)


def message_content(
    rendered: RenderedVariant, *, whatsapp_template: bool, body_source: str = ""
) -> MessageContent:
    """``rendered`` as an outbound message (see the module for the metadata per kind);
    ``body_source`` is a WhatsApp variant's ``body`` as written, for the parameters' order."""
    fields = rendered.fields
    kind = rendered.kind
    if kind is VariantKind.EMAIL:
        return MessageContent(
            fields.get("text", ""), {"subject": fields.get("subject", ""), "html": fields["html"]}
        )
    if kind is VariantKind.WHATSAPP:
        if not whatsapp_template:
            return MessageContent(fields.get("text", ""))
        parameters: Mapping[str, str] = rendered.extra.get("parameters") or {}
        names = body_order(parameters, body_source)
        return MessageContent(
            fields.get("body", ""),
            {
                "template_name": fields.get("template_name", ""),
                "template_language": rendered.locale,
                "template_parameters": [parameters[n] for n in names],
                "template_parameter_names": names,
                "template_category": fields.get("category", ""),
            },
        )
    if kind in (VariantKind.PUSH, VariantKind.IN_APP):
        meta = {"subject": fields.get("title", "")}
        if fields.get("deep_link"):
            meta["deep_link"] = fields["deep_link"]
        return MessageContent(fields.get("body", ""), meta)
    if kind is VariantKind.LETTER:
        return MessageContent(text_from_html(fields.get("html", "")), {"html": fields["html"]})
    return MessageContent(fields.get("text", ""))


@dataclass(frozen=True, slots=True)
class Insertable:
    """An approved template as the composer offers it for one customer on one channel.

    ``blocked`` says why it cannot be sent (None when it can): ``missing_data``,
    ``render_error``, ``lint_errors``, ``consent_refused`` or ``no_whatsapp_template``;
    ``problem`` is the sentence to show; ``missing`` names the variables the customer's
    profile lacks (with ``missing_data``).
    """

    template_id: uuid.UUID
    name: str
    description: str
    purpose: Purpose
    version: int
    content_hash: str
    channel: str
    kind: VariantKind
    locale: str
    rendered: RenderedVariant | None
    content: MessageContent | None
    findings: tuple[LintFinding, ...] = ()
    blocked: str | None = None
    problem: str | None = None
    missing: tuple[str, ...] = ()

    @property
    def sendable(self) -> bool:
        return self.blocked is None

    @property
    def text(self) -> str:
        """The message as the customer will read it (a WhatsApp template's body with values)."""
        return self.content.text if self.content else ""

    @property
    def subject(self) -> str | None:
        """An email's subject, a push or in-app title."""
        value = self.content.meta.get("subject") if self.content else None
        return str(value) if value else None

    @property
    def errors(self) -> list[LintFinding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]


def variant_kinds_for(template: Template, channel: str) -> list[VariantKind]:
    """The template's variant kinds that can be sent on ``channel``, in its order."""
    return [
        VariantKind(k)
        for k in template.variant_kinds
        if channel in VARIANT_CHANNELS.get(VariantKind(k), ())
    ]


def whatsapp_window_open(session: Session, conversation: Conversation, channel: str) -> bool:
    """Whether free-form text may go on ``channel`` now (always, for windowless channels)."""
    try:
        check_service_window(session, conversation, channel, template=False)
    except Invalid:
        return False
    return True


def _prepare(
    template: Template,
    version: TemplateVersion,
    kind: VariantKind,
    channel: str,
    customer: Customer,
    blocks: Blocks,
    *,
    consent: bool,
    window_open: bool,
) -> Insertable:
    """``version``'s ``kind`` variant rendered and checked for ``customer`` on ``channel``."""
    locale = send_locale(template, customer)
    base: dict[str, Any] = {
        "template_id": template.id,
        "name": template.name,
        "description": template.description,
        "purpose": Purpose(template.purpose),
        "version": version.number,
        "content_hash": version.content_hash,
        "channel": channel,
        "kind": kind,
        "locale": locale,
    }
    sources = ((version.variants or {}).get(kind.value) or {}).get(locale) or {}
    try:
        data = template_data(version.schema or [], customer=customer, preview=False)
        rendered = render_variant(
            kind,
            locale,
            sources,
            data.values,
            blocks_for(blocks, locale),
            timezone=get_settings().default_timezone,
        )
    except Invalid as exc:
        if exc.extra.get("reason") == "missing_data":
            missing = tuple(str(name) for name in exc.extra.get("missing") or ())
            return Insertable(
                **base,
                rendered=None,
                content=None,
                blocked="missing_data",
                problem=exc.detail,
                missing=missing,
            )
        return Insertable(
            **base, rendered=None, content=None, blocked="render_error", problem=exc.detail
        )
    findings = tuple(
        lint_rendered(
            rendered,
            template.purpose,
            max_sms_segments=get_settings().studio_max_sms_segments,
            link_allowlist=get_settings().link_allowlist,
        )
    )
    as_template = kind is VariantKind.WHATSAPP and not (window_open and rendered.fields["text"])
    content = message_content(
        rendered, whatsapp_template=as_template, body_source=str(sources.get("body") or "")
    )
    blocked: str | None = None
    problem: str | None = None
    errors = [f for f in findings if f.severity is Severity.ERROR]
    if errors:
        blocked, problem = "lint_errors", errors[0].text()
    elif as_template and not content.meta.get("template_name"):
        blocked = "no_whatsapp_template"
        problem = (
            "outside the 24-hour window WhatsApp takes only a template registered with Meta, "
            "and this variant names none"
        )
    elif not content.text.strip():
        blocked, problem = "render_error", "the message renders empty for this customer"
    elif len(content.text) > MAX_TEXT_LENGTH:
        blocked = "render_error"
        problem = f"the message is longer than {MAX_TEXT_LENGTH} characters for this customer"
    elif not consent:
        blocked = "consent_refused"
        problem = f"the customer's consents do not allow {template.purpose} messages on {channel}"
    return Insertable(
        **base,
        rendered=rendered,
        content=content,
        findings=findings,
        blocked=blocked,
        problem=problem,
    )


def insertable_templates(
    session: Session, actor: Actor, conversation: Conversation, channel: str
) -> list[Insertable]:
    """The approved templates that have a variant for ``channel``, rendered for the
    conversation's customer, by name (one per variant kind: an app gets push and in-app).

    The caller has accessed the conversation; rendering reads the customer's profile, recorded
    as ``template.insertables``. An unknown or non-reply channel has none.
    """
    if channel not in REPLY_CHANNELS:
        return []
    rows = session.execute(
        select(Template, TemplateVersion)
        .join(TemplateVersion, TemplateVersion.template_id == Template.id)
        .where(TemplateVersion.status == VersionStatus.APPROVED)
        .order_by(Template.name)
    ).all()
    offers = [(t, v, variant_kinds_for(t, channel)) for t, v in rows]
    offers = [(t, v, kinds) for t, v, kinds in offers if kinds]
    if not offers:
        return []
    customer = session.get_one(Customer, conversation.customer_id)
    record_audit(
        session,
        actor,
        "template.insertables",
        "conversation",
        conversation.id,
        customer_id=customer.id,
        details={"channel": channel, "templates": len(offers)},
    )
    blocks = approved_block_sources(session)
    window_open = whatsapp_window_open(session, conversation, channel)
    consents: dict[str, bool] = {}
    found: list[Insertable] = []
    for template, version, kinds in offers:
        purpose = str(template.purpose)
        if purpose not in consents:
            consents[purpose] = allows(session, customer.id, purpose, channel)
        found.extend(
            _prepare(
                template,
                version,
                kind,
                channel,
                customer,
                blocks,
                consent=consents[purpose],
                window_open=window_open,
            )
            for kind in kinds
        )
    return found


def approved_template_version(session: Session, template_id: uuid.UUID | str) -> TemplateVersion:
    """The approved version of the template (NotFound for no template; TemplateNotApproved
    when none of its versions is approved)."""
    template = get_template(session, template_id)
    version = session.scalar(
        select(TemplateVersion).where(
            TemplateVersion.template_id == template.id,
            TemplateVersion.status == VersionStatus.APPROVED,
        )
    )
    if version is None:
        raise TemplateNotApproved(
            f"the template {template.name} has no approved version: only approved versions "
            "are sent to customers"
        )
    return version


def do_send_template(
    session: Session,
    actor: Actor,
    conversation: Conversation,
    template_id: uuid.UUID | str,
    channel: str | None = None,
    *,
    kind: str | None = None,
) -> Interaction:
    """Queue the approved version of the template to the conversation's customer on
    ``channel`` (default: the channel the customer last wrote on), as an operator's message.

    ``kind`` picks the variant when the channel takes more than one (an app: ``push`` or
    ``in_app``; default the template's first). Refused when the template has no approved
    version (409 ``template_not_approved``), no variant for the channel, data the profile lacks
    or an error in this customer's message (422 ``template_not_sendable`` with ``findings``), or
    when the customer's consents exclude its purpose on the channel (422 ``consent_refused``).
    """
    channel = channel or default_reply_channel(session, conversation)
    if channel not in REPLY_CHANNELS:
        raise Invalid(
            f"cannot send on '{channel}'; choose one of {', '.join(sorted(REPLY_CHANNELS))}",
            reason="not_a_reply_channel",
        )
    version = approved_template_version(session, template_id)
    template = version.template
    kinds = variant_kinds_for(template, channel)
    if kind is not None:
        kinds = [k for k in kinds if k.value == kind]
    if not kinds:
        raise TemplateNotSendable(
            f"the template {template.name} has no "
            f"{kind + ' ' if kind else ''}variant for {channel}",
            reason="no_variant_for_channel",
        )
    customer = session.get_one(Customer, conversation.customer_id)
    window_open = whatsapp_window_open(session, conversation, channel)
    offer = _prepare(
        template,
        version,
        kinds[0],
        channel,
        customer,
        approved_block_sources(session),
        consent=allows(session, customer.id, str(template.purpose), channel),
        window_open=window_open,
    )
    if offer.blocked == "consent_refused":
        raise ConsentRefused(offer.problem or "refused", reason="consent_refused")
    if offer.blocked is not None or offer.content is None:
        raise TemplateNotSendable(
            offer.problem or "the template cannot be sent",
            reason=offer.blocked,
            findings=[finding_json(f) for f in offer.errors],
            missing=list(offer.missing),
        )
    check_service_window(
        session, conversation, channel, template=offer.content.whatsapp_template or window_open
    )
    studio = {
        "template_id": str(template.id),
        "template_name": template.name,
        "version": version.number,
        "purpose": str(template.purpose),
        "variant": offer.kind.value,
        "locale": offer.locale,
        "content_hash": version.content_hash,
    }
    return queue_outbound(
        session,
        actor,
        conversation,
        channel,
        offer.content.text,
        meta={**offer.content.meta, "studio": studio},
        action="conversation.template_sent",
        details={k: studio[k] for k in ("template_id", "version", "variant", "locale")},
    )
