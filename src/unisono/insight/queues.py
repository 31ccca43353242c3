"""The supervisor's queues: who waits where, who handles what, which answers are late.

Every figure is counted by the database at the moment of asking (grouped queries, not a loop
over conversations), so any API process shows the same queue and a page stays fast as the
queue grows. The channel of a conversation in the queue is the channel of its customer's latest
message: where they wait for the answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from unisono.inbox.sla import SlaPolicy, SlaStatus, waiting
from unisono.models import (
    ACTIVE_STATUSES,
    Conversation,
    ConversationStatus,
    Customer,
    Direction,
    Interaction,
    Operator,
    Role,
    Team,
)
from unisono.security.actor import Actor
from unisono.security.audit import record_audit
from unisono.security.permissions import require_role

SUPERVISING_ROLES = (Role.SUPERVISOR, Role.ADMIN)
# Roles whose members take conversations (shown in "who handles what" even when free).
HANDLING_ROLES = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
# Conversations shown per operator; the count shows the rest.
PER_OPERATOR = 5
# Most overdue conversations listed; the count shows the rest.
BREACH_LIST = 50
# Bounds on rows read for the lists (the counts are exact regardless).
MAX_HANDLED = 1000
MAX_BREACHING = 1000


@dataclass(frozen=True, slots=True)
class Queue:
    """Open conversations of one team or channel."""

    # A team id or a channel kind; None for the conversations without a team.
    key: str | None
    name: str
    open: int
    waiting: int
    unassigned: int
    oldest_waiting_since: datetime | None
    breaching: int


@dataclass(frozen=True, slots=True)
class QueuedConversation:
    conversation: Conversation
    customer: Customer
    sla: SlaStatus | None


@dataclass(frozen=True, slots=True)
class OperatorLoad:
    """An operator and the active conversations assigned to them."""

    operator: Operator
    active: int
    waiting: int
    breaching: int
    # The longest waiting first, at most PER_OPERATOR.
    conversations: list[QueuedConversation]


@dataclass(frozen=True, slots=True)
class QueueOverview:
    at: datetime
    total: Queue
    teams: list[Queue]
    channels: list[Queue]
    operators: list[OperatorLoad]
    # Most overdue first, at most BREACH_LIST of ``total.breaching``.
    breaching: list[QueuedConversation]
    teams_by_id: dict[uuid.UUID, Team]
    operators_by_id: dict[uuid.UUID, Operator]


def check_queue_access(actor: Actor) -> None:
    """Forbidden unless ``actor`` supervises (supervisors and administrators)."""
    require_role(actor, SUPERVISING_ROLES, "see the team queues")


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _queue_columns(policy: SlaPolicy, now: datetime) -> tuple[ColumnElement[Any], ...]:
    clock_runs = waiting()
    return (
        func.count(),
        _count_if(clock_runs),
        _count_if(Conversation.assignee_id.is_(None)),
        func.min(case((clock_runs, Conversation.waiting_since))),
        _count_if(policy.breaching(now)),
    )


def _queue(key: str | None, name: str, row: Sequence[Any] | None) -> Queue:
    """A queue from the values of ``_queue_columns`` (None: nothing open)."""
    if row is None:
        return Queue(key, name, 0, 0, 0, None, 0)
    opened, waits, unassigned, oldest, breaching = row
    return Queue(key, name, int(opened), int(waits), int(unassigned), oldest, int(breaching))


def queue_overview(
    session: Session, actor: Actor, now: datetime, policy: SlaPolicy
) -> QueueOverview:
    """The queues per team and per channel, the operators' loads and the SLA breaches at
    ``now``. Supervisors and administrators only; the read is audited."""
    check_queue_access(actor)
    is_open = Conversation.status == ConversationStatus.OPEN
    columns = _queue_columns(policy, now)

    teams = list(session.scalars(select(Team).order_by(Team.name)))
    by_team = {
        row[0]: tuple(row[1:])
        for row in session.execute(
            select(Conversation.team_id, *columns).where(is_open).group_by(Conversation.team_id)
        )
    }
    team_queues = [_queue(str(t.id), t.name, by_team.get(t.id)) for t in teams]
    if None in by_team:
        team_queues.append(_queue(None, "", by_team[None]))
    total = _sum_queues(team_queues)

    latest_inbound = (
        select(
            Interaction.conversation_id,
            Interaction.channel,
            func.row_number()
            .over(
                partition_by=Interaction.conversation_id,
                order_by=(Interaction.occurred_at.desc(), Interaction.id.desc()),
            )
            .label("position"),
        )
        .join(Conversation, Conversation.id == Interaction.conversation_id)
        .where(is_open, Interaction.direction == Direction.INBOUND)
        .subquery()
    )
    channel_queues = [
        _queue(str(row[0]), str(row[0]), tuple(row[1:]))
        for row in session.execute(
            select(latest_inbound.c.channel, *columns)
            .join(Conversation, Conversation.id == latest_inbound.c.conversation_id)
            .where(latest_inbound.c.position == 1)
            .group_by(latest_inbound.c.channel)
            .order_by(func.count().desc(), latest_inbound.c.channel)
        )
    ]

    is_active = Conversation.status.in_(ACTIVE_STATUSES)
    breach = policy.breaching(now)
    loads = {
        assignee_id: (int(active), int(waits), int(breaching))
        for assignee_id, active, waits, breaching in session.execute(
            select(Conversation.assignee_id, func.count(), _count_if(waiting()), _count_if(breach))
            .where(is_active, Conversation.assignee_id.is_not(None))
            .group_by(Conversation.assignee_id)
        ).tuples()
    }
    operators = list(
        session.scalars(
            select(Operator)
            .where(
                Operator.role.in_(HANDLING_ROLES),
                Operator.active.is_(True) | Operator.id.in_(list(loads)),
            )
            .order_by(Operator.name)
        )
    )
    handled = list(
        session.scalars(
            select(Conversation)
            .where(is_active, Conversation.assignee_id.is_not(None))
            # Those whose clock runs first, the longest waiting first; then the rest.
            .order_by(
                case((waiting(), 0), else_=1),
                Conversation.waiting_since.is_(None),
                Conversation.waiting_since,
                Conversation.last_activity_at.desc(),
            )
            .limit(MAX_HANDLED)
        )
    )
    overdue = list(
        session.scalars(
            select(Conversation)
            .where(and_(breach))
            .order_by(Conversation.waiting_since)
            .limit(MAX_BREACHING)
        )
    )
    customers = _customers(session, [*handled, *overdue])

    def queued(conversation: Conversation) -> QueuedConversation:
        return QueuedConversation(
            conversation, customers[conversation.customer_id], policy.status(conversation, now)
        )

    per_operator: dict[uuid.UUID, list[QueuedConversation]] = {}
    for conversation in handled:
        assert conversation.assignee_id is not None
        mine = per_operator.setdefault(conversation.assignee_id, [])
        if len(mine) < PER_OPERATOR:
            mine.append(queued(conversation))
    operator_loads = [
        OperatorLoad(op, *loads.get(op.id, (0, 0, 0)), per_operator.get(op.id, []))
        for op in operators
    ]
    # The most overdue first: due times depend on each conversation's priority.
    breaching = sorted((queued(c) for c in overdue), key=_overdue_first)[:BREACH_LIST]
    record_audit(
        session,
        actor,
        "queues.read",
        "conversation",
        None,
        details={"listed": len(breaching) + sum(len(v) for v in per_operator.values())},
    )
    return QueueOverview(
        at=now,
        total=total,
        teams=team_queues,
        channels=channel_queues,
        operators=operator_loads,
        breaching=breaching,
        teams_by_id={t.id: t for t in teams},
        operators_by_id={op.id: op for op in operators},
    )


def _overdue_first(item: QueuedConversation) -> tuple[float, str]:
    remaining = item.sla.remaining.total_seconds() if item.sla else 0.0
    return remaining, str(item.conversation.id)


def _sum_queues(queues: list[Queue]) -> Queue:
    oldest = [q.oldest_waiting_since for q in queues if q.oldest_waiting_since is not None]
    return Queue(
        None,
        "",
        sum(q.open for q in queues),
        sum(q.waiting for q in queues),
        sum(q.unassigned for q in queues),
        min(oldest) if oldest else None,
        sum(q.breaching for q in queues),
    )


def _customers(session: Session, conversations: list[Conversation]) -> dict[uuid.UUID, Customer]:
    ids = {c.customer_id for c in conversations}
    if not ids:
        return {}
    return {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(ids)))}
