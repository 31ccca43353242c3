"""Answer targets (SLA): the state of a conversation's clock at fixed times, in Python and in
SQL (the queues count breaches in the database: both must agree)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from unisono.inbox.ingest import NewInteraction, do_ingest_interaction
from unisono.inbox.sla import SlaClock, SlaPolicy, SlaState, sla_policy
from unisono.models import Conversation, ConversationStatus, Direction, Priority
from unisono.security.actor import SYSTEM

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def conversation(
    waited: timedelta | None,
    priority: Priority = Priority.NORMAL,
    *,
    status: ConversationStatus = ConversationStatus.OPEN,
    answered_before: bool = False,
) -> Conversation:
    return Conversation(
        customer_id=uuid.uuid4(),
        status=status,
        priority=priority,
        waiting_since=NOW - waited if waited is not None else None,
        first_response_at=NOW - timedelta(days=1) if answered_before else None,
        last_activity_at=NOW,
    )


@pytest.mark.parametrize(
    ("priority", "waited", "state", "left"),
    [
        (Priority.URGENT, timedelta(minutes=5), SlaState.OK, timedelta(minutes=10)),
        (Priority.URGENT, timedelta(minutes=12), SlaState.DUE_SOON, timedelta(minutes=3)),
        (Priority.URGENT, timedelta(minutes=15), SlaState.BREACHED, timedelta(0)),
        (Priority.HIGH, timedelta(minutes=44), SlaState.OK, timedelta(minutes=16)),
        (Priority.HIGH, timedelta(minutes=45), SlaState.DUE_SOON, timedelta(minutes=15)),
        (Priority.HIGH, timedelta(minutes=61), SlaState.BREACHED, timedelta(minutes=-1)),
        (Priority.NORMAL, timedelta(hours=2), SlaState.OK, timedelta(hours=2)),
        (Priority.NORMAL, timedelta(hours=3, minutes=30), SlaState.DUE_SOON, timedelta(minutes=30)),
        (Priority.NORMAL, timedelta(hours=5), SlaState.BREACHED, timedelta(hours=-1)),
        (Priority.LOW, timedelta(hours=17), SlaState.OK, timedelta(hours=7)),
        (Priority.LOW, timedelta(hours=19), SlaState.DUE_SOON, timedelta(hours=5)),
        (Priority.LOW, timedelta(days=2), SlaState.BREACHED, timedelta(hours=-24)),
    ],
)
def test_the_clock_by_priority(
    priority: Priority, waited: timedelta, state: SlaState, left: timedelta
) -> None:
    status = sla_policy().status(conversation(waited, priority), NOW)
    assert status is not None
    assert status.state is state
    assert status.remaining == left
    assert status.due_at == NOW + left
    assert status.clock is SlaClock.FIRST_RESPONSE


def test_after_the_first_answer_the_next_answer_is_due() -> None:
    status = sla_policy().status(conversation(timedelta(minutes=10), answered_before=True), NOW)
    assert status is not None
    assert status.clock is SlaClock.NEXT_RESPONSE
    assert status.target == timedelta(hours=4)


@pytest.mark.parametrize(
    "case",
    [
        conversation(None),  # answered: nobody waits
        conversation(timedelta(days=3), status=ConversationStatus.PENDING),
        conversation(timedelta(days=3), status=ConversationStatus.SNOOZED),
        conversation(timedelta(days=3), status=ConversationStatus.RESOLVED),
    ],
)
def test_no_clock_runs_when_nobody_owes_an_answer(case: Conversation) -> None:
    assert sla_policy().status(case, NOW) is None


def test_targets_come_from_the_settings(settings_override: Callable[..., None]) -> None:
    settings_override(sla_normal_minutes=30)
    status = sla_policy().status(conversation(timedelta(minutes=31)), NOW)
    assert status is not None
    assert status.state is SlaState.BREACHED


def test_sql_and_python_agree(session: Session) -> None:
    policy = SlaPolicy.from_settings()
    cases = {
        "urgent ok": (Priority.URGENT, timedelta(minutes=2)),
        "urgent soon": (Priority.URGENT, timedelta(minutes=13)),
        "urgent late": (Priority.URGENT, timedelta(minutes=16)),
        "high soon": (Priority.HIGH, timedelta(minutes=50)),
        "normal late": (Priority.NORMAL, timedelta(hours=4, minutes=1)),
        "low ok": (Priority.LOW, timedelta(hours=5)),
        "low late": (Priority.LOW, timedelta(hours=25)),
    }
    ids: dict[uuid.UUID, str] = {}
    for n, (name, (priority, waited)) in enumerate(cases.items()):
        interaction, _ = do_ingest_interaction(
            session,
            SYSTEM,
            NewInteraction(
                channel="sms",
                identity_kind="phone",
                identity_value=f"+3933300000{n:02d}",
                direction=Direction.INBOUND,
                text=name,
                occurred_at=NOW - waited,
                external_id=uuid.uuid4().hex,
            ),
        )
        assert interaction.conversation_id is not None
        session.get_one(Conversation, interaction.conversation_id).priority = priority
        ids[interaction.conversation_id] = name
    # A late one that is pending: its clock is stopped.
    paused, _ = do_ingest_interaction(
        session,
        SYSTEM,
        NewInteraction(
            channel="sms",
            identity_kind="phone",
            identity_value="+393339999999",
            direction=Direction.INBOUND,
            text="in attesa",
            occurred_at=NOW - timedelta(days=2),
            external_id=uuid.uuid4().hex,
        ),
    )
    assert paused.conversation_id is not None
    session.get_one(Conversation, paused.conversation_id).status = ConversationStatus.PENDING
    session.commit()

    def named(condition: object) -> set[str]:
        found = session.scalars(select(Conversation.id).where(condition))  # type: ignore[arg-type]
        return {ids.get(i, "paused") for i in found}

    breached = named(policy.breaching(NOW))
    due_soon = named(policy.due_soon(NOW))
    assert breached == {"urgent late", "normal late", "low late"}
    assert due_soon == {"urgent soon", "high soon"}
    for conversation_id, name in ids.items():
        status = policy.status(session.get_one(Conversation, conversation_id), NOW)
        assert status is not None
        assert (status.state is SlaState.BREACHED) == (name in breached), name
        assert (status.state is SlaState.DUE_SOON) == (name in due_soon), name
    session.rollback()
