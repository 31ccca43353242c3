"""The studio's API: templates and their versions, review, diff and history; content blocks.

Templates live under ``/api/v1/templates``, shared content blocks under ``/api/v1/blocks``;
both have the same version routes (``/versions/{number}`` with ``submit``, ``approve``,
``reject`` and ``retire``, ``/diff?from=&to=``, ``/history``). The rules are in
``unisono.studio.workflow``; refusals come back as problem+json with a ``code`` per rule
(``self_approval``, ``version_not_editable``, ``version_not_ready`` with its ``findings``...).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, status
from pydantic import BaseModel, Field

from unisono.models import ContentBlock, ContentBlockVersion, TemplateVersion, VersionStatus
from unisono.models.template import ReviewedVersionMixin
from unisono.studio import blocks, templates
from unisono.studio.diff import VersionDiff, diff_block_versions, diff_template_versions
from unisono.studio.schema import MAX_DESCRIPTION, MAX_NAME, MAX_VARIABLES
from unisono.studio.spec import LintFinding, Purpose, VariantKind, VarType
from unisono.studio.templates import TemplateSummary
from unisono.studio.workflow import MAX_COMMENT, HistoryEntry, finding_json
from unisono.web.api.schemas import PageOut, StrictIn
from unisono.web.deps import ApiActor, SessionDep

MAX_VERSION = 1_000_000
Number = Annotated[int, Path(ge=1, le=MAX_VERSION, description="the version number")]
Cursor = Annotated[str | None, Query(max_length=500)]
Limit = Annotated[int | None, Query(ge=1, le=200)]
Locale = Annotated[str, Field(min_length=2, max_length=10, examples=["it"])]


# --- shapes ----------------------------------------------------------------------------------


class VariableIn(StrictIn):
    name: str = Field(min_length=1, max_length=100, examples=["invoice.amount"])
    type: VarType = Field(examples=["money"])
    sample: Any = Field(default=None, examples=[{"amount": "412.30", "currency": "EUR"}])
    required: bool = True
    description: str = Field(default="", max_length=MAX_DESCRIPTION)


class VariableOut(BaseModel):
    name: str
    type: VarType
    sample: Any
    required: bool
    description: str


class TemplateCreate(StrictIn):
    name: str = Field(min_length=1, max_length=MAX_NAME, examples=["Sollecito di pagamento"])
    purpose: Purpose
    variant_kinds: list[VariantKind] = Field(min_length=1, max_length=len(VariantKind))
    locales: list[Locale] = Field(default=["it"], min_length=1, max_length=5)
    description: str = Field(default="", max_length=MAX_DESCRIPTION)
    schema_: list[VariableIn] = Field(default=[], alias="schema", max_length=MAX_VARIABLES)
    variants: dict[str, Any] | None = Field(
        default=None,
        description="{variant kind: {locale: {field: source}}}",
        examples=[{"sms": {"it": {"text": "Gentile {{ customer.first_name }}, ..."}}}],
    )


class TemplateUpdate(StrictIn):
    name: str | None = Field(default=None, min_length=1, max_length=MAX_NAME)
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION)
    variant_kinds: list[VariantKind] | None = Field(
        default=None, min_length=1, max_length=len(VariantKind)
    )
    locales: list[Locale] | None = Field(default=None, min_length=1, max_length=5)


class TemplateOut(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    purpose: Purpose
    variant_kinds: list[str]
    locales: list[str]
    created_by_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    latest_version: int
    latest_status: VersionStatus
    approved_version: int | None = Field(description="the version used to send, if any")

    @classmethod
    def of(cls, s: TemplateSummary) -> TemplateOut:
        t = s.template
        return cls(
            id=t.id,
            name=t.name,
            description=t.description,
            purpose=t.purpose,
            variant_kinds=t.variant_kinds,
            locales=t.locales,
            created_by_id=t.created_by_id,
            created_at=t.created_at,
            updated_at=t.updated_at,
            latest_version=s.latest_number,
            latest_status=s.latest_status,
            approved_version=s.approved_number,
        )


class VersionCreate(StrictIn):
    from_version: int | None = Field(
        default=None, ge=1, le=MAX_VERSION, description="the version copied; default the newest"
    )


class VersionUpdate(StrictIn):
    schema_: list[VariableIn] | None = Field(
        default=None, alias="schema", max_length=MAX_VARIABLES, description="replaces the schema"
    )
    variants: dict[str, Any] | None = Field(default=None, description="replaces every variant")


class ReviewIn(StrictIn):
    comment: str = Field(default="", max_length=MAX_COMMENT)


class FindingOut(BaseModel):
    code: str
    severity: str
    message: str = Field(description="English msgid with %(name)s placeholders")
    params: dict[str, str | int]
    text: str = Field(description="the message with its placeholders filled, in English")
    variant: str | None
    locale: str | None
    field: str | None

    @classmethod
    def of(cls, finding: LintFinding) -> FindingOut:
        return cls(**finding_json(finding))


class ReviewFields(BaseModel):
    number: int
    status: VersionStatus
    content_hash: str
    based_on: int | None
    created_by_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    submitted_by_id: uuid.UUID | None
    submitted_at: datetime | None
    reviewed_by_id: uuid.UUID | None
    reviewed_at: datetime | None
    review_comment: str
    retired_by_id: uuid.UUID | None
    retired_at: datetime | None


def _review_fields(v: ReviewedVersionMixin) -> dict[str, Any]:
    return {
        "number": v.number,
        "status": v.status,
        "content_hash": v.content_hash,
        "based_on": v.based_on,
        "created_by_id": v.created_by_id,
        "created_at": v.created_at,
        "updated_at": v.updated_at,
        "submitted_by_id": v.submitted_by_id,
        "submitted_at": v.submitted_at,
        "reviewed_by_id": v.reviewed_by_id,
        "reviewed_at": v.reviewed_at,
        "review_comment": v.review_comment,
        "retired_by_id": v.retired_by_id,
        "retired_at": v.retired_at,
    }


class VersionOut(ReviewFields):
    template_id: uuid.UUID
    schema_: list[VariableOut] = Field(alias="schema")
    variants: dict[str, Any]

    @classmethod
    def of(cls, v: TemplateVersion) -> VersionOut:
        return cls.model_validate(
            {"template_id": v.template_id, "schema": v.schema, "variants": v.variants}
            | _review_fields(v)
        )


class SubmittedOut(VersionOut):
    warnings: list[FindingOut] = Field(description="findings that did not block the submission")


class FieldDiffOut(BaseModel):
    path: str = Field(examples=["email.it.subject"])
    change: str = Field(examples=["changed"])
    unified: str = Field(description="unified diff text")


class DiffOut(BaseModel):
    from_version: int
    to_version: int
    changes: list[FieldDiffOut]

    @classmethod
    def of(cls, d: VersionDiff) -> DiffOut:
        return cls(
            from_version=d.from_number,
            to_version=d.to_number,
            changes=[
                FieldDiffOut(path=c.path, change=c.change, unified=c.unified) for c in d.changes
            ],
        )


class HistoryEntryOut(BaseModel):
    id: uuid.UUID
    action: str = Field(examples=["approved"])
    version: int | None
    operator_id: uuid.UUID | None
    operator_name: str | None
    comment: str
    details: dict[str, Any]
    at: datetime

    @classmethod
    def of(cls, h: HistoryEntry) -> HistoryEntryOut:
        e = h.event
        return cls(
            id=e.id,
            action=e.action,
            version=e.version,
            operator_id=e.operator_id,
            operator_name=h.operator_name,
            comment=e.comment,
            details=e.details,
            at=e.created_at,
        )


class BlockCreate(StrictIn):
    name: str = Field(min_length=1, max_length=64, examples=["legal_notice"])
    description: str = Field(default="", max_length=MAX_DESCRIPTION)
    content: dict[str, dict[str, str]] = Field(
        default={}, examples=[{"it": {"html": "<p>Energia Chiara S.p.A.</p>", "text": "..."}}]
    )


class BlockUpdate(StrictIn):
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION)


class BlockVersionUpdate(StrictIn):
    content: dict[str, dict[str, str]] = Field(description="{locale: {html, text}}")


class BlockOut(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    created_by_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, b: ContentBlock) -> BlockOut:
        return cls(
            id=b.id,
            name=b.name,
            description=b.description,
            created_by_id=b.created_by_id,
            created_at=b.created_at,
            updated_at=b.updated_at,
        )


class BlockVersionOut(ReviewFields):
    block_id: uuid.UUID
    content: dict[str, dict[str, str]]

    @classmethod
    def of(cls, v: ContentBlockVersion) -> BlockVersionOut:
        return cls.model_validate(
            {"block_id": v.block_id, "content": v.content} | _review_fields(v)
        )


# --- templates -------------------------------------------------------------------------------

template_router = APIRouter(prefix="/templates", tags=["templates"])


def _template_out(session: SessionDep, template_id: uuid.UUID) -> TemplateOut:
    template = templates.get_template(session, template_id)
    (summary,) = templates.summarize_templates(session, [template])
    return TemplateOut.of(summary)


@template_router.post("", status_code=status.HTTP_201_CREATED)
def create_template(body: TemplateCreate, session: SessionDep, actor: ApiActor) -> TemplateOut:
    """A new template with its version 1 as a draft (designers and admins)."""
    version = templates.do_create_template(
        session,
        actor,
        name=body.name,
        purpose=body.purpose,
        variant_kinds=body.variant_kinds,
        locales=body.locales,
        description=body.description,
        schema=[v.model_dump() for v in body.schema_],
        variants=body.variants,
    )
    return _template_out(session, version.template_id)


@template_router.get("")
def list_all_templates(
    session: SessionDep,
    actor: ApiActor,
    purpose: Purpose | None = None,
    cursor: Cursor = None,
    limit: Limit = None,
) -> PageOut[TemplateOut]:
    """Templates by name, with their newest and approved version numbers."""
    page = templates.list_templates(session, purpose=purpose, cursor=cursor, limit=limit)
    return PageOut(items=[TemplateOut.of(s) for s in page.items], next_cursor=page.next_cursor)


@template_router.get("/{template_id}")
def get_template(template_id: uuid.UUID, session: SessionDep, actor: ApiActor) -> TemplateOut:
    return _template_out(session, template_id)


@template_router.patch("/{template_id}")
def update_template(
    template_id: uuid.UUID, body: TemplateUpdate, session: SessionDep, actor: ApiActor
) -> TemplateOut:
    """Change name, description, variant kinds or locales; the purpose never changes."""
    templates.do_update_template(
        session,
        actor,
        template_id,
        name=body.name,
        description=body.description,
        variant_kinds=body.variant_kinds,
        locales=body.locales,
    )
    return _template_out(session, template_id)


@template_router.get("/{template_id}/versions")
def list_template_versions(
    template_id: uuid.UUID,
    session: SessionDep,
    actor: ApiActor,
    cursor: Cursor = None,
    limit: Limit = None,
) -> PageOut[VersionOut]:
    """A template's versions, newest first."""
    page = templates.list_versions(session, template_id, cursor=cursor, limit=limit)
    return PageOut(items=[VersionOut.of(v) for v in page.items], next_cursor=page.next_cursor)


@template_router.post("/{template_id}/versions", status_code=status.HTTP_201_CREATED)
def new_template_version(
    template_id: uuid.UUID,
    session: SessionDep,
    actor: ApiActor,
    body: VersionCreate | None = None,
) -> VersionOut:
    """A new draft copied from a version: how an approved or submitted version is changed."""
    version = templates.do_new_version(
        session, actor, template_id, from_number=body.from_version if body else None
    )
    return VersionOut.of(version)


@template_router.get("/{template_id}/versions/{number}")
def get_template_version(
    template_id: uuid.UUID, number: Number, session: SessionDep, actor: ApiActor
) -> VersionOut:
    templates.get_template(session, template_id)
    return VersionOut.of(templates.get_version(session, template_id, number))


@template_router.patch("/{template_id}/versions/{number}")
def edit_template_version(
    template_id: uuid.UUID,
    number: Number,
    body: VersionUpdate,
    session: SessionDep,
    actor: ApiActor,
) -> VersionOut:
    """Replace a draft's schema and/or variants; any other status is refused (409)."""
    version = templates.do_edit_version(
        session,
        actor,
        template_id,
        number,
        schema=[v.model_dump() for v in body.schema_] if body.schema_ is not None else None,
        variants=body.variants,
    )
    return VersionOut.of(version)


@template_router.get("/{template_id}/versions/{number}/findings")
def template_version_findings(
    template_id: uuid.UUID, number: Number, session: SessionDep, actor: ApiActor
) -> list[FindingOut]:
    """What the checks and the linter find on a version (errors block its submission)."""
    templates.get_template(session, template_id)
    version = templates.get_version(session, template_id, number)
    return [FindingOut.of(f) for f in templates.check_version(session, version)]


@template_router.post("/{template_id}/versions/{number}/submit")
def submit_template_version(
    template_id: uuid.UUID, number: Number, session: SessionDep, actor: ApiActor
) -> SubmittedOut:
    """Freeze a draft and send it to compliance (refused with its findings if it has errors)."""
    version, findings = templates.do_submit_version(session, actor, template_id, number)
    return SubmittedOut.model_validate(
        VersionOut.of(version).model_dump(by_alias=True)
        | {"warnings": [FindingOut.of(f) for f in findings]}
    )


@template_router.post("/{template_id}/versions/{number}/approve")
def approve_template_version(
    template_id: uuid.UUID, number: Number, body: ReviewIn, session: SessionDep, actor: ApiActor
) -> VersionOut:
    """Approve (compliance or admin, not an author or submitter; a comment is required)."""
    version = templates.do_approve_version(session, actor, template_id, number, body.comment)
    return VersionOut.of(version)


@template_router.post("/{template_id}/versions/{number}/reject")
def reject_template_version(
    template_id: uuid.UUID, number: Number, body: ReviewIn, session: SessionDep, actor: ApiActor
) -> VersionOut:
    """Send a version back with a comment; it stays frozen, a new version fixes it."""
    version = templates.do_reject_version(session, actor, template_id, number, body.comment)
    return VersionOut.of(version)


@template_router.post("/{template_id}/versions/{number}/retire")
def retire_template_version(
    template_id: uuid.UUID,
    number: Number,
    session: SessionDep,
    actor: ApiActor,
    body: ReviewIn | None = None,
) -> VersionOut:
    """Withdraw the approved version: the template stops sending."""
    version = templates.do_retire_version(
        session, actor, template_id, number, body.comment if body else None
    )
    return VersionOut.of(version)


@template_router.get("/{template_id}/diff")
def diff_template(
    template_id: uuid.UUID,
    session: SessionDep,
    actor: ApiActor,
    from_: int = Query(alias="from", ge=1, le=MAX_VERSION),
    to: int = Query(ge=1, le=MAX_VERSION),
) -> DiffOut:
    """What changed from one version to another, per schema and variant field."""
    return DiffOut.of(diff_template_versions(session, template_id, from_, to))


@template_router.get("/{template_id}/history")
def template_history(
    template_id: uuid.UUID,
    session: SessionDep,
    actor: ApiActor,
    cursor: Cursor = None,
    limit: Limit = None,
) -> PageOut[HistoryEntryOut]:
    """Who did what when, newest first."""
    page = templates.version_history(session, template_id, cursor=cursor, limit=limit)
    return PageOut(items=[HistoryEntryOut.of(h) for h in page.items], next_cursor=page.next_cursor)


# --- content blocks --------------------------------------------------------------------------

block_router = APIRouter(prefix="/blocks", tags=["content blocks"])


@block_router.post("", status_code=status.HTTP_201_CREATED)
def create_block(body: BlockCreate, session: SessionDep, actor: ApiActor) -> BlockOut:
    """A new content block with its version 1 as a draft."""
    version = blocks.do_create_block(
        session, actor, name=body.name, description=body.description, content=body.content
    )
    return BlockOut.of(version.block)


@block_router.get("")
def list_all_blocks(
    session: SessionDep, actor: ApiActor, cursor: Cursor = None, limit: Limit = None
) -> PageOut[BlockOut]:
    page = blocks.list_blocks(session, cursor=cursor, limit=limit)
    return PageOut(items=[BlockOut.of(b) for b in page.items], next_cursor=page.next_cursor)


@block_router.get("/{block_id}")
def get_block(block_id: uuid.UUID, session: SessionDep, actor: ApiActor) -> BlockOut:
    return BlockOut.of(blocks.get_block(session, block_id))


@block_router.patch("/{block_id}")
def update_block(
    block_id: uuid.UUID, body: BlockUpdate, session: SessionDep, actor: ApiActor
) -> BlockOut:
    return BlockOut.of(
        blocks.do_update_block(session, actor, block_id, description=body.description)
    )


@block_router.get("/{block_id}/versions")
def list_block_versions(
    block_id: uuid.UUID,
    session: SessionDep,
    actor: ApiActor,
    cursor: Cursor = None,
    limit: Limit = None,
) -> PageOut[BlockVersionOut]:
    page = blocks.list_block_versions(session, block_id, cursor=cursor, limit=limit)
    return PageOut(items=[BlockVersionOut.of(v) for v in page.items], next_cursor=page.next_cursor)


@block_router.post("/{block_id}/versions", status_code=status.HTTP_201_CREATED)
def new_block_version(
    block_id: uuid.UUID,
    session: SessionDep,
    actor: ApiActor,
    body: VersionCreate | None = None,
) -> BlockVersionOut:
    version = blocks.do_new_block_version(
        session, actor, block_id, from_number=body.from_version if body else None
    )
    return BlockVersionOut.of(version)


@block_router.get("/{block_id}/versions/{number}")
def get_block_version(
    block_id: uuid.UUID, number: Number, session: SessionDep, actor: ApiActor
) -> BlockVersionOut:
    blocks.get_block(session, block_id)
    return BlockVersionOut.of(blocks.get_block_version(session, block_id, number))


@block_router.patch("/{block_id}/versions/{number}")
def edit_block_version(
    block_id: uuid.UUID,
    number: Number,
    body: BlockVersionUpdate,
    session: SessionDep,
    actor: ApiActor,
) -> BlockVersionOut:
    version = blocks.do_edit_block_version(session, actor, block_id, number, content=body.content)
    return BlockVersionOut.of(version)


@block_router.post("/{block_id}/versions/{number}/submit")
def submit_block_version(
    block_id: uuid.UUID, number: Number, session: SessionDep, actor: ApiActor
) -> BlockVersionOut:
    return BlockVersionOut.of(blocks.do_submit_block_version(session, actor, block_id, number))


@block_router.post("/{block_id}/versions/{number}/approve")
def approve_block_version(
    block_id: uuid.UUID, number: Number, body: ReviewIn, session: SessionDep, actor: ApiActor
) -> BlockVersionOut:
    version = blocks.do_approve_block_version(session, actor, block_id, number, body.comment)
    return BlockVersionOut.of(version)


@block_router.post("/{block_id}/versions/{number}/reject")
def reject_block_version(
    block_id: uuid.UUID, number: Number, body: ReviewIn, session: SessionDep, actor: ApiActor
) -> BlockVersionOut:
    version = blocks.do_reject_block_version(session, actor, block_id, number, body.comment)
    return BlockVersionOut.of(version)


@block_router.post("/{block_id}/versions/{number}/retire")
def retire_block_version(
    block_id: uuid.UUID,
    number: Number,
    session: SessionDep,
    actor: ApiActor,
    body: ReviewIn | None = None,
) -> BlockVersionOut:
    version = blocks.do_retire_block_version(
        session, actor, block_id, number, body.comment if body else None
    )
    return BlockVersionOut.of(version)


@block_router.get("/{block_id}/diff")
def diff_block(
    block_id: uuid.UUID,
    session: SessionDep,
    actor: ApiActor,
    from_: int = Query(alias="from", ge=1, le=MAX_VERSION),
    to: int = Query(ge=1, le=MAX_VERSION),
) -> DiffOut:
    return DiffOut.of(diff_block_versions(session, block_id, from_, to))


@block_router.get("/{block_id}/history")
def block_history(
    block_id: uuid.UUID,
    session: SessionDep,
    actor: ApiActor,
    cursor: Cursor = None,
    limit: Limit = None,
) -> PageOut[HistoryEntryOut]:
    page = blocks.block_history(session, block_id, cursor=cursor, limit=limit)
    return PageOut(items=[HistoryEntryOut.of(h) for h in page.items], next_cursor=page.next_cursor)


router = APIRouter()
router.include_router(template_router)
router.include_router(block_router)
