"""Shared content blocks: brand header and footer, legal notices, signatures.

Every template includes a block by name (``{% include "legal_notice" %}``), so a brand or legal
change is made once. A block holds, per locale, an ``html`` and a ``text`` source (the HTML goes
into email and letter bodies, the text into plain-text parts, SMS and scripts). Blocks are
versioned and reviewed exactly like templates (``unisono.studio.workflow``): the approved
version is the one that renders; approving a newer one retires it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from unisono.errors import Conflict, NotFound
from unisono.ids import parse_uuid
from unisono.models import ContentBlock, ContentBlockVersion, VersionStatus
from unisono.pagination import Page, clamp_limit, decode_cursor, encode_cursor
from unisono.security.actor import Actor
from unisono.studio import workflow
from unisono.studio.schema import (
    block_missing_for_review,
    check_block_content,
    check_block_name,
    check_description,
    content_hash,
)
from unisono.studio.spec import LintFinding, Severity

SUBJECT = "block"
# name -> locale -> format ("html", "text") -> source: what the renderer and the linter read.
BlockSources = dict[str, dict[str, dict[str, str]]]


def get_block(
    session: Session, block_id_or_name: uuid.UUID | str, *, lock: bool = False
) -> ContentBlock:
    """The block with this id or name, or NotFound."""
    ident = (
        block_id_or_name
        if isinstance(block_id_or_name, uuid.UUID)
        else parse_uuid(block_id_or_name)
    )
    if ident is not None:
        block = session.get(ContentBlock, ident, with_for_update=lock or None)
    else:
        query = select(ContentBlock).where(ContentBlock.name == block_id_or_name)
        block = session.scalar(query.with_for_update() if lock else query)
    if block is None:
        raise NotFound(f"no content block {block_id_or_name}")
    return block


def get_block_version(session: Session, block_id: uuid.UUID, number: int) -> ContentBlockVersion:
    version = session.scalar(
        select(ContentBlockVersion).where(
            ContentBlockVersion.block_id == block_id, ContentBlockVersion.number == number
        )
    )
    if version is None:
        raise NotFound(f"the block has no version {number}")
    return version


def _versions(session: Session, block_id: uuid.UUID) -> list[ContentBlockVersion]:
    return list(
        session.scalars(
            select(ContentBlockVersion)
            .where(ContentBlockVersion.block_id == block_id)
            .order_by(ContentBlockVersion.number)
        )
    )


def list_blocks(
    session: Session, *, cursor: str | None = None, limit: int | None = None
) -> Page[ContentBlock]:
    """Blocks by name."""
    size = clamp_limit(limit)
    query = select(ContentBlock)
    if cursor:
        (after,) = decode_cursor(cursor, 1)
        query = query.where(ContentBlock.name > after)
    rows = list(session.scalars(query.order_by(ContentBlock.name).limit(size + 1)))
    page = rows[:size]
    return Page(page, encode_cursor(page[-1].name) if len(rows) > size and page else None)


def list_block_versions(
    session: Session, block_id: uuid.UUID, *, cursor: str | None = None, limit: int | None = None
) -> Page[ContentBlockVersion]:
    """A block's versions, newest first."""
    get_block(session, block_id)
    size = clamp_limit(limit)
    query = select(ContentBlockVersion).where(ContentBlockVersion.block_id == block_id)
    if cursor:
        query = query.where(ContentBlockVersion.number < workflow.cursor_number(cursor))
    rows = list(session.scalars(query.order_by(ContentBlockVersion.number.desc()).limit(size + 1)))
    page = rows[:size]
    return Page(page, encode_cursor(str(page[-1].number)) if len(rows) > size and page else None)


def do_create_block(
    session: Session,
    actor: Actor,
    *,
    name: str,
    description: str = "",
    content: Mapping[str, Any] | None = None,
) -> ContentBlockVersion:
    """A new block with its first version, a draft."""
    workflow.check_can_design(actor)
    name = check_block_name(name)
    description = check_description(description)
    checked = check_block_content(content or {})
    if session.scalar(select(ContentBlock.id).where(func.lower(ContentBlock.name) == name)):
        raise Conflict(f"a content block named {name} exists already")
    block = ContentBlock(name=name, description=description, created_by_id=actor.operator_id)
    session.add(block)
    session.flush()
    version = ContentBlockVersion(
        block=block,
        block_id=block.id,
        number=1,
        content=checked,
        content_hash=content_hash(checked),
        created_by_id=actor.operator_id,
    )
    session.add(version)
    workflow.record_step(session, actor, SUBJECT, block.id, "created", version=1)
    return version


def do_update_block(
    session: Session, actor: Actor, block_id: uuid.UUID, *, description: str | None = None
) -> ContentBlock:
    """Change a block's description (its name is what templates include: it never changes)."""
    workflow.check_can_design(actor)
    block = get_block(session, block_id, lock=True)
    if description is not None and description != block.description:
        block.description = check_description(description)
        workflow.record_step(session, actor, SUBJECT, block.id, "updated")
    return block


def do_new_block_version(
    session: Session, actor: Actor, block_id: uuid.UUID, *, from_number: int | None = None
) -> ContentBlockVersion:
    """A new draft, a copy of version ``from_number`` (default: the newest)."""
    workflow.check_can_design(actor)
    block = get_block(session, block_id, lock=True)
    versions = _versions(session, block.id)
    source = get_block_version(session, block.id, from_number) if from_number else versions[-1]
    workflow.check_no_draft(versions)
    version = ContentBlockVersion(
        block=block,
        block_id=block.id,
        number=versions[-1].number + 1,
        based_on=source.number,
        content=source.content,
        content_hash=source.content_hash,
        created_by_id=actor.operator_id,
    )
    session.add(version)
    workflow.record_step(
        session,
        actor,
        SUBJECT,
        block.id,
        "version_created",
        version=version.number,
        details={"based_on": source.number},
    )
    return version


def do_edit_block_version(
    session: Session, actor: Actor, block_id: uuid.UUID, number: int, *, content: Mapping[str, Any]
) -> ContentBlockVersion:
    """Replace a draft's content."""
    workflow.check_can_design(actor)
    block = get_block(session, block_id, lock=True)
    version = get_block_version(session, block.id, number)
    workflow.check_editable(version)
    checked = check_block_content(content)
    version.content = checked
    version.content_hash = content_hash(checked)
    workflow.record_step(session, actor, SUBJECT, block.id, "edited", version=number)
    return version


def check_block_version(version: ContentBlockVersion) -> list[LintFinding]:
    """What stands between the version and its review."""
    return block_missing_for_review(version.content)


def do_submit_block_version(
    session: Session, actor: Actor, block_id: uuid.UUID, number: int
) -> ContentBlockVersion:
    workflow.check_can_design(actor)
    block = get_block(session, block_id, lock=True)
    version = get_block_version(session, block.id, number)
    workflow.check_status(version, VersionStatus.DRAFT, "submitted for review")
    _check_ready(version)
    workflow.mark_submitted(version, actor)
    workflow.record_step(session, actor, SUBJECT, block.id, "submitted", version=number)
    return version


def _check_ready(version: ContentBlockVersion) -> None:
    errors = [f for f in check_block_version(version) if f.severity is Severity.ERROR]
    if errors:
        raise workflow.NotReady(
            f"version {version.number} is not ready for review: {errors[0].text()}",
            findings=[workflow.finding_json(f) for f in errors],
        )


def do_approve_block_version(
    session: Session, actor: Actor, block_id: uuid.UUID, number: int, comment: str | None
) -> ContentBlockVersion:
    """Approve a block version; the previously approved one is retired."""
    block = get_block(session, block_id, lock=True)
    version = get_block_version(session, block.id, number)
    text = workflow.check_review(session, actor, block.id, version, comment, "approved")
    _check_ready(version)
    current = session.scalar(
        select(ContentBlockVersion).where(
            ContentBlockVersion.block_id == block.id,
            ContentBlockVersion.status == VersionStatus.APPROVED,
        )
    )
    workflow.do_approve(session, actor, SUBJECT, block.id, version, current, text)
    return version


def do_reject_block_version(
    session: Session, actor: Actor, block_id: uuid.UUID, number: int, comment: str | None
) -> ContentBlockVersion:
    block = get_block(session, block_id, lock=True)
    version = get_block_version(session, block.id, number)
    text = workflow.check_review(session, actor, block.id, version, comment, "rejected")
    workflow.mark_rejected(version, actor, text)
    workflow.record_step(
        session, actor, SUBJECT, block.id, "rejected", version=number, comment=text
    )
    return version


def do_retire_block_version(
    session: Session, actor: Actor, block_id: uuid.UUID, number: int, comment: str | None = None
) -> ContentBlockVersion:
    """Withdraw the approved version: templates including the block no longer render."""
    block = get_block(session, block_id, lock=True)
    version = get_block_version(session, block.id, number)
    workflow.check_can_review(actor)
    text = workflow.check_comment(comment, required=False)
    workflow.mark_retired(version, actor)
    workflow.record_step(session, actor, SUBJECT, block.id, "retired", version=number, comment=text)
    return version


def approved_block_sources(session: Session) -> BlockSources:
    """Every block's approved content, by name: what templates include when they render."""
    rows = session.execute(
        select(ContentBlock.name, ContentBlockVersion.content)
        .join(ContentBlockVersion, ContentBlockVersion.block_id == ContentBlock.id)
        .where(ContentBlockVersion.status == VersionStatus.APPROVED)
    ).all()
    return {str(name): dict(content) for name, content in rows}


def block_history(
    session: Session, block_id: uuid.UUID, *, cursor: str | None = None, limit: int | None = None
) -> Page[workflow.HistoryEntry]:
    get_block(session, block_id)
    return workflow.history(session, block_id, cursor=cursor, limit=limit)


def summarize_blocks(
    session: Session, block_ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, VersionStatus, int | None]]:
    """Per block: its newest version's number and status and its approved number, one query."""
    rows = session.execute(
        select(
            ContentBlockVersion.block_id, ContentBlockVersion.number, ContentBlockVersion.status
        ).where(ContentBlockVersion.block_id.in_(block_ids))
    ).all()
    result: dict[uuid.UUID, tuple[int, VersionStatus, int | None]] = {}
    for block_id, number, status in rows:
        latest, latest_status, approved = result.get(block_id, (0, status, None))
        if number > latest:
            latest, latest_status = number, status
        if status is VersionStatus.APPROVED:
            approved = number
        result[block_id] = (latest, latest_status, approved)
    return result
