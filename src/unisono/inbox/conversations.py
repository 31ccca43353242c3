"""Working conversations: listing and loading them, changing status, assignee, team, labels."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.orm import Session

from unisono.clock import utcnow
from unisono.errors import Invalid, NotFound
from unisono.ids import parse_uuid
from unisono.integrations.events import publish
from unisono.integrations.payloads import conversation_data
from unisono.models import (
    Conversation,
    ConversationStatus,
    Customer,
    Interaction,
    Operator,
    Priority,
    Role,
    Team,
)
from unisono.pagination import Page, clamp_limit, decode_cursor, encode_cursor, time_id_cursor
from unisono.security.actor import Actor
from unisono.security.audit import record_audit

MAX_LABELS = 50


@dataclass(frozen=True, slots=True)
class ConversationFilter:
    status: ConversationStatus | None = None
    # Any of these statuses (e.g. ACTIVE_STATUSES); combined with ``status`` when both are set.
    statuses: tuple[ConversationStatus, ...] = ()
    channel: str | None = None
    # An operator id, "me" or "none" (unassigned).
    assignee: str | None = None
    # A team id or slug.
    team: str | None = None
    label: str | None = None
    priority: Priority | None = None
    customer_id: uuid.UUID | None = None


class ConversationSort(enum.StrEnum):
    # Most recent activity first.
    RECENT = "recent"
    # The customer waiting longest first; then the answered ones, most recent activity first.
    WAITING = "waiting"


@dataclass(frozen=True, slots=True)
class ConversationCounts:
    """How many conversations match a filter, per status and by assignee."""

    # Matching every part of the filter except its statuses.
    by_status: dict[ConversationStatus, int]
    # Of the filter's statuses, ignoring its assignee: the actor's own, and nobody's.
    mine: int
    unassigned: int

    def total(self, statuses: Iterable[ConversationStatus] = ()) -> int:
        """Matching conversations in any of ``statuses`` (every status when empty)."""
        wanted = set(statuses) or set(ConversationStatus)
        return sum(n for status, n in self.by_status.items() if status in wanted)


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    """A conversation with what a list shows of it."""

    conversation: Conversation
    customer: Customer
    channels: list[str]
    last_interaction: Interaction | None


def access_conversation(session: Session, actor: Actor, conversation_id: uuid.UUID) -> Conversation:
    """The conversation ``conversation_id`` as ``actor`` may see it; records the access."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound(f"no conversation {conversation_id}")
    record_audit(
        session,
        actor,
        "conversation.read",
        "conversation",
        conversation.id,
        customer_id=conversation.customer_id,
    )
    return conversation


def _resolve_team(session: Session, ref: str) -> Team:
    team_id = parse_uuid(ref)
    team = (
        session.get(Team, team_id)
        if team_id
        else session.scalar(select(Team).where(Team.slug == ref))
    )
    if team is None:
        raise Invalid(f"no team '{ref}'")
    return team


def _assignee_condition(actor: Actor, assignee: str | None) -> ColumnElement[bool] | None:
    if not assignee:
        return None
    if assignee == "none":
        return Conversation.assignee_id.is_(None)
    if assignee == "me":
        return Conversation.assignee_id == actor.operator_id
    assignee_id = parse_uuid(assignee)
    if assignee_id is None:
        raise Invalid("assignee is an operator id, 'me' or 'none'")
    return Conversation.assignee_id == assignee_id


def _conditions(
    session: Session,
    actor: Actor,
    flt: ConversationFilter,
    *,
    by_status: bool = True,
    by_assignee: bool = True,
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if by_status and flt.status is not None:
        conditions.append(Conversation.status == flt.status)
    if by_status and flt.statuses:
        conditions.append(Conversation.status.in_(flt.statuses))
    if flt.priority is not None:
        conditions.append(Conversation.priority == flt.priority)
    if flt.customer_id is not None:
        conditions.append(Conversation.customer_id == flt.customer_id)
    if flt.channel:
        conditions.append(
            exists().where(
                Interaction.conversation_id == Conversation.id, Interaction.channel == flt.channel
            )
        )
    assignee = _assignee_condition(actor, flt.assignee) if by_assignee else None
    if assignee is not None:
        conditions.append(assignee)
    if flt.team:
        conditions.append(Conversation.team_id == _resolve_team(session, flt.team).id)
    if flt.label:
        # JSON containment differs per database; the quoted label in the serialised list is
        # exact because labels are stored as a JSON array of strings.
        conditions.append(
            func.lower(cast(Conversation.labels, Text)).contains(f'"{flt.label.lower()}"')
        )
    return conditions


def _filtered(session: Session, actor: Actor, flt: ConversationFilter) -> Select[Any]:
    return select(Conversation).where(*_conditions(session, actor, flt))


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def count_conversations(
    session: Session, actor: Actor, flt: ConversationFilter
) -> ConversationCounts:
    """How many conversations match ``flt`` in each status, and how many of those in its
    statuses are the actor's or nobody's (for tabs and quick filters), in one grouped query."""
    assignee = _assignee_condition(actor, flt.assignee)
    mine = (
        Conversation.assignee_id == actor.operator_id if actor.operator_id is not None else false()
    )
    rows = session.execute(
        select(
            Conversation.status,
            _count_if(assignee if assignee is not None else true()),
            _count_if(mine),
            _count_if(Conversation.assignee_id.is_(None)),
        )
        .where(*_conditions(session, actor, flt, by_status=False, by_assignee=False))
        .group_by(Conversation.status)
    ).tuples()
    wanted = set(ConversationStatus)
    if flt.statuses:
        wanted &= set(flt.statuses)
    if flt.status is not None:
        wanted &= {flt.status}
    by_status: dict[ConversationStatus, int] = {}
    mine_count = unassigned_count = 0
    for status, matching, own, nobodys in rows:
        by_status[status] = int(matching)
        if status in wanted:
            mine_count += int(own)
            unassigned_count += int(nobodys)
    return ConversationCounts(by_status, mine_count, unassigned_count)


def _waiting_order(query: Select[Any], cursor: str | None) -> Select[Any]:
    """``query`` longest wait first, then the answered conversations by recent activity."""
    answered = Conversation.waiting_since.is_(None)
    if cursor:
        kind, waited, activity, ident = decode_cursor(cursor, 4)
        try:
            after_activity = tuple_(Conversation.last_activity_at, Conversation.id) < tuple_(
                datetime.fromisoformat(activity), uuid.UUID(ident)
            )
            waited_at = datetime.fromisoformat(waited) if kind == "w" else None
        except ValueError as exc:
            raise Invalid("the cursor is not valid; use next_cursor from a previous page") from exc
        if waited_at is not None:
            query = query.where(
                or_(
                    answered,
                    Conversation.waiting_since > waited_at,
                    and_(Conversation.waiting_since == waited_at, after_activity),
                )
            )
        else:
            query = query.where(answered, after_activity)
    # ``IS NULL`` first: both databases sort false before true, but not NULLs alike.
    return query.order_by(
        answered,
        Conversation.waiting_since,
        Conversation.last_activity_at.desc(),
        Conversation.id.desc(),
    )


def _cursor_after(conversation: Conversation, sort: ConversationSort) -> str:
    activity, ident = conversation.last_activity_at.isoformat(), str(conversation.id)
    if sort is ConversationSort.RECENT:
        return encode_cursor(activity, ident)
    if conversation.waiting_since is None:
        return encode_cursor("a", "", activity, ident)
    return encode_cursor("w", conversation.waiting_since.isoformat(), activity, ident)


def list_conversations(
    session: Session,
    actor: Actor,
    flt: ConversationFilter,
    *,
    cursor: str | None = None,
    limit: int | None = None,
    sort: ConversationSort = ConversationSort.RECENT,
) -> Page[ConversationSummary]:
    """Conversations matching ``flt`` in the order ``sort`` (most recent activity first)."""
    size = clamp_limit(limit)
    query = _filtered(session, actor, flt)
    if sort is ConversationSort.WAITING:
        query = _waiting_order(query, cursor)
    else:
        if cursor:
            at, last_id = time_id_cursor(cursor)
            query = query.where(
                tuple_(Conversation.last_activity_at, Conversation.id) < tuple_(at, last_id)
            )
        query = query.order_by(Conversation.last_activity_at.desc(), Conversation.id.desc())
    rows = list(session.scalars(query.limit(size + 1)))
    page, more = rows[:size], len(rows) > size
    summaries = summarize(session, page)
    next_cursor = _cursor_after(page[-1], sort) if more and page else None
    record_audit(
        session,
        actor,
        "conversation.list",
        "conversation",
        None,
        details={"count": len(page)},
    )
    return Page(summaries, next_cursor)


def summarize(session: Session, conversations: list[Conversation]) -> list[ConversationSummary]:
    """Customers, channels crossed and last interaction of ``conversations``, in three queries."""
    if not conversations:
        return []
    ids = [c.id for c in conversations]
    customers = {
        c.id: c
        for c in session.scalars(
            select(Customer).where(Customer.id.in_({c.customer_id for c in conversations}))
        )
    }
    channels: dict[uuid.UUID, list[str]] = {}
    for conversation_id, channel, _first in session.execute(
        select(Interaction.conversation_id, Interaction.channel, func.min(Interaction.occurred_at))
        .where(Interaction.conversation_id.in_(ids))
        .group_by(Interaction.conversation_id, Interaction.channel)
        .order_by(func.min(Interaction.occurred_at))
    ):
        if conversation_id is not None:
            channels.setdefault(conversation_id, []).append(channel)
    ranked = (
        select(
            Interaction.id,
            func.row_number()
            .over(
                partition_by=Interaction.conversation_id,
                order_by=(Interaction.occurred_at.desc(), Interaction.id.desc()),
            )
            .label("position"),
        )
        .where(Interaction.conversation_id.in_(ids))
        .subquery()
    )
    last = {
        i.conversation_id: i
        for i in session.scalars(
            select(Interaction)
            .join(ranked, ranked.c.id == Interaction.id)
            .where(ranked.c.position == 1)
        )
    }
    return [
        ConversationSummary(c, customers[c.customer_id], channels.get(c.id, []), last.get(c.id))
        for c in conversations
    ]


@dataclass(frozen=True, slots=True)
class ConversationChanges:
    status: ConversationStatus | None = None
    priority: Priority | None = None
    # Set ``assignee_set``/``team_set`` to change them; None then means "nobody".
    assignee_id: uuid.UUID | None = None
    assignee_set: bool = False
    team: str | None = None
    team_set: bool = False
    labels: list[str] | None = None


def do_update_conversation(
    session: Session, actor: Actor, conversation: Conversation, changes: ConversationChanges
) -> list[str]:
    """Apply ``changes``; returns the names of the fields that changed."""
    changed: list[str] = []
    if changes.labels is not None:
        labels = sorted({lbl.strip() for lbl in changes.labels if lbl.strip()})
        if len(labels) > MAX_LABELS or any(len(lbl) > 64 for lbl in labels):
            raise Invalid(f"at most {MAX_LABELS} labels of at most 64 characters")
        if labels != conversation.labels:
            conversation.labels = labels
            changed.append("labels")
    if changes.assignee_set and changes.assignee_id != conversation.assignee_id:
        if changes.assignee_id is not None:
            operator = session.get(Operator, changes.assignee_id)
            if operator is None or not operator.active:
                raise Invalid(f"no active operator {changes.assignee_id}")
        conversation.assignee_id = changes.assignee_id
        changed.append("assignee")
    if changes.team_set:
        team_id = _resolve_team(session, changes.team).id if changes.team else None
        if team_id != conversation.team_id:
            conversation.team_id = team_id
            changed.append("team")
    if changes.priority is not None and changes.priority != conversation.priority:
        conversation.priority = changes.priority
        changed.append("priority")
    if changes.status is not None and changes.status != conversation.status:
        conversation.status = changes.status
        if changes.status == ConversationStatus.RESOLVED:
            conversation.resolved_at = utcnow()
            conversation.waiting_since = None
        else:
            conversation.resolved_at = None
        changed.append("status")
    if changed:
        session.flush()
        data = {**conversation_data(conversation), "changed": changed}
        publish(session, "conversation.updated", data)
        if "status" in changed:
            publish(session, "conversation.status_changed", data)
        record_audit(
            session,
            actor,
            "conversation.updated",
            "conversation",
            conversation.id,
            customer_id=conversation.customer_id,
            details={"fields": changed},
        )
    return changed


def filter_choices(session: Session) -> tuple[list[Team], list[Operator]]:
    """The teams and the active operators who take conversations, by name (for filters)."""
    teams = list(session.scalars(select(Team).order_by(Team.name)))
    operators = list(
        session.scalars(
            select(Operator)
            .where(
                Operator.active.is_(True),
                Operator.role.in_((Role.AGENT, Role.SUPERVISOR, Role.ADMIN)),
            )
            .order_by(Operator.name)
        )
    )
    return teams, operators


def conversation_interactions(session: Session, conversation: Conversation) -> list[Interaction]:
    """The conversation's interactions in time order."""
    return list(
        session.scalars(
            select(Interaction)
            .where(Interaction.conversation_id == conversation.id)
            .order_by(Interaction.occurred_at, Interaction.id)
        )
    )
