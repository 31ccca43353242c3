"""The conversation page through HTTP: the composer (replies, notes, mentions, the service
window), the conversation card's actions, canned responses, recordings and visits."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.api.test_console import PASSWORD, csrf_of, ingest, login
from unisono.clock import utcnow
from unisono.inbox.channel_config import do_create_channel
from unisono.media.attachments import store_attachment
from unisono.models import (
    AuditEvent,
    CannedResponse,
    Conversation,
    ConversationStatus,
    DeliveryStatus,
    Direction,
    Interaction,
    Mention,
    Operator,
    Priority,
    Role,
    Team,
)
from unisono.security.actor import SYSTEM
from unisono.security.operators import do_create_token

MakeOperator = Callable[..., Operator]
PHONE = "+39 333 1234567"


@pytest.fixture
def team(session: Session) -> Team:
    team = Team(slug="bollette", name="Bollette")
    session.add(team)
    session.commit()
    return team


@pytest.fixture
def agent(make_operator: MakeOperator, team: Team) -> Operator:
    return make_operator(
        Role.AGENT, email="giulia.marchetti@energiachiara.it", name="Giulia Marchetti", team=team
    )


@pytest.fixture
def colleague(make_operator: MakeOperator) -> Operator:
    return make_operator(Role.AGENT, email="marco.ferri@energiachiara.it", name="Marco Ferri")


@pytest.fixture
def console(client: TestClient, agent: Operator) -> TestClient:
    response = login(client, agent.email)
    assert response.status_code == 303, response.text
    return client


@pytest.fixture
def channels(session: Session) -> None:
    """SMS, WhatsApp and email configured, as an installation that sends on them."""
    for kind, credentials in (
        ("sms", {"account_sid": "AC1", "auth_token": "t", "from_number": "+15005550006"}),
        (
            "whatsapp",
            {"app_secret": "s", "verify_token": "v", "access_token": "a", "phone_number_id": "1"},
        ),
        ("email", {"smtp_host": "127.0.0.1", "smtp_port": "2525", "address": "cc@example.it"}),
    ):
        do_create_channel(session, SYSTEM, kind=kind, name=kind, credentials=credentials)
    session.commit()


def _conversation_with_whatsapp(session: Session, *, hours_ago: float = 1) -> Interaction:
    message = ingest(
        session, "whatsapp", PHONE, "la bolletta è sbagliata", utcnow() - timedelta(hours=hours_ago)
    )
    assert message.conversation_id is not None
    return message


def _timeline(html: str) -> str:
    return html[html.index('id="timeline-title"') :]


def _composer(html: str) -> str:
    return html[html.index('id="composer"') : html.index('id="timeline-title"')]


def _selected_channel(html: str) -> str | None:
    match = re.search(r'<option value="([a-z_]+)" selected>', _composer(html))
    return match.group(1) if match else None


def _post(client: TestClient, url: str, page_url: str, **data: str) -> Any:
    token = csrf_of(client.get(page_url).text)
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)


def _rows(session: Session, query: Any) -> list[Any]:
    # A short read: nothing stays open while the app writes (SQLite).
    rows = list(session.scalars(query))
    session.commit()
    return rows


# --- the composer ------------------------------------------------------------------------------


def test_the_composer_offers_the_customers_channels_with_the_last_one_chosen(
    console: TestClient, session: Session, channels: None
) -> None:
    message = _conversation_with_whatsapp(session)
    page = console.get(f"/conversations/{message.conversation_id}")
    assert page.status_code == 200
    composer = _composer(page.text)
    assert 'id="composer"' in page.text
    # A phone reaches SMS and WhatsApp; the customer has no email address.
    assert 'value="whatsapp"' in composer
    assert 'value="sms"' in composer
    assert 'value="email"' not in composer
    assert _selected_channel(page.text) == "whatsapp"
    assert "disabled" not in composer.split('id="composer-text"')[1].split(">")[0]


def test_a_reply_by_sms_is_queued_on_the_timeline_and_audited(
    console: TestClient, session: Session, channels: None, agent: Operator
) -> None:
    message = _conversation_with_whatsapp(session)
    url = f"/conversations/{message.conversation_id}"
    response = _post(
        console, f"{url}/compose", url, channel="sms", text="Verifichiamo la lettura, a presto."
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"{url}?channel=sms#composer"
    (reply,) = _rows(
        session, select(Interaction).where(Interaction.direction == Direction.OUTBOUND)
    )
    assert (reply.channel, reply.delivery_status) == ("sms", DeliveryStatus.QUEUED)
    assert reply.operator_id == agent.id
    page = console.get(response.headers["location"])
    timeline = _timeline(page.text)
    assert "Verifichiamo la lettura, a presto." in timeline
    assert "In coda" in timeline
    assert _selected_channel(page.text) == "sms"  # the chosen channel stays chosen
    assert _rows(session, select(AuditEvent).where(AuditEvent.action == "conversation.replied"))


def test_whatsapp_outside_the_window_takes_no_free_text(
    console: TestClient, session: Session, channels: None
) -> None:
    message = _conversation_with_whatsapp(session, hours_ago=30)
    url = f"/conversations/{message.conversation_id}"
    page = console.get(url)
    composer = _composer(page.text)
    assert _selected_channel(page.text) == "whatsapp"
    assert "WhatsApp (solo modelli)" in composer
    assert "solo entro 24 ore" in composer
    assert 'id="composer-templates"' in composer
    textarea = composer.split('id="composer-text"')[1].split(">")[0]
    assert "disabled" in textarea
    # Posted anyway (an old page, a crafted form): refused in the form, the text kept.
    response = _post(console, f"{url}/compose", url, channel="whatsapp", text="Gentile cliente")
    assert response.status_code == 422
    assert 'id="composer-error"' in response.text
    assert "solo entro 24 ore" in response.text
    assert "Gentile cliente" in _composer(response.text)
    assert not _rows(session, select(Interaction).where(Interaction.direction != Direction.INBOUND))
    # SMS still takes free text.
    switched = _post(console, f"{url}/compose", url, action="switch", channel="sms", text="x")
    assert switched.status_code == 200
    assert _selected_channel(switched.text) == "sms"
    assert "disabled" not in _composer(switched.text).split('id="composer-text"')[1].split(">")[0]


def test_switching_channel_or_mode_with_htmx_answers_only_the_composer(
    console: TestClient, session: Session, channels: None
) -> None:
    message = _conversation_with_whatsapp(session)
    url = f"/conversations/{message.conversation_id}"
    token = csrf_of(console.get(url).text)
    response = console.post(
        f"{url}/compose",
        data={"csrf_token": token, "action": "switch", "mode": "note", "text": "bozza"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith("<form")
    assert 'id="timeline-title"' not in response.text
    assert "composer--note" in response.text
    assert "bozza" in response.text
    assert 'name="channel"' not in response.text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"channel": "sms", "text": "   "}, "Scrivi prima un messaggio."),
        ({"channel": "email", "text": "ciao"}, "non ha un indirizzo o un numero per questo canale"),
        ({"channel": "voice", "text": "ciao"}, "Non si possono inviare risposte su questo canale"),
        ({"channel": "sms", "text": "x" * 100_001}, "Il messaggio è troppo lungo."),
    ],
)
def test_a_refused_reply_shows_why_in_the_form(
    console: TestClient, session: Session, channels: None, data: dict[str, str], message: str
) -> None:
    first = _conversation_with_whatsapp(session)
    url = f"/conversations/{first.conversation_id}"
    response = _post(console, f"{url}/compose", url, **data)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    error = response.text.split('id="composer-error"')[1].split("</p>")[0]
    assert message in error
    assert 'id="timeline-title"' in response.text  # the page, not an error page
    assert len(_rows(session, select(Interaction))) == 1


def test_an_unconfigured_channel_is_offered_but_explained(
    console: TestClient, session: Session
) -> None:
    message = _conversation_with_whatsapp(session)
    page = console.get(f"/conversations/{message.conversation_id}")
    composer = _composer(page.text)
    assert "WhatsApp (non configurato)" in composer
    assert "Nessun canale WhatsApp è configurato" in composer


# --- notes and mentions ------------------------------------------------------------------------


def test_a_note_mentions_a_colleague_who_sees_it_until_they_open_it(
    console: TestClient,
    client: TestClient,
    session: Session,
    app: Any,
    colleague: Operator,
    agent: Operator,
) -> None:
    message = _conversation_with_whatsapp(session)
    url = f"/conversations/{message.conversation_id}"
    text = "@Marco Ferri puoi passare domani? Scrivi a luca@example.it, non a @nessuno."
    response = _post(console, f"{url}/compose", url, mode="note", text=text)
    assert response.status_code == 303
    (note,) = _rows(session, select(Interaction).where(Interaction.direction == Direction.NOTE))
    (mention,) = _rows(session, select(Mention))
    assert (mention.operator_id, mention.interaction_id) == (colleague.id, note.id)
    assert mention.seen_at is None
    timeline = _timeline(console.get(url).text)
    assert '<mark class="mention">@Marco Ferri</mark> puoi passare domani?' in timeline
    assert "@nessuno" in timeline
    assert '<mark class="mention">@nessuno' not in timeline

    with TestClient(app) as other:
        assert login(other, colleague.email, PASSWORD).status_code == 303
        badge = other.get("/mentions/count")
        assert badge.status_code == 200
        assert ">1<" in badge.text
        listing = other.get("/mentions")
        assert "puoi passare domani?" in listing.text
        assert f"{url}#i-{note.id}" in listing.text
        assert "Giulia Marchetti" in listing.text
        assert other.get(url).status_code == 200
        assert "mention-badge" not in other.get("/mentions/count").text
        assert "Nuova" not in other.get("/mentions").text
    # The author's own mentions page is empty.
    assert "Nessuno ti ha ancora menzionato" in console.get("/mentions").text


# --- the conversation card ---------------------------------------------------------------------


def _conversation(session: Session, conversation_id: uuid.UUID | None) -> Conversation:
    (conversation,) = _rows(session, select(Conversation).where(Conversation.id == conversation_id))
    session.refresh(conversation)
    session.commit()
    return conversation


def test_the_card_assigns_sets_team_status_priority_and_labels(
    console: TestClient, session: Session, agent: Operator, colleague: Operator, team: Team
) -> None:
    message = _conversation_with_whatsapp(session)
    url = f"/conversations/{message.conversation_id}"
    page = console.get(url)
    assert 'id="conversation-card"' in page.text
    assert "Marco Ferri" in page.text  # in the list of assignees

    def post(action: str, **data: str) -> Any:
        response = _post(console, f"{url}/{action}", url, **data)
        assert response.status_code == 303, response.text
        assert response.headers["location"] == f"{url}#conversation-card"
        return _conversation(session, message.conversation_id)

    assert post("assign", assignee="me").assignee_id == agent.id
    assert post("assign", assignee=str(colleague.id)).assignee_id == colleague.id
    assert post("assign", assignee="").assignee_id is None
    assert post("team", team="bollette").team_id == team.id
    assert post("team", team="").team_id is None
    assert post("status", status="pending").status == ConversationStatus.PENDING
    resolved = post("status", status="resolved")
    assert resolved.status == ConversationStatus.RESOLVED
    assert resolved.resolved_at
    assert post("priority", priority="urgent").priority == Priority.URGENT
    assert post("labels", label="bollette").labels == ["bollette"]
    assert post("labels", label="lettura stimata").labels == ["bollette", "lettura stimata"]
    assert post("labels", remove="bollette").labels == ["lettura stimata"]

    page = console.get(url).text
    card = page[page.index('id="conversation-card"') : page.index('id="composer"')]
    assert "Urgente" in card
    assert "Risolta" in card
    assert "lettura stimata" in card
    events = _rows(session, select(AuditEvent).where(AuditEvent.action == "conversation.updated"))
    assert len(events) == 11


def test_the_card_with_htmx_answers_the_card_alone(
    console: TestClient, session: Session, agent: Operator
) -> None:
    message = _conversation_with_whatsapp(session)
    url = f"/conversations/{message.conversation_id}"
    token = csrf_of(console.get(url).text)
    response = console.post(
        f"{url}/assign",
        data={"csrf_token": token, "assignee": "me"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith("<section")
    assert 'id="conversation-card"' in response.text
    assert "Giulia Marchetti" in response.text
    assert "Assegna a me</span>" not in response.text  # already assigned to me
    too_long = console.post(
        f"{url}/labels",
        data={"csrf_token": token, "label": "x" * 65},
        headers={"HX-Request": "true"},
    )
    assert too_long.status_code == 422
    assert 'role="alert"' in too_long.text
    assert "al massimo 64 caratteri" in too_long.text


def test_card_errors_without_javascript_are_shown_on_the_page(
    console: TestClient, session: Session
) -> None:
    message = _conversation_with_whatsapp(session)
    url = f"/conversations/{message.conversation_id}"
    response = _post(console, f"{url}/assign", url, assignee=str(uuid.uuid4()))
    assert response.status_code == 422
    assert "non è più disponibile" in response.text
    assert 'id="timeline-title"' in response.text
    bad_status = _post(console, f"{url}/status", url, status="closed")
    assert bad_status.status_code == 400  # not a status the form offers: a bad request page
    no_token = console.post(f"{url}/status", data={"status": "open"}, follow_redirects=False)
    assert no_token.status_code == 403
    assert _conversation(session, message.conversation_id).status == ConversationStatus.OPEN


# --- canned responses ---------------------------------------------------------------------------


def test_canned_responses_crud_through_the_api(api: TestClient, session: Session) -> None:
    body = {"shortcut": "bolletta-errata", "title": "Bolletta errata", "body": "Verifichiamo."}
    created = api.post("/api/v1/canned-responses", json=body)
    assert created.status_code == 201, created.text
    canned = created.json()
    assert canned["locale"] == "it"
    assert canned["team_id"] is None
    assert api.post("/api/v1/canned-responses", json=body).status_code == 409
    english = api.post("/api/v1/canned-responses", json={**body, "locale": "en", "team": "x"})
    assert english.status_code == 422  # no such team
    assert api.post("/api/v1/canned-responses", json={**body, "locale": "en"}).status_code == 201
    for shortcut in ("Bolletta", "con spazio", "", "x" * 65, "à"):
        bad = api.post("/api/v1/canned-responses", json={**body, "shortcut": shortcut})
        assert bad.status_code == 422, shortcut
    for n in range(3):
        api.post("/api/v1/canned-responses", json={**body, "shortcut": f"a-{n}", "title": f"A {n}"})

    first = api.get("/api/v1/canned-responses", params={"limit": 2, "locale": "it"}).json()
    assert [c["shortcut"] for c in first["items"]] == ["a-0", "a-1"]
    second = api.get(
        "/api/v1/canned-responses",
        params={"limit": 2, "locale": "it", "cursor": first["next_cursor"]},
    ).json()
    assert [c["shortcut"] for c in second["items"]] == ["a-2", "bolletta-errata"]
    assert second["next_cursor"] is None
    assert api.get("/api/v1/canned-responses", params={"cursor": "bad"}).status_code == 422

    url = f"/api/v1/canned-responses/{canned['id']}"
    changed = api.patch(url, json={"body": "Verifichiamo subito.", "team": "bollette"})
    assert changed.status_code == 422  # no team bollette yet
    changed = api.patch(url, json={"body": "Verifichiamo subito."})
    assert changed.status_code == 200
    assert changed.json()["body"] == "Verifichiamo subito."
    assert api.patch(url, json={"shortcut": "a-0"}).status_code == 409
    assert api.get(url).json()["body"] == "Verifichiamo subito."
    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404
    actions = {e.action for e in _rows(session, select(AuditEvent))}
    assert {"canned.created", "canned.updated", "canned.deleted"} <= actions


def test_agents_use_canned_responses_but_do_not_write_them(
    client: TestClient, session: Session, agent: Operator, team: Team
) -> None:
    token = do_create_token(session, agent, "t")
    session.add_all(
        [
            CannedResponse(shortcut="saluti", locale="it", title="Saluti", body="Buongiorno!"),
            CannedResponse(shortcut="saldo", locale="it", title="Saldo", body="Il saldo è…"),
            CannedResponse(shortcut="salve", locale="en", title="Hello", body="Hello!"),
            CannedResponse(
                shortcut="sala-bollette", locale="it", title="Team", body="B", team_id=team.id
            ),
        ]
    )
    other = Team(slug="altro", name="Altro")
    session.add(other)
    session.flush()
    session.add(
        CannedResponse(shortcut="sala-altro", locale="it", title="X", body="Y", team_id=other.id)
    )
    session.commit()
    refused = client.post(
        "/api/v1/canned-responses",
        json={"shortcut": "nuova", "title": "N", "body": "B"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert refused.status_code == 403

    assert login(client, agent.email).status_code == 303
    found = client.get("/canned", params={"q": "sal"})
    assert found.status_code == 200
    assert [c["shortcut"] for c in found.json()] == ["sala-bollette", "saldo", "saluti"]
    assert client.get("/canned", params={"q": "/salu"}).json()[0]["body"] == "Buongiorno!"
    assert client.get("/canned", params={"q": "%"}).json() == []
    assert client.get("/canned", params={"q": "x" * 66}).status_code == 404  # a bad link


# --- recordings and visits ---------------------------------------------------------------------


def test_a_call_shows_its_length_and_plays_its_recording(
    console: TestClient, session: Session
) -> None:
    call = ingest(
        session, "voice", PHONE, "chiamata sulla bolletta", utcnow(), duration_seconds=312
    )
    stored = store_attachment(
        session,
        session.get_one(Interaction, call.id),
        b"ID3fake-mp3-bytes",
        content_type="audio/mpeg",
        filename="chiamata.mp3",
    )
    session.commit()
    page = console.get(f"/conversations/{call.conversation_id}").text
    timeline = _timeline(page)
    assert "5:12" in timeline
    assert f'<audio controls preload="none" src="/attachments/{stored.id}">' in timeline
    audio = console.get(f"/attachments/{stored.id}")
    assert audio.status_code == 200
    assert audio.content == b"ID3fake-mp3-bytes"
    assert audio.headers["content-type"] == "audio/mpeg"
    assert audio.headers["content-disposition"].startswith("inline")
    assert "sandbox" in audio.headers["content-security-policy"]
    reads = _rows(session, select(AuditEvent).where(AuditEvent.action == "attachment.read"))
    assert [(r.via, r.customer_id) for r in reads] == [("console", call.customer_id)]
    assert console.get(f"/attachments/{uuid.uuid4()}").status_code == 404


def test_visits_show_place_staff_reason_outcome_and_status(
    console: TestClient, session: Session
) -> None:
    visit = ingest(
        session,
        "branch_visit",
        PHONE,
        "Voltura del contratto gas",
        utcnow() - timedelta(days=1),
        branch="Sportello Napoli Centro",
        staff="Paola Testa",
        reason="voltura",
        outcome="mancano i documenti",
        visit_status="done",
        notes="richiamare venerdì",
    )
    home = ingest(
        session,
        "home_visit",
        PHONE,
        "Lettura del contatore",
        utcnow(),
        direction=Direction.OUTBOUND,
        address="Via Indipendenza 1, Bologna",
        visit_status="scheduled",
        scheduled_for=(utcnow() + timedelta(days=2)).isoformat(timespec="seconds"),
    )
    assert home.customer_id == visit.customer_id
    timeline = _timeline(console.get(f"/customers/{visit.customer_id}").text)
    for text in (
        "Sportello Napoli Centro",
        "Paola Testa",
        "voltura",
        "mancano i documenti",
        "Effettuata",
        "richiamare venerdì",
        "Via Indipendenza 1, Bologna",
        "Programmata",
        "Programmata per",
    ):
        assert text in timeline, text
