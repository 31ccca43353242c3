"""Working conversations: listing and loading them, changing status, assignee, team, labels."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, Text, cast, exists, func, select, tuple_
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
    Team,
)
from unisono.pagination import Page, clamp_limit, encode_cursor, time_id_cursor
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


def _filtered(session: Session, actor: Actor, flt: ConversationFilter) -> Select[Any]:
    query = select(Conversation)
    if flt.status is not None:
        query = query.where(Conversation.status == flt.status)
    if flt.statuses:
        query = query.where(Conversation.status.in_(flt.statuses))
    if flt.priority is not None:
        query = query.where(Conversation.priority == flt.priority)
    if flt.customer_id is not None:
        query = query.where(Conversation.customer_id == flt.customer_id)
    if flt.channel:
        query = query.where(
            exists().where(
                Interaction.conversation_id == Conversation.id, Interaction.channel == flt.channel
            )
        )
    if flt.assignee == "none":
        query = query.where(Conversation.assignee_id.is_(None))
    elif flt.assignee == "me":
        query = query.where(Conversation.assignee_id == actor.operator_id)
    elif flt.assignee:
        assignee_id = parse_uuid(flt.assignee)
        if assignee_id is None:
            raise Invalid("assignee is an operator id, 'me' or 'none'")
        query = query.where(Conversation.assignee_id == assignee_id)
    if flt.team:
        query = query.where(Conversation.team_id == _resolve_team(session, flt.team).id)
    if flt.label:
        # JSON containment differs per database; the quoted label in the serialised list is
        # exact because labels are stored as a JSON array of strings.
        query = query.where(
            func.lower(cast(Conversation.labels, Text)).contains(f'"{flt.label.lower()}"')
        )
    return query


def list_conversations(
    session: Session,
    actor: Actor,
    flt: ConversationFilter,
    *,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[ConversationSummary]:
    """Conversations matching ``flt``, most recent activity first."""
    size = clamp_limit(limit)
    query = _filtered(session, actor, flt)
    if cursor:
        at, last_id = time_id_cursor(cursor)
        query = query.where(
            tuple_(Conversation.last_activity_at, Conversation.id) < tuple_(at, last_id)
        )
    rows = list(
        session.scalars(
            query.order_by(Conversation.last_activity_at.desc(), Conversation.id.desc()).limit(
                size + 1
            )
        )
    )
    page, more = rows[:size], len(rows) > size
    summaries = summarize(session, page)
    next_cursor = (
        encode_cursor(page[-1].last_activity_at.isoformat(), str(page[-1].id))
        if more and page
        else None
    )
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


def conversation_interactions(session: Session, conversation: Conversation) -> list[Interaction]:
    """The conversation's interactions in time order."""
    return list(
        session.scalars(
            select(Interaction)
            .where(Interaction.conversation_id == conversation.id)
            .order_by(Interaction.occurred_at, Interaction.id)
        )
    )
