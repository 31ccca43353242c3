"""The console's inbox through HTTP: filters and counts, waiting order, SLA badges, resolving
from the list, and the live stream (server-sent events) that tells pages what changed."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from tests.api.test_console import csrf_of, ingest, login
from unisono.clock import utcnow
from unisono.db import session_factory
from unisono.inbox.changes import LOOKBACK, ChangeCursor, inbox_changes, now_ms
from unisono.inbox.conversations import ConversationChanges, do_update_conversation
from unisono.inbox.replies import do_reply
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
from unisono.web.console import routes

MakeOperator = Callable[..., Operator]


@pytest.fixture
def agent(make_operator: MakeOperator) -> Operator:
    return make_operator(Role.AGENT, email="giulia@energiachiara.it", name="Giulia Marchetti")


@pytest.fixture
def console(client: TestClient, agent: Operator) -> TestClient:
    """The client signed in as an Italian-speaking agent."""
    assert login(client, agent.email).status_code == 303
    return client


def change(session: Session, conversation_id: Any, **changes: Any) -> None:
    conversation = session.get_one(Conversation, conversation_id)
    do_update_conversation(session, SYSTEM, conversation, ConversationChanges(**changes))
    session.commit()


def names_in_order(html: str) -> list[str]:
    """The customers of the list's rows, top to bottom."""
    return re.findall(r'class="row-link" href="[^"]+">([^<]+)</a>', html)


def tab_count(html: str, label: str) -> int:
    match = re.search(rf'{label} <span class="tab__count">(\d+)</span>', html)
    assert match, f"no tab {label}"
    return int(match.group(1))


@pytest.fixture
def desk(session: Session, agent: Operator, make_operator: MakeOperator) -> dict[str, Any]:
    """Five conversations over teams, channels, assignees, labels, priorities and statuses."""
    now = utcnow()
    billing = Team(slug="fatturazione", name="Fatturazione")
    outages = Team(slug="guasti", name="Guasti")
    session.add_all([billing, outages])
    session.commit()
    marco = make_operator(Role.AGENT, email="marco@energiachiara.it", name="Marco Bianchi")
    maria = ingest(session, "whatsapp", "333 123 4567", "bolletta", now - timedelta(hours=3))
    ingest(session, "voice", "333 123 4567", "chiamata", now - timedelta(hours=2))
    change(
        session,
        maria.conversation_id,
        team="fatturazione",
        team_set=True,
        assignee_id=agent.id,
        assignee_set=True,
        labels=["bollette"],
        priority=Priority.HIGH,
    )
    giorgio = ingest(session, "sms", "347 555 0192", "tecnico?", now - timedelta(minutes=30))
    change(
        session,
        giorgio.conversation_id,
        team="guasti",
        team_set=True,
        assignee_id=marco.id,
        assignee_set=True,
        priority=Priority.URGENT,
    )
    luca = ingest(
        session, "email", "luca@example.it", "fattura", now - timedelta(hours=5), kind="email"
    )
    change(session, luca.conversation_id, team="fatturazione", team_set=True, labels=["bollette"])
    sofia = ingest(session, "app", "app-1", "app", now - timedelta(hours=1), kind="app")
    change(session, sofia.conversation_id, status=ConversationStatus.PENDING)
    anna = ingest(session, "whatsapp", "340 000 0001", "grazie", now - timedelta(hours=8))
    change(session, anna.conversation_id, status=ConversationStatus.RESOLVED)
    return {
        "maria": maria.conversation_id,
        "giorgio": giorgio.conversation_id,
        "luca": luca.conversation_id,
        "sofia": sofia.conversation_id,
        "anna": anna.conversation_id,
        "marco": marco,
    }


# --- filters and counts ------------------------------------------------------------------------


def test_filters_combine_and_the_tabs_count_what_matches(
    console: TestClient, desk: dict[str, Any]
) -> None:
    page = console.get("/")
    assert page.status_code == 200
    assert tab_count(page.text, "Attive") == 4
    assert tab_count(page.text, "Aperte") == 3
    assert tab_count(page.text, "In attesa") == 1
    assert tab_count(page.text, "Risolte") == 1
    assert tab_count(page.text, "Tutte") == 5
    assert "+39 340 000 0001" not in page.text  # resolved: not among the active

    whatsapp = console.get("/?channel=whatsapp").text
    # A conversation that crossed WhatsApp, even if its last message came by phone.
    assert names_in_order(whatsapp) == ["+39 333 123 4567"]
    assert tab_count(whatsapp, "Tutte") == 2

    billing = console.get("/?team=fatturazione").text
    assert set(names_in_order(billing)) == {"+39 333 123 4567", "luca@example.it"}
    both = console.get("/?team=fatturazione&label=BOLLETTE&priority=high").text
    assert names_in_order(both) == ["+39 333 123 4567"]
    assert names_in_order(console.get("/?priority=urgent").text) == ["+39 347 555 0192"]
    marco = str(desk["marco"].id)
    assert names_in_order(console.get(f"/?assignee={marco}").text) == ["+39 347 555 0192"]


def test_mine_and_unassigned_quick_filters_with_counts(
    console: TestClient, desk: dict[str, Any]
) -> None:
    page = console.get("/").text
    assert re.search(r'Mie <span class="tab__count">1</span>', page)
    assert re.search(r'Non assegnate <span class="tab__count">2</span>', page)
    mine = console.get("/?assignee=me").text
    assert names_in_order(mine) == ["+39 333 123 4567"]
    assert 'aria-current="true"' in mine
    assert tab_count(mine, "Attive") == 1  # the tabs count within the assignee filter
    nobody = console.get("/?assignee=none").text
    assert set(names_in_order(nobody)) == {"luca@example.it", "app-1"}


def test_the_filters_stay_in_every_link(console: TestClient, desk: dict[str, Any]) -> None:
    page = console.get("/?team=fatturazione&sort=recent&label=bollette").text
    assert 'href="/?status=resolved&amp;team=fatturazione&amp;label=bollette&amp;sort=recent"' in (
        page
    )
    # The form shows what is chosen, and works without JavaScript (a GET form).
    assert '<form class="filters" method="get" action="/"' in page
    assert '<option value="fatturazione" selected>' in page
    assert '<option value="recent" selected>' in page
    assert 'value="bollette"' in page
    assert "Azzera i filtri" in page
    for control in ("channel", "team", "assignee", "label", "priority", "sort"):
        assert f'<label for="filter-{control}">' in page


@pytest.mark.parametrize(
    "query",
    ["priority=someday", "channel=fax", "team=nessuno", "assignee=qualcuno", "label=" + "x" * 65],
)
def test_unknown_filter_values_are_a_clear_page(console: TestClient, query: str) -> None:
    response = console.get(f"/?{query}")
    assert response.status_code in (404, 422)
    assert response.headers["content-type"].startswith("text/html")
    assert "Traceback" not in response.text


def test_no_match_offers_to_clear_the_filters(console: TestClient, desk: dict[str, Any]) -> None:
    page = console.get("/?label=inesistente").text
    assert "Nessuna conversazione corrisponde a questi filtri" in page
    assert 'href="/?status=active">Azzera i filtri' in page


# --- order and SLA -----------------------------------------------------------------------------


def test_the_longest_waiting_come_first_then_the_answered(
    console: TestClient, session: Session, actor: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = utcnow()
    for n, hours in enumerate((1, 5, 3)):
        ingest(session, "sms", f"333 000 00{n:02d}", f"messaggio {n}", now - timedelta(hours=hours))
    answered = ingest(session, "sms", "333 000 0099", "risposto", now - timedelta(hours=9))
    do_reply(session, actor, session.get_one(Conversation, answered.conversation_id), "Eccoci")
    session.commit()
    order = names_in_order(console.get("/").text)
    assert order == ["+39 333 000 0001", "+39 333 000 0002", "+39 333 000 0000", "+39 333 000 0099"]
    recent = names_in_order(console.get("/?sort=recent").text)
    assert recent == [
        "+39 333 000 0099",
        "+39 333 000 0000",
        "+39 333 000 0002",
        "+39 333 000 0001",
    ]

    # The waiting order pages with its own cursor, across the waiting and the answered.
    monkeypatch.setattr(routes, "INBOX_PAGE_SIZE", 3)
    first = console.get("/").text
    assert names_in_order(first) == order[:3]
    next_url = re.search(r'href="(/\?status=active&amp;cursor=[^"]+)" rel="next"', first)
    assert next_url
    second = console.get(next_url.group(1).replace("&amp;", "&")).text
    assert names_in_order(second) == order[3:]
    monkeypatch.setattr(routes, "INBOX_PAGE_SIZE", 1)
    seen, url = [], "/"
    while url:
        html = console.get(url).text
        seen += names_in_order(html)
        found = re.search(r'href="(/\?[^"]*cursor=[^"]+)" rel="next"', html)
        url = found.group(1).replace("&amp;", "&") if found else ""
    assert seen == order


def test_rows_show_the_answer_target_and_the_assignee(
    console: TestClient, session: Session, agent: Operator
) -> None:
    now = utcnow()
    late = ingest(session, "whatsapp", "333 111 1111", "aiuto", now - timedelta(minutes=20))
    change(session, late.conversation_id, priority=Priority.URGENT)
    soon = ingest(session, "sms", "333 222 2222", "ciao", now - timedelta(minutes=50))
    change(
        session,
        soon.conversation_id,
        priority=Priority.HIGH,
        assignee_id=agent.id,
        assignee_set=True,
    )
    ingest(session, "email", "ok@example.it", "info", now - timedelta(minutes=5), kind="email")
    page = console.get("/").text
    rows = dict(re.findall(r'row-link" href="[^"]+">([^<]+)</a>(.*?)</tr>', page, re.S))
    assert "sla--breached" in rows["+39 333 111 1111"]
    # Minutes pass while the test runs: 5 overdue, 10 left, give or take one.
    assert re.search(r"In ritardo di [56]min", rows["+39 333 111 1111"])
    assert "sla--due_soon" in rows["+39 333 222 2222"]
    assert re.search(
        r"In scadenza: </span><span class=\"sla__time\">Mancano (9|10)min", rows["+39 333 222 2222"]
    )
    assert "Giulia Marchetti" in rows["+39 333 222 2222"]
    assert "sla--ok" in rows["ok@example.it"]
    assert "In tempo: " in rows["ok@example.it"]
    assert "Prima risposta entro" in rows["ok@example.it"]
    assert "Nessuno" in rows["ok@example.it"]


def test_the_list_fragment_is_the_list_alone(console: TestClient, desk: dict[str, Any]) -> None:
    page = console.get("/?team=fatturazione")
    assert 'data-live-src="/?status=active&amp;team=fatturazione&amp;fragment=list"' in page.text
    fragment = console.get("/?status=active&team=fatturazione&fragment=list")
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert "<form" not in fragment.text  # the filters the operator may be editing stay put
    assert set(names_in_order(fragment.text)) == {"+39 333 123 4567", "luca@example.it"}
    assert tab_count(fragment.text, "Attive") == 2
    assert fragment.headers["cache-control"] == "no-store"


def test_the_inbox_page_costs_the_same_queries_for_5_or_25_rows(
    console: TestClient, session: Session, engine: Engine
) -> None:
    def queries_for_inbox() -> int:
        statements: list[str] = []

        def count(*args: Any) -> None:
            statements.append(args[2])

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert console.get("/").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    now = utcnow()
    for n in range(5):
        ingest(session, "sms", f"333 100 00{n:02d}", "uno", now - timedelta(minutes=n + 1))
    few = queries_for_inbox()
    for n in range(5, 25):
        ingest(session, "whatsapp", f"333 100 00{n:02d}", "due", now - timedelta(minutes=n + 1))
    assert queries_for_inbox() == few


# --- resolving from the list -------------------------------------------------------------------


def test_resolving_from_the_inbox(console: TestClient, session: Session, agent: Operator) -> None:
    first = ingest(session, "sms", "333 123 4567", "ciao", utcnow() - timedelta(minutes=3))
    page = console.get("/?channel=sms")
    token = csrf_of(page.text)
    form = {"conversation": str(first.conversation_id), "next": "/?channel=sms"}

    refused = console.post("/inbox/resolve", data=form, follow_redirects=False)
    assert refused.status_code == 403
    session.expire_all()
    assert session.get_one(Conversation, first.conversation_id).status == ConversationStatus.OPEN
    session.rollback()

    # A plain form post goes back to the filtered list; a script gets 204.
    done = console.post(
        "/inbox/resolve", data={**form, "csrf_token": token}, follow_redirects=False
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/?channel=sms"
    session.expire_all()
    assert session.get_one(Conversation, first.conversation_id).status == (
        ConversationStatus.RESOLVED
    )
    actions = list(
        session.scalars(select(AuditEvent.action).where(AuditEvent.operator_id == agent.id))
    )
    session.rollback()
    assert "conversation.updated" in actions
    assert "ciao" not in console.get("/").text

    second = ingest(session, "sms", "333 765 4321", "salve", utcnow())
    scripted = console.post(
        "/inbox/resolve",
        data={"conversation": str(second.conversation_id), "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert scripted.status_code == 204
    off_site = console.post(
        "/inbox/resolve",
        data={**form, "csrf_token": token, "next": "https://evil.example/"},
        follow_redirects=False,
    )
    assert off_site.headers["location"] == "/"
    unknown = console.post(
        "/inbox/resolve",
        data={"conversation": str(uuid.uuid4()), "csrf_token": token},
        follow_redirects=False,
    )
    assert unknown.status_code == 404
    bad = console.post(
        "/inbox/resolve", data={"conversation": "nope", "csrf_token": token}, follow_redirects=False
    )
    assert bad.status_code == 400


# --- the live stream ---------------------------------------------------------------------------


@pytest.fixture
def quick_stream(settings_override: Callable[..., None]) -> None:
    settings_override(live_poll_seconds=0.05, live_heartbeat_seconds=0.3, live_lifetime_seconds=1.5)


def read_events(client: TestClient, url: str, **headers: str) -> list[dict[str, str]]:
    """Every message of one stream (it ends after its short lifetime) as field -> value."""
    messages: list[dict[str, str]] = []
    current: dict[str, str] = {}
    with client.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-store"
        for line in response.iter_lines():
            if not line:
                if current:
                    messages.append(current)
                current = {}
                continue
            field, _, value = line.partition(":")
            current[field or "comment"] = value.strip()
    return messages


@pytest.fixture
def later(engine: Engine) -> Iterator[Callable[..., None]]:
    """``later(seconds, work)``: run ``work(session)`` in a thread with a session of its own."""
    threads: list[threading.Thread] = []
    errors: list[BaseException] = []

    def schedule(delay: float, work: Callable[[Session], Any]) -> None:
        def run() -> None:
            time.sleep(delay)
            try:
                with session_factory(engine)() as own:
                    work(own)
                    own.commit()
            except BaseException as exc:  # noqa: BLE001 - reported by the fixture
                errors.append(exc)

        thread = threading.Thread(target=run)
        thread.start()
        threads.append(thread)

    yield schedule
    for thread in threads:
        thread.join()
    assert not errors, errors


def test_the_stream_reports_a_new_message_and_a_resolved_conversation(
    console: TestClient, session: Session, quick_stream: None, later: Callable[..., None]
) -> None:
    existing = ingest(session, "sms", "333 123 4567", "ciao", utcnow() - timedelta(hours=1))
    session.close()
    since = str(now_ms())
    created: dict[str, Any] = {}

    def new_message(own: Session) -> None:
        created["id"] = ingest(own, "whatsapp", "347 000 1111", "nuovo", utcnow()).conversation_id

    def resolve(own: Session) -> None:
        change(own, existing.conversation_id, status=ConversationStatus.RESOLVED)

    later(0.3, new_message)
    later(0.6, resolve)
    messages = read_events(console, f"/live?since={since}")

    assert messages[0]["retry"] == "1000"
    events = [m for m in messages if m.get("event") == "inbox-changed"]
    named = [c for m in events for c in json.loads(m["data"])["conversations"]]
    assert str(created["id"]) in named
    assert str(existing.conversation_id) in named
    # Each change once, though every poll looks back over the last seconds. (The first poll
    # also reports the changes of the seconds before ``since``: a transaction may have been
    # in flight while the page rendered.)
    assert named.count(str(created["id"])) == 1
    assert 1 <= named.count(str(existing.conversation_id)) <= 2
    ids = [int(m["id"]) for m in messages if "id" in m]
    assert ids == sorted(ids)


def test_the_stream_sends_heartbeats_and_resumes_from_last_event_id(
    console: TestClient, session: Session, quick_stream: None
) -> None:
    quiet = read_events(console, "/live")
    assert any("comment" in m for m in quiet), "no heartbeat"
    assert not any(m.get("event") for m in quiet)
    assert all(m["id"].isdigit() for m in quiet if "id" in m)

    # A reconnecting browser names the last event it saw: what changed since is reported.
    resume_from = str(now_ms())
    missed = ingest(session, "sms", "333 999 0000", "mentre eri via", utcnow())
    session.close()
    resumed = read_events(console, "/live?since=0", **{"Last-Event-ID": resume_from})
    named = [
        c
        for m in resumed
        if m.get("event") == "inbox-changed"
        for c in json.loads(m["data"])["conversations"]
    ]
    assert str(missed.conversation_id) in named


def test_the_stream_needs_a_signed_in_operator(client: TestClient) -> None:
    response = client.get("/live", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_changes_are_found_late_commits_included_and_reported_once(
    session: Session, operator: Operator
) -> None:
    actor = SYSTEM
    start = ChangeCursor.resume(None)
    first = ingest(session, "sms", "333 123 4567", "ciao", utcnow())
    found = inbox_changes(session, actor, start)
    session.rollback()
    assert found.conversation_ids == [first.conversation_id]
    assert not found.other
    again = inbox_changes(session, actor, found.cursor)
    session.rollback()
    assert not again.any  # reported once

    # A change whose id is older than the newest one reported (its transaction committed
    # later) is still found within the look-back.
    ahead = ChangeCursor(found.cursor.since_ms + 5_000, found.cursor.seen)
    second = ingest(session, "sms", "347 555 0192", "dopo", utcnow())
    late = inbox_changes(session, actor, ahead)
    session.rollback()
    assert late.conversation_ids == [second.conversation_id]
    assert late.cursor.since_ms == ahead.since_ms  # never goes back

    # Reads are not changes; a merge of customers is "something changed".
    beyond = ChangeCursor(now_ms() + int(LOOKBACK.total_seconds() * 1000) + 1000)
    assert not inbox_changes(session, actor, beyond).any
    session.rollback()


def test_a_cursor_token_is_checked() -> None:
    now = 1_800_000_000_000
    assert ChangeCursor.resume("1799999999000", now=now).since_ms == 1_799_999_999_000
    for bad in ("", "soon", "9" * 19, str(now + 60_000), "1"):
        assert ChangeCursor.resume(bad, now=now).since_ms == now
