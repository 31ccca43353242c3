"""Conversations: the inbox list, one conversation, updates, replies and notes."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query, status

from unisono.inbox.conversations import (
    ConversationChanges,
    ConversationFilter,
    access_conversation,
    conversation_interactions,
    do_update_conversation,
    list_conversations,
    summarize,
)
from unisono.inbox.replies import do_add_note, do_reply
from unisono.models import ConversationStatus, Priority
from unisono.studio.operator_use import do_send_template
from unisono.web.api.schemas import (
    ConversationDetailOut,
    ConversationOut,
    ConversationUpdate,
    InteractionOut,
    MessageCreate,
    NoteCreate,
    PageOut,
)
from unisono.web.deps import ApiActor, SessionDep

router = APIRouter(prefix="/conversations", tags=["conversations"])


@router.get("")
def list_all(
    session: SessionDep,
    actor: ApiActor,
    status_: ConversationStatus | None = Query(default=None, alias="status"),
    channel: str | None = Query(default=None, max_length=32),
    assignee: str | None = Query(default=None, max_length=64, description="id, me or none"),
    team: str | None = Query(default=None, max_length=64, description="team id or slug"),
    label: str | None = Query(default=None, max_length=64),
    priority: Priority | None = None,
    customer_id: uuid.UUID | None = None,
    cursor: str | None = Query(default=None, max_length=500),
    limit: int | None = Query(default=None, ge=1, le=200),
) -> PageOut[ConversationOut]:
    """Conversations, most recent activity first."""
    page = list_conversations(
        session,
        actor,
        ConversationFilter(
            status=status_,
            channel=channel,
            assignee=assignee,
            team=team,
            label=label,
            priority=priority,
            customer_id=customer_id,
        ),
        cursor=cursor,
        limit=limit,
    )
    return PageOut(
        items=[
            ConversationOut.of(s.conversation, s.customer, s.channels, s.last_interaction)
            for s in page.items
        ],
        next_cursor=page.next_cursor,
    )


def _detail(
    session: SessionDep, conversation_id: uuid.UUID, actor: ApiActor
) -> ConversationDetailOut:
    conversation = access_conversation(session, actor, conversation_id)
    (summary,) = summarize(session, [conversation])
    base = ConversationOut.of(
        conversation, summary.customer, summary.channels, summary.last_interaction
    )
    return ConversationDetailOut(
        **base.model_dump(),
        interactions=[
            InteractionOut.of(i) for i in conversation_interactions(session, conversation)
        ],
    )


@router.get("/{conversation_id}")
def get_one(
    conversation_id: uuid.UUID, session: SessionDep, actor: ApiActor
) -> ConversationDetailOut:
    """One conversation with all its interactions, oldest first."""
    return _detail(session, conversation_id, actor)


@router.patch("/{conversation_id}")
def update(
    conversation_id: uuid.UUID, body: ConversationUpdate, session: SessionDep, actor: ApiActor
) -> ConversationDetailOut:
    """Change status, priority, assignee, team or labels."""
    conversation = access_conversation(session, actor, conversation_id)
    sent = body.model_fields_set
    do_update_conversation(
        session,
        actor,
        conversation,
        ConversationChanges(
            status=body.status,
            priority=body.priority,
            labels=body.labels,
            assignee_id=body.assignee_id,
            assignee_set="assignee_id" in sent,
            team=body.team,
            team_set="team" in sent,
        ),
    )
    return _detail(session, conversation_id, actor)


@router.post("/{conversation_id}/messages", status_code=status.HTTP_201_CREATED)
def reply(
    conversation_id: uuid.UUID, body: MessageCreate, session: SessionDep, actor: ApiActor
) -> InteractionOut:
    """Queue an operator reply on a channel (default: the customer's last inbound one): the
    ``text``, or the approved version of ``template_id`` rendered for the customer."""
    conversation = access_conversation(session, actor, conversation_id)
    if body.template_id is not None:
        return InteractionOut.of(
            do_send_template(session, actor, conversation, body.template_id, body.channel)
        )
    return InteractionOut.of(
        do_reply(session, actor, conversation, body.text or "", channel=body.channel)
    )


@router.post("/{conversation_id}/notes", status_code=status.HTTP_201_CREATED)
def add_note(
    conversation_id: uuid.UUID, body: NoteCreate, session: SessionDep, actor: ApiActor
) -> InteractionOut:
    """Add an internal note that only operators see."""
    conversation = access_conversation(session, actor, conversation_id)
    return InteractionOut.of(do_add_note(session, actor, conversation, body.text))
