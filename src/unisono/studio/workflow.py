"""The review workflow shared by template versions and content block versions.

    draft --submit--> in_review --approve--> approved --retire / newer approval--> retired
                                --reject---> rejected

Rules, each refused with its own error code:

- Only designers and admins create and edit; only compliance and admins approve, reject and
  retire (``forbidden``).
- Only a draft changes (``version_not_editable``): once submitted a version is frozen, whatever
  happens next; a change is a new version copied from it (``do_new_version``).
- A transition from the wrong status is ``version_status``.
- Nobody approves a version they worked on: its author, anyone who edited it, or whoever
  submitted it (``self_approval``) — also when they are an admin.
- Approving and rejecting need a comment (``comment_required``).
- At most one version is approved at a time: approving a newer version retires the approved
  one; approving a version older than the approved one is refused (``older_than_approved``):
  copy it as a new version to go back to it.
- One draft at a time per template or block (``draft_exists``): a second would leave the
  reader unsure which one is "the" change under way.

Callers lock the parent row (template or block) before a transition, so two approvals or two
new versions at once are serialised. Every step is written to ``studio_events`` (the history
shown beside the template) and to the audit trail, in the caller's transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from unisono.clock import utcnow
from unisono.errors import Conflict, Forbidden, Invalid
from unisono.models import Operator, Role, StudioEvent, VersionStatus
from unisono.models.template import ReviewedVersionMixin
from unisono.pagination import Page, clamp_limit, decode_cursor, encode_cursor, time_id_cursor
from unisono.security.actor import Actor
from unisono.security.audit import record_audit
from unisono.security.permissions import require_role
from unisono.studio.spec import LintFinding

DESIGNERS = (Role.DESIGNER, Role.ADMIN)
REVIEWERS = (Role.COMPLIANCE, Role.ADMIN)
MAX_COMMENT = 2000
# The history actions through which an operator puts content into a version.
AUTHORING_ACTIONS = ("created", "version_created", "edited")


class VersionNotEditable(Conflict):
    code = "version_not_editable"


class WrongStatus(Conflict):
    code = "version_status"


class DraftExists(Conflict):
    code = "draft_exists"


class OlderThanApproved(Conflict):
    code = "older_than_approved"


class SelfApproval(Forbidden):
    code = "self_approval"


class CommentRequired(Invalid):
    code = "comment_required"


class NotReady(Invalid):
    """The version fails its checks (missing variants, lint errors) and cannot go to review."""

    code = "version_not_ready"


def check_can_design(actor: Actor) -> None:
    require_role(actor, DESIGNERS, "create or edit studio content")


def check_can_review(actor: Actor) -> None:
    require_role(actor, REVIEWERS, "approve, reject or retire studio content")


def check_editable(version: ReviewedVersionMixin) -> None:
    """Conflict unless ``version`` is a draft."""
    if version.status is not VersionStatus.DRAFT:
        raise VersionNotEditable(
            f"version {version.number} is {version.status.value} and can no longer change; "
            "create a new version from it"
        )


def check_no_draft(versions: Sequence[ReviewedVersionMixin]) -> None:
    for version in versions:
        if version.status is VersionStatus.DRAFT:
            raise DraftExists(
                f"version {version.number} is a draft already: edit it, or submit it first"
            )


def check_comment(comment: str | None, *, required: bool) -> str:
    text = (comment or "").strip()
    if required and not text:
        raise CommentRequired("write a comment: the designer reads it beside the decision")
    if len(text) > MAX_COMMENT:
        raise Invalid(f"the comment is longer than {MAX_COMMENT} characters")
    return text


def check_status(version: ReviewedVersionMixin, expected: VersionStatus, doing: str) -> None:
    if version.status is not expected:
        raise WrongStatus(
            f"only a version {expected.value.replace('_', ' ')} can be {doing}; "
            f"version {version.number} is {version.status.value.replace('_', ' ')}"
        )


def contributors(
    session: Session, subject_id: uuid.UUID, version: ReviewedVersionMixin
) -> set[uuid.UUID]:
    """The operators who wrote or submitted ``version``."""
    people = {version.created_by_id, version.submitted_by_id}
    people.update(
        session.scalars(
            select(StudioEvent.operator_id).where(
                StudioEvent.subject_id == subject_id,
                StudioEvent.version == version.number,
                StudioEvent.action.in_(AUTHORING_ACTIONS),
            )
        )
    )
    return {p for p in people if p is not None}


def check_not_contributor(
    session: Session, actor: Actor, subject_id: uuid.UUID, version: ReviewedVersionMixin
) -> None:
    if actor.operator_id is not None and actor.operator_id in contributors(
        session, subject_id, version
    ):
        raise SelfApproval(
            f"you worked on version {version.number}: another compliance officer or admin "
            "must review it"
        )


def mark_submitted(version: ReviewedVersionMixin, actor: Actor) -> None:
    check_status(version, VersionStatus.DRAFT, "submitted for review")
    version.status = VersionStatus.IN_REVIEW
    version.submitted_by_id = actor.operator_id
    version.submitted_at = utcnow()


def check_review(
    session: Session,
    actor: Actor,
    subject_id: uuid.UUID,
    version: ReviewedVersionMixin,
    comment: str | None,
    doing: str,
) -> str:
    """The comment of a review by ``actor`` that passes every rule of the workflow."""
    check_can_review(actor)
    check_status(version, VersionStatus.IN_REVIEW, doing)
    check_not_contributor(session, actor, subject_id, version)
    return check_comment(comment, required=True)


def mark_approved(
    version: ReviewedVersionMixin,
    actor: Actor,
    comment: str,
    current: ReviewedVersionMixin | None,
) -> None:
    """Approve ``version``, retiring ``current`` (the approved one until now)."""
    now = utcnow()
    if current is not None:
        if current.number > version.number:
            raise OlderThanApproved(
                f"version {current.number} is approved and newer than version "
                f"{version.number}; create a new version from {version.number} to go back to it"
            )
        current.status = VersionStatus.RETIRED
        current.retired_by_id = actor.operator_id
        current.retired_at = now
    version.status = VersionStatus.APPROVED
    version.reviewed_by_id = actor.operator_id
    version.reviewed_at = now
    version.review_comment = comment


def do_approve(
    session: Session,
    actor: Actor,
    subject_type: str,
    subject_id: uuid.UUID,
    version: ReviewedVersionMixin,
    current: ReviewedVersionMixin | None,
    comment: str,
) -> None:
    """Approve ``version`` of a template or block, retire ``current`` and record both steps."""
    mark_approved(version, actor, comment, current)
    if current is not None:
        record_step(
            session,
            actor,
            subject_type,
            subject_id,
            "retired",
            version=current.number,
            details={"superseded_by": version.number},
        )
    record_step(
        session,
        actor,
        subject_type,
        subject_id,
        "approved",
        version=version.number,
        comment=comment,
    )


def mark_rejected(version: ReviewedVersionMixin, actor: Actor, comment: str) -> None:
    version.status = VersionStatus.REJECTED
    version.reviewed_by_id = actor.operator_id
    version.reviewed_at = utcnow()
    version.review_comment = comment


def mark_retired(version: ReviewedVersionMixin, actor: Actor) -> None:
    check_can_review(actor)
    check_status(version, VersionStatus.APPROVED, "retired")
    version.status = VersionStatus.RETIRED
    version.retired_by_id = actor.operator_id
    version.retired_at = utcnow()


def record_step(
    session: Session,
    actor: Actor,
    subject_type: str,
    subject_id: uuid.UUID,
    action: str,
    *,
    version: int | None = None,
    comment: str = "",
    details: dict[str, object] | None = None,
) -> StudioEvent:
    """One history entry, and its audit event (``<subject_type>.<action>``)."""
    event = StudioEvent(
        subject_type=subject_type,
        subject_id=subject_id,
        version=version,
        action=action,
        operator_id=actor.operator_id,
        comment=comment,
        details=dict(details or {}),
    )
    session.add(event)
    audit_details: dict[str, object] = {"version": version, **(details or {})}
    if comment:
        audit_details["comment"] = comment
    record_audit(
        session,
        actor,
        f"{subject_type}.{action}",
        subject_type,
        subject_id,
        details=audit_details,
    )
    session.flush()
    return event


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    event: StudioEvent
    operator_name: str | None


def history(
    session: Session, subject_id: uuid.UUID, *, cursor: str | None = None, limit: int | None = None
) -> Page[HistoryEntry]:
    """Who did what when to a template or block, newest first, with operators' names."""
    size = clamp_limit(limit)
    query = (
        select(StudioEvent, Operator.name)
        .outerjoin(Operator, Operator.id == StudioEvent.operator_id)
        .where(StudioEvent.subject_id == subject_id)
    )
    if cursor:
        at, last_id = time_id_cursor(cursor)
        query = query.where(tuple_(StudioEvent.created_at, StudioEvent.id) < tuple_(at, last_id))
    rows = session.execute(
        query.order_by(StudioEvent.created_at.desc(), StudioEvent.id.desc()).limit(size + 1)
    ).all()
    page = [HistoryEntry(event, name) for event, name in rows[:size]]
    next_cursor = (
        encode_cursor(page[-1].event.created_at.isoformat(), str(page[-1].event.id))
        if len(rows) > size and page
        else None
    )
    return Page(page, next_cursor)


def cursor_number(cursor: str) -> int:
    """The version number inside a versions-list cursor."""
    (text,) = decode_cursor(cursor, 1)
    if not text.isdigit() or len(text) > 9:
        raise Invalid("the cursor is not valid; use next_cursor from a previous page")
    return int(text)


def finding_json(finding: LintFinding) -> dict[str, Any]:
    """A finding as the API and problem details carry it (English text beside the msgid)."""
    return {
        "code": finding.code,
        "severity": finding.severity.value,
        "message": finding.message,
        "params": dict(finding.params),
        "text": finding.text(),
        "variant": finding.variant.value if finding.variant else None,
        "locale": finding.locale,
        "field": finding.field,
    }
