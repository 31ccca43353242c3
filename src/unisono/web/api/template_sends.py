"""The studio's renders through the API: previews, letter PDFs, test sends, templates to insert.

- ``POST /api/v1/templates/{id}/preview`` renders a version (default the newest) in every
  variant and locale, for a customer, for given data or for the samples, with the findings of
  each; a render error is reported on its variant, not as a failure of the request. Letters
  link to their PDF (``letter_pdf_url``), or carry it in base64 with ``"letter_pdf": true``.
- ``GET /api/v1/templates/{id}/versions/{n}/letter.pdf?customer_id=&locale=`` the letter.
- ``POST /api/v1/templates/{id}/versions/{n}/test-send`` sends a variant (drafts too) to the
  operator's own address or number, and answers with the provider's id or its refusal.
- ``GET /api/v1/conversations/{id}/templates?channel=`` the approved templates the composer
  offers, rendered for the conversation's customer; sending one is ``POST
  /api/v1/conversations/{id}/messages`` with ``{"template_id": ...}``.
"""

from __future__ import annotations

import base64
import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from unisono.inbox.conversations import access_conversation
from unisono.studio.customer_data import Source
from unisono.studio.operator_use import Insertable, insertable_templates
from unisono.studio.preview import (
    Preview,
    RenderProblem,
    VariantPreview,
    preview_letter,
    preview_version,
    version_to_preview,
)
from unisono.studio.spec import RenderedVariant, VariantKind
from unisono.studio.templates import get_template, get_version
from unisono.studio.test_send import TestSendReceipt, do_test_send
from unisono.web.api.schemas import StrictIn
from unisono.web.api.templates import MAX_VERSION, FindingOut, Number
from unisono.web.deps import ApiActor, SessionDep

Locale = Annotated[str, Field(min_length=2, max_length=10, examples=["it"])]


# --- shapes ----------------------------------------------------------------------------------


class PreviewIn(StrictIn):
    customer_id: uuid.UUID | None = Field(
        default=None, description="render for this customer (the read is audited)"
    )
    data: dict[str, Any] | None = Field(
        default=None,
        description="values by variable name (nested or dotted); they win over the customer's",
        examples=[{"invoice": {"amount": {"amount": "412.30", "currency": "EUR"}}}],
    )
    version: int | None = Field(
        default=None, ge=1, le=MAX_VERSION, description="default: the newest version"
    )
    locale: Locale | None = Field(default=None, description="default: every locale")
    kinds: list[VariantKind] | None = Field(
        default=None, max_length=len(VariantKind), description="default: every variant kind"
    )
    letter_pdf: bool = Field(
        default=False, description="carry each letter's PDF in base64 (else only its URL)"
    )


class ProblemOut(BaseModel):
    message: str
    field: str | None
    line: int | None
    reason: str

    @classmethod
    def of(cls, problem: RenderProblem | None) -> ProblemOut | None:
        if problem is None:
            return None
        return cls(
            message=problem.message, field=problem.field, line=problem.line, reason=problem.reason
        )


class VariantPreviewOut(BaseModel):
    kind: VariantKind
    locale: str
    fields: dict[str, str] | None = Field(description="the rendered text per field")
    extra: dict[str, Any] | None = Field(
        description="sms encoding/segments/units, whatsapp parameters/buttons..."
    )
    error: ProblemOut | None = Field(description="why the variant did not render")
    findings: list[FindingOut]
    sendable: bool = Field(description="rendered with no finding of severity error")
    letter_pdf_url: str | None = None
    letter_pdf: str | None = Field(default=None, description="the letter's PDF in base64")
    letter_error: ProblemOut | None = None


class PreviewOut(BaseModel):
    template_id: uuid.UUID
    version: int
    status: str
    customer_id: uuid.UUID | None
    customer_locale: str | None = Field(description="the locale a send to the customer uses")
    data_sources: dict[str, Source] = Field(description="where each variable's value came from")
    from_sample: list[str] = Field(description="variables shown with their sample value")
    data_problems: dict[str, str] = Field(
        description="why a customer's value could not be used (its sample is shown)"
    )
    findings: list[FindingOut] = Field(description="findings about no single variant")
    variants: list[VariantPreviewOut]


class TestSendIn(StrictIn):
    kind: VariantKind
    recipient: str = Field(
        min_length=1,
        max_length=320,
        description="your own email address, phone number (E.164) or app user id",
        examples=["+393471234567"],
    )
    locale: Locale | None = Field(default=None, description="default: the template's first")
    customer_id: uuid.UUID | None = Field(default=None, description="render for this customer")
    data: dict[str, Any] | None = None


class TestSendOut(BaseModel):
    kind: VariantKind
    locale: str
    channel: str
    recipient: str
    status: str = Field(examples=["sent"], description="sent or failed")
    external_id: str | None = Field(description="the provider's message id")
    error: str | None = Field(description="the provider's refusal")
    fields: dict[str, str]
    findings: list[FindingOut]
    from_sample: list[str]

    @classmethod
    def of(cls, r: TestSendReceipt) -> TestSendOut:
        return cls(
            kind=r.kind,
            locale=r.locale,
            channel=r.channel,
            recipient=r.recipient,
            status=r.status,
            external_id=r.external_id,
            error=r.error,
            fields=dict(r.rendered.fields),
            findings=[FindingOut.of(f) for f in r.findings],
            from_sample=list(r.from_sample),
        )


class InsertableOut(BaseModel):
    template_id: uuid.UUID
    name: str
    description: str
    purpose: str
    version: int
    channel: str
    kind: VariantKind
    locale: str
    subject: str | None = Field(description="an email's subject, a push or in-app title")
    text: str = Field(description="the message as the customer will read it")
    whatsapp_template: bool = Field(description="goes out as a Meta template message")
    sendable: bool
    blocked: str | None = Field(
        description="missing_data, render_error, lint_errors, consent_refused, no_whatsapp_template"
    )
    problem: str | None
    missing: list[str] = Field(
        description="with missing_data: the variables the customer's profile lacks"
    )
    findings: list[FindingOut]

    @classmethod
    def of(cls, i: Insertable) -> InsertableOut:
        return cls(
            template_id=i.template_id,
            name=i.name,
            description=i.description,
            purpose=i.purpose.value,
            version=i.version,
            channel=i.channel,
            kind=i.kind,
            locale=i.locale,
            subject=i.subject,
            text=i.text,
            whatsapp_template=bool(i.content and i.content.whatsapp_template),
            sendable=i.sendable,
            blocked=i.blocked,
            problem=i.problem,
            missing=list(i.missing),
            findings=[FindingOut.of(f) for f in i.findings],
        )


def _letter_url(preview: Preview, v: VariantPreview) -> str:
    query = {"locale": v.locale}
    if preview.customer is not None:
        query["customer_id"] = str(preview.customer.id)
    return (
        f"/api/v1/templates/{preview.template.id}/versions/{preview.version.number}/letter.pdf?"
        + urlencode(query)
    )


def _fields(rendered: RenderedVariant | None) -> dict[str, str] | None:
    return dict(rendered.fields) if rendered is not None else None


def _preview_out(preview: Preview) -> PreviewOut:
    variants = []
    for v in preview.variants:
        letter = v.kind is VariantKind.LETTER and v.rendered is not None
        variants.append(
            VariantPreviewOut(
                kind=v.kind,
                locale=v.locale,
                fields=_fields(v.rendered),
                extra=dict(v.rendered.extra) if v.rendered is not None else None,
                error=ProblemOut.of(v.error),
                findings=[FindingOut.of(f) for f in v.findings],
                sendable=v.sendable,
                letter_pdf_url=_letter_url(preview, v) if letter else None,
                letter_pdf=base64.b64encode(v.letter.pdf).decode("ascii") if v.letter else None,
                letter_error=ProblemOut.of(v.letter_error),
            )
        )
    return PreviewOut(
        template_id=preview.template.id,
        version=preview.version.number,
        status=preview.version.status.value,
        customer_id=preview.customer.id if preview.customer else None,
        customer_locale=preview.customer_locale,
        data_sources=dict(preview.data.sources),
        from_sample=preview.data.from_sample,
        data_problems=dict(preview.data.problems),
        findings=[FindingOut.of(f) for f in preview.findings],
        variants=variants,
    )


# --- routes ----------------------------------------------------------------------------------

template_router = APIRouter(prefix="/templates", tags=["templates"])


@template_router.post("/{template_id}/preview")
def preview_template(
    template_id: uuid.UUID, body: PreviewIn, session: SessionDep, actor: ApiActor
) -> PreviewOut:
    """Every variant of a version rendered side by side, with the findings of each."""
    preview = preview_version(
        session,
        actor,
        version_to_preview(session, template_id, body.version),
        customer_id=body.customer_id,
        data=body.data,
        locale=body.locale,
        kinds=[k.value for k in body.kinds] if body.kinds is not None else None,
        letters=body.letter_pdf,
    )
    return _preview_out(preview)


@template_router.get(
    "/{template_id}/versions/{number}/letter.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "the letter, A4 PDF"}},
)
def letter_pdf(
    template_id: uuid.UUID,
    number: Number,
    session: SessionDep,
    actor: ApiActor,
    customer_id: uuid.UUID | None = None,
    locale: str | None = Query(default=None, min_length=2, max_length=10),
) -> Response:
    """The version's letter on the company's letterhead, for a customer or the samples."""
    template = get_template(session, template_id)
    files = preview_letter(
        session,
        actor,
        get_version(session, template.id, number),
        locale=locale,
        customer_id=customer_id,
    )
    return Response(
        files.pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="letter-v{number}.pdf"'},
    )


@template_router.post("/{template_id}/versions/{number}/test-send")
def test_send(
    template_id: uuid.UUID,
    number: Number,
    body: TestSendIn,
    session: SessionDep,
    actor: ApiActor,
) -> TestSendOut:
    """Send a variant (any version, drafts too) to your own address or number."""
    template = get_template(session, template_id)
    receipt = do_test_send(
        session,
        actor,
        get_version(session, template.id, number),
        body.kind,
        body.locale,
        body.recipient,
        customer_id=body.customer_id,
        data=body.data,
    )
    return TestSendOut.of(receipt)


conversation_router = APIRouter(prefix="/conversations", tags=["conversations"])


@conversation_router.get("/{conversation_id}/templates")
def conversation_templates(
    conversation_id: uuid.UUID,
    session: SessionDep,
    actor: ApiActor,
    channel: str = Query(min_length=1, max_length=32, examples=["whatsapp"]),
) -> list[InsertableOut]:
    """Approved templates for the channel, rendered for the conversation's customer; those
    with ``sendable`` false are shown with why (``blocked``, ``problem``)."""
    conversation = access_conversation(session, actor, conversation_id)
    return [
        InsertableOut.of(i) for i in insertable_templates(session, actor, conversation, channel)
    ]


router = APIRouter()
router.include_router(template_router)
router.include_router(conversation_router)
