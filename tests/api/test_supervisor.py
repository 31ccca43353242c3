"""The supervisor's view: who may see it, the queues per team and channel, who handles what,
the conversations past their answer target, and the figures moving as work comes and goes."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.api.test_console import ingest, login
from unisono.clock import utcnow
from unisono.errors import Forbidden
from unisono.inbox.conversations import ConversationChanges, do_update_conversation
from unisono.inbox.replies import do_reply
from unisono.inbox.sla import sla_policy
from unisono.insight.queues import queue_overview
from unisono.models import (
    AuditEvent,
    Conversation,
    ConversationStatus,
    Operator,
    Priority,
    Role,
    Team,
)
from unisono.security.actor import SYSTEM, Actor

MakeOperator = Callable[..., Operator]


def change(session: Session, conversation_id: Any, **changes: Any) -> None:
    conversation = session.get_one(Conversation, conversation_id)
    do_update_conversation(session, SYSTEM, conversation, ConversationChanges(**changes))
    session.commit()


def stat(html: str, name: str) -> str:
    match = re.search(rf'data-stat="{name}">([^<]+)<', html)
    assert match, f"no figure {name}"
    return match.group(1)


@pytest.fixture
def floor(session: Session, make_operator: MakeOperator) -> dict[str, Any]:
    """Two teams, an agent and a handful of conversations in every state."""
    billing = Team(slug="fatturazione", name="Fatturazione")
    outages = Team(slug="guasti", name="Guasti")
    session.add_all([billing, outages])
    session.commit()
    giulia = make_operator(Role.AGENT, email="giulia@energiachiara.it", name="Giulia Marchetti")
    now = utcnow()
    # Billing: an urgent WhatsApp waiting 20 minutes (5 past its target), assigned to Giulia...
    urgent = ingest(session, "whatsapp", "333 111 1111", "aiuto", now - timedelta(minutes=20))
    change(
        session,
        urgent.conversation_id,
        team="fatturazione",
        team_set=True,
        priority=Priority.URGENT,
        assignee_id=giulia.id,
        assignee_set=True,
    )
    # ...and an email answered by her.
    answered = ingest(
        session, "email", "mario@example.it", "fattura", now - timedelta(hours=1), kind="email"
    )
    change(
        session,
        answered.conversation_id,
        team="fatturazione",
        team_set=True,
        assignee_id=giulia.id,
        assignee_set=True,
    )
    do_reply(
        session,
        Actor(operator=session.get_one(Operator, giulia.id), via="test"),
        session.get_one(Conversation, answered.conversation_id),
        "Verifichiamo",
    )
    session.commit()
    # Outages: an SMS waiting 10 minutes, nobody on it.
    fresh = ingest(session, "sms", "347 555 0192", "senza luce", now - timedelta(minutes=10))
    change(session, fresh.conversation_id, team="guasti", team_set=True)
    # No team: a low-priority message waiting two days (a day past its target).
    old = ingest(session, "whatsapp", "340 000 0001", "quando?", now - timedelta(days=2))
    change(session, old.conversation_id, priority=Priority.LOW)
    # Pending for Giulia (her load, not the open queue), and a resolved one (nowhere).
    pending = ingest(session, "app", "app-1", "ok", now - timedelta(hours=3), kind="app")
    change(
        session,
        pending.conversation_id,
        status=ConversationStatus.PENDING,
        assignee_id=giulia.id,
        assignee_set=True,
    )
    done = ingest(session, "sms", "333 999 9999", "grazie", now - timedelta(days=1))
    change(session, done.conversation_id, status=ConversationStatus.RESOLVED)
    return {
        "giulia": giulia,
        "urgent": urgent.conversation_id,
        "old": old.conversation_id,
        "fresh": fresh.conversation_id,
    }


def test_only_supervisors_and_administrators_see_the_queues(
    client: TestClient, make_operator: MakeOperator
) -> None:
    for role in (Role.AGENT, Role.DESIGNER, Role.COMPLIANCE):
        client.cookies.clear()
        someone = make_operator(role)
        login(client, someone.email)
        response = client.get("/supervisor")
        assert response.status_code == 403, role
        assert "Questa pagina è per i supervisori" in response.text
        assert "Code dei team" not in response.text
        assert 'href="/supervisor"' not in response.text  # not in their navigation either
    for role in (Role.SUPERVISOR, Role.ADMIN):
        client.cookies.clear()
        boss = make_operator(role)
        login(client, boss.email)
        page = client.get("/supervisor")
        assert page.status_code == 200, role
        assert "Code dei team" in page.text
        assert 'href="/supervisor" aria-current="page"' in page.text
    client.cookies.clear()
    assert client.get("/supervisor", follow_redirects=False).status_code == 303


def test_the_service_refuses_agents(session: Session, make_operator: MakeOperator) -> None:
    agent = make_operator(Role.AGENT)
    with pytest.raises(Forbidden):
        queue_overview(session, Actor(operator=agent), utcnow(), sla_policy())


def test_queues_per_team_and_channel(
    session: Session, operator: Operator, floor: dict[str, Any]
) -> None:
    overview = queue_overview(session, Actor(operator=operator), utcnow(), sla_policy())
    session.rollback()
    assert (overview.total.open, overview.total.waiting, overview.total.breaching) == (4, 3, 2)
    assert overview.total.unassigned == 2
    teams = {q.name: q for q in overview.teams}
    assert (teams["Fatturazione"].open, teams["Fatturazione"].waiting) == (2, 1)
    assert teams["Fatturazione"].breaching == 1
    assert teams["Fatturazione"].unassigned == 0
    assert (teams["Guasti"].open, teams["Guasti"].unassigned, teams["Guasti"].breaching) == (
        1,
        1,
        0,
    )
    no_team = next(q for q in overview.teams if q.key is None)
    assert (no_team.open, no_team.breaching) == (1, 1)
    assert overview.total.oldest_waiting_since == no_team.oldest_waiting_since
    channels = {q.key: q for q in overview.channels}
    assert set(channels) == {"whatsapp", "email", "sms"}
    assert (channels["whatsapp"].open, channels["whatsapp"].breaching) == (2, 2)
    assert channels["email"].waiting == 0  # answered
    # The most overdue first: a day late beats five minutes late.
    assert [item.conversation.id for item in overview.breaching] == [floor["old"], floor["urgent"]]
    giulia = next(load for load in overview.operators if load.operator.id == floor["giulia"].id)
    assert (giulia.active, giulia.waiting, giulia.breaching) == (3, 1, 1)
    assert giulia.conversations[0].conversation.id == floor["urgent"]  # the longest waiting first


def test_the_page_shows_the_figures_with_links_into_the_inbox(
    client: TestClient, session: Session, make_operator: MakeOperator, floor: dict[str, Any]
) -> None:
    boss = make_operator(Role.SUPERVISOR, email="capo@energiachiara.it", name="Paola Capo")
    login(client, boss.email)
    page = client.get("/supervisor").text
    assert stat(page, "open") == "4"
    assert stat(page, "waiting") == "3"
    assert stat(page, "breaching") == "2"
    assert stat(page, "oldest") == "2gg"
    assert 'href="/?status=open&amp;team=fatturazione">Fatturazione</a>' in page
    assert 'href="/?status=open&amp;channel=whatsapp">' in page
    assert "Nessun team" in page
    # Past the answer target, with links to the conversations.
    breaching = page[page.index('id="queues-breaching"') : page.index('id="queues-operators"')]
    assert f'href="/conversations/{floor["old"]}">+39 340 000 0001</a>' in breaching
    assert f'href="/conversations/{floor["urgent"]}">+39 333 111 1111</a>' in breaching
    assert breaching.index("+39 340 000 0001") < breaching.index("+39 333 111 1111")
    assert "In ritardo di 1g<" in breaching
    assert "Giulia Marchetti" in breaching
    # Who handles what.
    handling = page[page.index('id="queues-operators"') :]
    assert f'href="/?status=active&amp;assignee={floor["giulia"].id}">Giulia Marchetti' in handling
    assert "Disponibile" in handling  # the supervisor herself has nothing assigned

    session.expire_all()
    audited = session.scalar(
        select(AuditEvent).where(
            AuditEvent.operator_id == boss.id, AuditEvent.action == "queues.read"
        )
    )
    session.rollback()
    assert audited is not None


def test_the_fragment_moves_with_the_queue(
    client: TestClient, session: Session, make_operator: MakeOperator, floor: dict[str, Any]
) -> None:
    boss = make_operator(Role.SUPERVISOR, email="capo@energiachiara.it")
    login(client, boss.email)
    page = client.get("/supervisor").text
    assert 'data-live-src="/supervisor?fragment=queues"' in page
    fragment = client.get("/supervisor?fragment=queues")
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert stat(fragment.text, "open") == "4"

    ingest(session, "x", "@utente", "niente luce", utcnow(), kind="x")
    assert stat(client.get("/supervisor?fragment=queues").text, "open") == "5"
    change(session, floor["fresh"], status=ConversationStatus.RESOLVED)
    change(session, floor["urgent"], status=ConversationStatus.RESOLVED)
    moved = client.get("/supervisor?fragment=queues").text
    assert stat(moved, "open") == "3"
    assert stat(moved, "breaching") == "1"
