"""Templates and their versions: creating, editing drafts, review, and the version senders use.

A template (name, purpose, the variant kinds and locales it supports) holds numbered versions;
each version carries a data schema and the variants' sources. The review rules are those of
``unisono.studio.workflow``; this module adds what is particular to templates:

- Creating a template creates version 1 as a draft. ``do_new_version`` copies a version (by
  default the newest) into a new draft: that is how an approved, in-review or rejected
  version is "edited".
- The purpose is fixed at creation (compliance approves content for a purpose; changing it
  under an approved version would change what the customer agreed to receive). Name,
  description, variant kinds and locales may change; they govern what the next submission and
  approval require.
- Submission and approval run ``check_version``: every supported kind in every locale with its
  fields (``unisono.studio.schema.missing_for_review``) and the linter
  (``unisono.studio.lint.lint_version``) against the approved content blocks; any finding of
  severity error refuses with ``version_not_ready`` and lists the findings.
- ``approved_version`` is the one way senders get content: only an approved version sends.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from unisono.config import get_settings
from unisono.errors import Conflict, NotFound
from unisono.ids import parse_uuid
from unisono.models import Template, TemplateVersion, VersionStatus
from unisono.pagination import Page, clamp_limit, decode_cursor, encode_cursor
from unisono.security.actor import Actor
from unisono.studio import workflow
from unisono.studio.blocks import approved_block_sources
from unisono.studio.lint import lint_version
from unisono.studio.schema import (
    check_description,
    check_locales,
    check_name,
    check_purpose,
    check_schema,
    check_variant_kinds,
    check_variants,
    content_hash,
    dump_schema,
    missing_for_review,
)
from unisono.studio.spec import LintFinding, Purpose, Severity

SUBJECT = "template"


@dataclass(frozen=True, slots=True)
class TemplateSummary:
    """A template in a list: its newest version and its approved one."""

    template: Template
    latest_number: int
    latest_status: VersionStatus
    approved_number: int | None


def _hash(schema: list[dict[str, Any]], variants: Mapping[str, Any]) -> str:
    return content_hash({"schema": schema, "variants": variants})


# --- reading ---------------------------------------------------------------------------------


def get_template(
    session: Session, template_id_or_name: uuid.UUID | str, *, lock: bool = False
) -> Template:
    """The template with this id or name, or NotFound."""
    ident = (
        template_id_or_name
        if isinstance(template_id_or_name, uuid.UUID)
        else parse_uuid(template_id_or_name)
    )
    if ident is not None:
        template = session.get(Template, ident, with_for_update=lock or None)
    else:
        query = select(Template).where(Template.name == template_id_or_name)
        template = session.scalar(query.with_for_update() if lock else query)
    if template is None:
        raise NotFound(f"no template {template_id_or_name}")
    return template


def get_version(session: Session, template_id: uuid.UUID, number: int) -> TemplateVersion:
    """Version ``number`` of the template, or NotFound."""
    version = session.scalar(
        select(TemplateVersion).where(
            TemplateVersion.template_id == template_id, TemplateVersion.number == number
        )
    )
    if version is None:
        raise NotFound(f"the template has no version {number}")
    return version


def _versions(session: Session, template_id: uuid.UUID) -> list[TemplateVersion]:
    return list(
        session.scalars(
            select(TemplateVersion)
            .where(TemplateVersion.template_id == template_id)
            .order_by(TemplateVersion.number)
        )
    )


def summarize_templates(session: Session, templates: Sequence[Template]) -> list[TemplateSummary]:
    """Newest and approved version numbers of ``templates``, in one query."""
    if not templates:
        return []
    rows = session.execute(
        select(TemplateVersion.template_id, TemplateVersion.number, TemplateVersion.status).where(
            TemplateVersion.template_id.in_([t.id for t in templates])
        )
    ).all()
    latest: dict[uuid.UUID, tuple[int, VersionStatus]] = {}
    approved: dict[uuid.UUID, int] = {}
    for template_id, number, status in rows:
        if number > latest.get(template_id, (0, status))[0]:
            latest[template_id] = (number, status)
        if status is VersionStatus.APPROVED:
            approved[template_id] = number
    return [
        TemplateSummary(
            template=t,
            latest_number=latest[t.id][0],
            latest_status=latest[t.id][1],
            approved_number=approved.get(t.id),
        )
        for t in templates
    ]


def list_templates(
    session: Session,
    *,
    purpose: Purpose | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[TemplateSummary]:
    """Templates by name, with their newest and approved versions."""
    size = clamp_limit(limit)
    query = select(Template)
    if purpose is not None:
        query = query.where(Template.purpose == purpose)
    if cursor:
        (after,) = decode_cursor(cursor, 1)
        query = query.where(Template.name > after)
    rows = list(session.scalars(query.order_by(Template.name).limit(size + 1)))
    page = rows[:size]
    next_cursor = encode_cursor(page[-1].name) if len(rows) > size and page else None
    return Page(summarize_templates(session, page), next_cursor)


def list_versions(
    session: Session,
    template_id: uuid.UUID,
    *,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[TemplateVersion]:
    """A template's versions, newest first."""
    get_template(session, template_id)
    size = clamp_limit(limit)
    query = select(TemplateVersion).where(TemplateVersion.template_id == template_id)
    if cursor:
        query = query.where(TemplateVersion.number < workflow.cursor_number(cursor))
    rows = list(session.scalars(query.order_by(TemplateVersion.number.desc()).limit(size + 1)))
    page = rows[:size]
    return Page(page, encode_cursor(str(page[-1].number)) if len(rows) > size and page else None)


def approved_version(session: Session, template_id_or_name: uuid.UUID | str) -> TemplateVersion:
    """The version to send (``version.template`` is loaded with it); NotFound if none."""
    template = get_template(session, template_id_or_name)
    version = session.scalar(
        select(TemplateVersion).where(
            TemplateVersion.template_id == template.id,
            TemplateVersion.status == VersionStatus.APPROVED,
        )
    )
    if version is None:
        raise NotFound(f"the template {template.name} has no approved version: it cannot send")
    return version


def version_history(
    session: Session,
    template_id: uuid.UUID,
    *,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[workflow.HistoryEntry]:
    """Who did what when to the template and its versions, newest first."""
    get_template(session, template_id)
    return workflow.history(session, template_id, cursor=cursor, limit=limit)


# --- the template itself ---------------------------------------------------------------------


def _check_name_free(session: Session, name: str, template_id: uuid.UUID | None = None) -> None:
    query = select(Template.id).where(func.lower(Template.name) == name.lower())
    if template_id is not None:
        query = query.where(Template.id != template_id)
    if session.scalar(query) is not None:
        raise Conflict(f"a template named {name} exists already")


def do_create_template(
    session: Session,
    actor: Actor,
    *,
    name: str,
    purpose: str,
    variant_kinds: Sequence[str],
    locales: Sequence[str],
    description: str = "",
    schema: Sequence[Mapping[str, Any]] = (),
    variants: Mapping[str, Any] | None = None,
) -> TemplateVersion:
    """A new template and its version 1, a draft (``version.template`` is the template)."""
    workflow.check_can_design(actor)
    name = check_name(name)
    kinds = check_variant_kinds(variant_kinds)
    checked_locales = check_locales(locales)
    template = Template(
        name=name,
        description=check_description(description),
        purpose=check_purpose(purpose),
        variant_kinds=kinds,
        locales=checked_locales,
        created_by_id=actor.operator_id,
    )
    stored_schema = dump_schema(check_schema(schema))
    stored_variants = check_variants(variants or {}, kinds, checked_locales)
    _check_name_free(session, name)
    session.add(template)
    session.flush()
    version = TemplateVersion(
        template=template,
        template_id=template.id,
        number=1,
        schema=stored_schema,
        variants=stored_variants,
        content_hash=_hash(stored_schema, stored_variants),
        created_by_id=actor.operator_id,
    )
    session.add(version)
    workflow.record_step(
        session, actor, SUBJECT, template.id, "created", version=1, details={"name": name}
    )
    return version


def do_update_template(
    session: Session,
    actor: Actor,
    template_id: uuid.UUID,
    *,
    name: str | None = None,
    description: str | None = None,
    variant_kinds: Sequence[str] | None = None,
    locales: Sequence[str] | None = None,
) -> Template:
    """Change a template's name, description, variant kinds or locales (never its purpose)."""
    workflow.check_can_design(actor)
    template = get_template(session, template_id, lock=True)
    changes: dict[str, Any] = {}
    if name is not None and (name := check_name(name)) != template.name:
        _check_name_free(session, name, template.id)
        changes["name"] = name
    if description is not None and (text := check_description(description)) != template.description:
        changes["description"] = text
    if variant_kinds is not None and (kinds := check_variant_kinds(variant_kinds)) != list(
        template.variant_kinds
    ):
        changes["variant_kinds"] = kinds
    if locales is not None and (checked := check_locales(locales)) != list(template.locales):
        changes["locales"] = checked
    if changes:
        for key, value in changes.items():
            setattr(template, key, value)
        workflow.record_step(
            session, actor, SUBJECT, template.id, "updated", details={"changed": sorted(changes)}
        )
    return template


# --- versions --------------------------------------------------------------------------------


def do_new_version(
    session: Session, actor: Actor, template_id: uuid.UUID, *, from_number: int | None = None
) -> TemplateVersion:
    """A new draft, a copy of version ``from_number`` (default: the newest)."""
    workflow.check_can_design(actor)
    template = get_template(session, template_id, lock=True)
    versions = _versions(session, template.id)
    source = get_version(session, template.id, from_number) if from_number else versions[-1]
    workflow.check_no_draft(versions)
    version = TemplateVersion(
        template=template,
        template_id=template.id,
        number=versions[-1].number + 1,
        based_on=source.number,
        schema=source.schema,
        variants=source.variants,
        content_hash=source.content_hash,
        created_by_id=actor.operator_id,
    )
    session.add(version)
    workflow.record_step(
        session,
        actor,
        SUBJECT,
        template.id,
        "version_created",
        version=version.number,
        details={"based_on": source.number},
    )
    return version


def do_edit_version(
    session: Session,
    actor: Actor,
    template_id: uuid.UUID,
    number: int,
    *,
    schema: Sequence[Mapping[str, Any]] | None = None,
    variants: Mapping[str, Any] | None = None,
) -> TemplateVersion:
    """Replace a draft's schema and/or variants (each given one replaces the whole)."""
    workflow.check_can_design(actor)
    template = get_template(session, template_id, lock=True)
    version = get_version(session, template.id, number)
    workflow.check_editable(version)
    changed: list[str] = []
    if schema is not None:
        version.schema = dump_schema(check_schema(schema))
        changed.append("schema")
    if variants is not None:
        version.variants = check_variants(variants, template.variant_kinds, template.locales)
        changed.append("variants")
    version.content_hash = _hash(version.schema, version.variants)
    workflow.record_step(
        session, actor, SUBJECT, template.id, "edited", version=number, details={"changed": changed}
    )
    return version


def check_version(session: Session, version: TemplateVersion) -> list[LintFinding]:
    """Every finding on ``version``: what it lacks for review, then the linter's findings."""
    template = version.template
    # The stored variants may predate a change of the template's kinds or locales.
    check_variants(version.variants, template.variant_kinds, template.locales)
    findings = missing_for_review(version.variants, template.variant_kinds, template.locales)
    findings.extend(
        lint_version(
            template,
            version,
            approved_block_sources(session),
            link_allowlist=get_settings().link_allowlist,
        )
    )
    return findings


def _check_ready(session: Session, version: TemplateVersion) -> list[LintFinding]:
    findings = check_version(session, version)
    errors = [f for f in findings if f.severity is Severity.ERROR]
    if errors:
        raise workflow.NotReady(
            f"version {version.number} is not ready for review: {errors[0].text()}"
            + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""),
            findings=[workflow.finding_json(f) for f in errors],
        )
    return findings


def do_submit_version(
    session: Session, actor: Actor, template_id: uuid.UUID, number: int
) -> tuple[TemplateVersion, list[LintFinding]]:
    """Freeze a draft and send it to compliance; the warnings found go with it."""
    workflow.check_can_design(actor)
    template = get_template(session, template_id, lock=True)
    version = get_version(session, template.id, number)
    workflow.check_status(version, VersionStatus.DRAFT, "submitted for review")
    findings = _check_ready(session, version)
    workflow.mark_submitted(version, actor)
    workflow.record_step(
        session,
        actor,
        SUBJECT,
        template.id,
        "submitted",
        version=number,
        details={"warnings": sum(f.severity is Severity.WARNING for f in findings)},
    )
    return version, findings


def do_approve_version(
    session: Session, actor: Actor, template_id: uuid.UUID, number: int, comment: str | None
) -> TemplateVersion:
    """Approve a version in review; the version approved until now is retired."""
    template = get_template(session, template_id, lock=True)
    version = get_version(session, template.id, number)
    text = workflow.check_review(session, actor, template.id, version, comment, "approved")
    _check_ready(session, version)
    current = session.scalar(
        select(TemplateVersion).where(
            TemplateVersion.template_id == template.id,
            TemplateVersion.status == VersionStatus.APPROVED,
        )
    )
    workflow.do_approve(session, actor, SUBJECT, template.id, version, current, text)
    return version


def do_reject_version(
    session: Session, actor: Actor, template_id: uuid.UUID, number: int, comment: str | None
) -> TemplateVersion:
    """Send a version in review back with a comment; a new version (a copy) fixes it."""
    template = get_template(session, template_id, lock=True)
    version = get_version(session, template.id, number)
    text = workflow.check_review(session, actor, template.id, version, comment, "rejected")
    workflow.mark_rejected(version, actor, text)
    workflow.record_step(
        session, actor, SUBJECT, template.id, "rejected", version=number, comment=text
    )
    return version


def do_retire_version(
    session: Session,
    actor: Actor,
    template_id: uuid.UUID,
    number: int,
    comment: str | None = None,
) -> TemplateVersion:
    """Withdraw the approved version: the template cannot send until another is approved."""
    template = get_template(session, template_id, lock=True)
    version = get_version(session, template.id, number)
    workflow.check_can_review(actor)
    text = workflow.check_comment(comment, required=False)
    workflow.mark_retired(version, actor)
    workflow.record_step(
        session, actor, SUBJECT, template.id, "retired", version=number, comment=text
    )
    return version
