"""Test sends: a template variant sent to an operator's own address or number, to see it for real.

Any version can be test-sent, drafts included (that is what they are for); only approved
versions ever reach customers (``studio.operator_use``). The variant is rendered with the
schema's samples, or for a chosen customer (the read is audited) with samples where the
profile lacks a value, and sent through the configured channel's adapter, exactly as a
customer's message would be: an email with its subject, HTML and text parts, an SMS, a
WhatsApp template message (a test number has no open 24-hour window), an in-app message.

A test send is no customer's interaction, so it is never on a timeline: the recipient must be
a handle no customer has (the operator's own mailbox or phone, a test user of the app), and
there is no queued row for the worker to pick up. The adapter is therefore called here, during
the request, between two commits as the sender does (the checks and the audit of the
customer read are committed first, so no transaction is open while the provider answers), and
the outcome (the provider's message id or its error) is recorded in the template's history
(``test_sent``) and the audit trail. Letters and call scripts are not sent:
a letter's PDF comes from the preview. An email's subject and a notification's title start
with ``[TEST]``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from unisono.channels.base import OutboundMessage
from unisono.channels.errors import ChannelError
from unisono.config import get_settings
from unisono.errors import Invalid
from unisono.identity.normalize import normalize_handle
from unisono.inbox.channel_config import channel_for_kind, connection_for
from unisono.models import Identity, Role, TemplateVersion
from unisono.security.actor import Actor
from unisono.security.permissions import require_role
from unisono.studio import workflow
from unisono.studio.blocks import approved_block_sources
from unisono.studio.customer_data import template_data
from unisono.studio.operator_use import message_content
from unisono.studio.preview import check_kinds, check_locale, load_customer, render_one
from unisono.studio.spec import VARIANT_CHANNELS, LintFinding, RenderedVariant, VariantKind

TEST_SENDERS = (Role.DESIGNER, Role.COMPLIANCE, Role.ADMIN)
# Before a test's subject or title: a tag, the same in every language.
TEST_MARK = "[TEST]"
# The kind of handle each sendable variant's test recipient is.
RECIPIENT_KINDS: Mapping[VariantKind, str] = {
    VariantKind.EMAIL: "email",
    VariantKind.SMS: "phone",
    VariantKind.WHATSAPP: "phone",
    VariantKind.PUSH: "app",
    VariantKind.IN_APP: "app",
}


@dataclass(frozen=True, slots=True)
class TestSendReceipt:
    """What happened to a test send: ``status`` ``sent`` (with the provider's ``external_id``)
    or ``failed`` (with the provider's ``error``); the render and its findings beside it."""

    __test__: ClassVar[bool] = False  # not a pytest test class, whatever its name says

    kind: VariantKind
    locale: str
    channel: str
    recipient: str
    status: str
    external_id: str | None
    error: str | None
    rendered: RenderedVariant
    findings: tuple[LintFinding, ...] = ()
    from_sample: tuple[str, ...] = field(default_factory=tuple)


def check_test_recipient(session: Session, kind: VariantKind, recipient: str) -> str:
    """``recipient`` normalised for ``kind`` (an email address; a phone number, E.164 or
    national; an app user id); Invalid when it is not one or a customer has it."""
    handle_kind = RECIPIENT_KINDS.get(kind)
    if handle_kind is None:
        raise Invalid(
            f"a {kind.value} variant is not sent: "
            + (
                "download the letter's PDF from the preview"
                if kind is VariantKind.LETTER
                else "an agent reads it on the call"
            ),
            reason="not_sendable_kind",
        )
    if not isinstance(recipient, str) or not recipient.strip():
        raise Invalid("a test send needs a recipient", reason="no_recipient")
    handle = normalize_handle(handle_kind, recipient, region=get_settings().default_region)
    taken = session.scalar(
        select(Identity.id).where(Identity.kind == handle.kind, Identity.value == handle.value)
    )
    if taken is not None:
        raise Invalid(
            f"{handle.value} belongs to a customer: test sends go to your own address or number",
            reason="customer_recipient",
        )
    return handle.value


def do_test_send(
    session: Session,
    actor: Actor,
    version: TemplateVersion,
    kind: VariantKind | str,
    locale: str | None,
    recipient: str,
    *,
    customer_id: uuid.UUID | None = None,
    data: Mapping[str, Any] | None = None,
) -> TestSendReceipt:
    """Send ``version``'s ``kind`` variant in ``locale`` (default the template's first) to
    ``recipient``, rendered for the customer and/or ``data``, else the samples.

    Designers, compliance and admins. Invalid for a kind or locale the template lacks, a
    letter or call script, a bad or customer-owned recipient, no active channel of the kind,
    or a variant that does not render (the error says where). A provider's refusal is not an
    error of the request: the receipt says ``failed`` and why, and the history records it.

    Commits ``session`` before calling the provider: the caller holds nothing uncommitted it
    would want rolled back (a request's session, which commits on success anyway).
    """
    require_role(actor, TEST_SENDERS, "send test messages")
    template = version.template
    (variant,) = check_kinds(template, [VariantKind(kind).value])
    (loc,) = check_locale(template, locale or str(template.locales[0]))
    address = check_test_recipient(session, variant, recipient)
    channel_kind = VARIANT_CHANNELS[variant][0]
    channel = channel_for_kind(session, channel_kind)
    if channel is None:
        raise Invalid(f"no active {channel_kind} channel is configured", reason="not_configured")
    customer = load_customer(session, actor, customer_id, action="template.test_send")
    values = template_data(version.schema or [], customer=customer, data=data, preview=True)
    rendered, problem, findings = render_one(
        template,
        version,
        variant,
        loc,
        values.values,
        approved_block_sources(session),
        max_sms_segments=get_settings().studio_max_sms_segments,
    )
    if rendered is None:
        assert problem is not None
        raise Invalid(f"the variant does not render: {problem.message}", reason="render_error")
    sources = ((version.variants or {}).get(variant.value) or {}).get(loc) or {}
    content = message_content(
        rendered,
        whatsapp_template=variant is VariantKind.WHATSAPP
        and bool(rendered.fields.get("template_name")),
        body_source=str(sources.get("body") or ""),
    )
    if not content.text.strip():
        raise Invalid("the variant renders empty: there is nothing to send", reason="empty")
    meta = {**content.meta, "test": True}
    if meta.get("subject"):
        # An email's subject, a notification's title: a test is never taken for the real one
        # in a mailbox or on a phone. SMS and WhatsApp go as written (parts and Meta's template).
        meta["subject"] = f"{TEST_MARK} {meta['subject']}"
    message = OutboundMessage(
        recipient=address,
        text=content.text,
        template_name=meta.get("template_name") or None,
        template_language=meta.get("template_language"),
        template_parameters=tuple(str(p) for p in meta.get("template_parameters", ())),
        subject=meta.get("subject"),
        metadata=meta,
    )
    try:
        connection = connection_for(channel)
    except Exception as exc:  # noqa: BLE001 - a broken channel config is the operator's news
        raise Invalid(f"the {channel_kind} channel cannot be used: {exc}") from None
    # Like the sender's claim, call and record: what was read and audited so far is committed,
    # so no transaction (on SQLite, no write lock) is open while the provider answers.
    session.commit()
    external_id = error = None
    try:
        external_id = connection.send(message).external_id
    except ChannelError as exc:
        error = exc.detail
    except Exception as exc:  # noqa: BLE001 - a broken adapter fails the try, not the request
        error = f"the channel cannot send: {exc}"
    status = "sent" if external_id is not None else "failed"
    workflow.record_step(
        session,
        actor,
        "template",
        template.id,
        "test_sent",
        version=version.number,
        details={
            "variant": variant.value,
            "locale": loc,
            "channel": channel_kind,
            "channel_id": str(channel.id),
            "recipient": address,
            "customer_id": str(customer.id) if customer else None,
            "status": status,
            "external_id": external_id,
            "error": error,
        },
    )
    return TestSendReceipt(
        kind=variant,
        locale=loc,
        channel=channel_kind,
        recipient=address,
        status=status,
        external_id=external_id,
        error=error,
        rendered=rendered,
        findings=tuple(findings),
        from_sample=tuple(values.from_sample),
    )
