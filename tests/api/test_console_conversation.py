"""The conversation page through HTTP: the composer (replies, notes, mentions, the service
window, the studio's approved templates), the conversation card's actions, canned responses,
recordings and visits."""

from __future__ import annotations

import html
import re
import time
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
from unisono.customers.access import access_customer
from unisono.identity.normalize import normalize_handle
from unisono.identity.resolve import do_add_identity
from unisono.inbox.channel_config import do_create_channel
from unisono.media.attachments import store_attachment
from unisono.models import (
    AuditEvent,
    CannedResponse,
    Conversation,
    ConversationStatus,
    Customer,
    DeliveryStatus,
    Direction,
    Interaction,
    Mention,
    Operator,
    Priority,
    Role,
    Team,
)
from unisono.security.actor import SYSTEM, Actor
from unisono.security.operators import do_create_token
from unisono.studio.templates import do_approve_version, do_create_template, do_submit_version

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


def _text_disabled(composer: str) -> bool:
    """Whether the composer's textarea carries the disabled attribute (a word of its own)."""
    tag = composer.split('<textarea id="composer-text"')[1].split(">")[0]
    return re.search(r"(^|\s)disabled(\s|$)", tag) is not None


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
    assert not _text_disabled(composer)


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
    assert _text_disabled(composer)
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
    assert not _text_disabled(_composer(switched.text))


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


# --- studio templates in the composer ----------------------------------------------------------

FIRST_NAME: list[dict[str, Any]] = [
    {"name": "customer.first_name", "type": "str", "sample": "Maria"}
]
REMINDER_SMS = (
    "Gentile {{ customer.first_name }}, la bolletta di marzo risulta ancora da pagare: puo "
    "pagarla in app, online o allo sportello entro dieci giorni dalla scadenza. Se ha gia "
    "pagato, non consideri questo messaggio. Grazie, Energia Chiara"
)
REMINDER_VARIANTS = {
    "whatsapp": {
        "it": {
            "template_name": "sollecito_pagamento",
            "category": "UTILITY",
            "body": "Gentile {{first_name}}, la bolletta di marzo risulta ancora da pagare.",
            "parameters": {"first_name": "{{ customer.first_name }}"},
            "text": "Gentile {{ customer.first_name }}, la bolletta risulta da pagare.",
        }
    },
    "sms": {"it": {"text": REMINDER_SMS}},
    "email": {
        "it": {
            "subject": "La sua bolletta, {{ customer.first_name }}",
            "html": "<p>Gentile {{ customer.first_name }}, la bolletta risulta da pagare.</p>",
            "text": "Gentile {{ customer.first_name }}, la bolletta risulta da pagare.",
        }
    },
}


@pytest.fixture
def studio(session: Session, make_operator: MakeOperator) -> Callable[..., uuid.UUID]:
    """A factory of templates written by a designer and, unless ``approve=False``, approved by
    compliance through the studio's services."""
    designer = Actor(operator=make_operator(Role.DESIGNER, name="Irene Vitale"), via="test")
    compliance = Actor(operator=make_operator(Role.COMPLIANCE, name="Lorenzo De Santis"))

    def make(name: str, kinds: list[str], variants: dict[str, Any], **kw: Any) -> uuid.UUID:
        approve = kw.pop("approve", True)
        version = do_create_template(
            session,
            designer,
            name=name,
            purpose=kw.pop("purpose", "payment_reminder"),
            variant_kinds=kinds,
            locales=["it"],
            description=kw.pop("description", ""),
            schema=kw.pop("schema", FIRST_NAME),
            variants=variants,
        )
        if approve:
            do_submit_version(session, designer, version.template_id, 1)
            do_approve_version(session, compliance, version.template_id, 1, "Conforme.")
        session.commit()
        return version.template_id

    return make


@pytest.fixture
def templates(studio: Callable[..., uuid.UUID]) -> dict[str, uuid.UUID]:
    """A payment reminder on WhatsApp, SMS and email; an advertising SMS and WhatsApp message
    (needs an opt-in); one that needs an invoice the profile lacks; a draft."""
    offer = (
        "Gentile {{ customer.first_name }}, la nuova offerta luce e online. "
        "Scriva STOP per non ricevere altre offerte."
    )
    return {
        "reminder": studio(
            "Sollecito di pagamento",
            ["whatsapp", "sms", "email"],
            REMINDER_VARIANTS,
            description="Bolletta scaduta da meno di 30 giorni",
        ),
        "offer": studio(
            "Offerta luce",
            ["sms", "whatsapp"],
            {
                "sms": {"it": {"text": offer}},
                "whatsapp": {"it": {"text": offer}},
            },
            purpose="advertise",
        ),
        "invoice": studio(
            "Bolletta disponibile",
            ["sms", "whatsapp"],
            {
                "sms": {"it": {"text": "Bolletta {{ invoice.number }} disponibile in app."}},
                "whatsapp": {"it": {"text": "Bolletta {{ invoice.number }} disponibile in app."}},
            },
            purpose="inform",
            schema=[{"name": "invoice.number", "type": "str", "sample": "FT0001"}],
        ),
        "draft": studio(
            "Bozza mai approvata",
            ["sms", "whatsapp"],
            {
                "sms": {"it": {"text": "Bozza per {{ customer.first_name }}"}},
                "whatsapp": {"it": {"text": "Bozza per {{ customer.first_name }}"}},
            },
            approve=False,
        ),
    }


def _giulia(session: Session, *, hours_ago: float) -> Interaction:
    """Giulia wrote on WhatsApp ``hours_ago``; her profile has her given name."""
    message = _conversation_with_whatsapp(session, hours_ago=hours_ago)
    customer = session.get_one(Customer, message.customer_id)
    customer.given_name = "Giulia"
    customer.language = "it"
    session.commit()
    return message


def _offers(html: str) -> dict[str, str]:
    """The composer's templates by name (a page or the list's fragment), each its markup."""
    section = html.split('id="composer-templates-list"')[1]
    found = {}
    for item in re.split(r'<li class="tpl[ "]', section)[1:]:
        name = re.search(r'class="tpl__name"[^>]*>([^<]+)<', item)
        assert name is not None
        found[name.group(1)] = item[: item.index("</div>", item.index('class="tpl__actions"'))]
    return found


def _send_button(item: str) -> str:
    match = re.search(r'<button type="submit"[^>]*name="template"[^>]*>', item)
    assert match is not None
    return match.group(0)


def test_outside_the_whatsapp_window_the_composer_offers_only_approved_templates(
    console: TestClient, session: Session, channels: None, templates: dict[str, uuid.UUID]
) -> None:
    message = _giulia(session, hours_ago=30)
    page = console.get(f"/conversations/{message.conversation_id}")
    assert page.status_code == 200
    composer = _composer(page.text)
    assert _selected_channel(page.text) == "whatsapp"
    # Prominent: a section of its own, not a closed disclosure; free text stays disabled.
    assert '<section class="composer__templates composer__templates--only"' in composer
    assert "Modelli approvati per WhatsApp" in composer
    assert _text_disabled(composer)
    offers = _offers(page.text)
    assert set(offers) == {"Sollecito di pagamento", "Offerta luce", "Bolletta disponibile"}
    assert "Bozza mai approvata" not in composer

    reminder = offers["Sollecito di pagamento"]
    # Written for her, in Italian, as Meta's template with her name as its parameter.
    assert "Gentile Giulia, la bolletta di marzo risulta ancora da pagare." in reminder
    assert "Maria" not in reminder  # never the sample
    assert "Solleciti di pagamento" in reminder  # the purpose
    assert "Bolletta scaduta da meno di 30 giorni" in reminder
    assert "sollecito_pagamento" in reminder
    assert "disabled" not in _send_button(reminder)
    assert f'value="{templates["reminder"]}:whatsapp"' in reminder
    assert f'formaction="/conversations/{message.conversation_id}/templates/send"' in reminder
    assert "data-template-insert" not in reminder  # no free text outside the window

    # Blocked ones are shown, disabled, with the reason in the operator's language.
    offer, invoice = offers["Offerta luce"], offers["Bolletta disponibile"]
    assert "disabled" in _send_button(offer)
    assert "Fuori dalla finestra di 24 ore WhatsApp accetta solo un modello" in offer
    assert "disabled" in _send_button(invoice)
    assert "Al profilo del cliente mancano dati" in invoice
    assert "a questo modello: invoice.number (vedi" in invoice  # and which data
    # The service's English sentences never reach the page.
    assert "outside the 24-hour window" not in composer
    assert "the template needs data" not in composer
    reads = _rows(session, select(AuditEvent).where(AuditEvent.action == "template.insertables"))
    assert [(r.customer_id, r.details["channel"]) for r in reads] == [
        (message.customer_id, "whatsapp")
    ]
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        assert console.get(f"/conversations/{message.conversation_id}").status_code == 200
        timings.append(time.perf_counter() - started)
    # The target is < 100 ms (about 35 ms of CPU on the demo data with seven templates, 26 ms
    # without them); the bound leaves room for a machine shared by other tests.
    assert min(timings) < 0.5, f"the page took {min(timings) * 1000:.0f} ms"


def test_a_template_sent_outside_the_window_is_queued_on_the_timeline(
    console: TestClient,
    session: Session,
    channels: None,
    templates: dict[str, uuid.UUID],
    agent: Operator,
) -> None:
    message = _giulia(session, hours_ago=30)
    url = f"/conversations/{message.conversation_id}"
    value = f"{templates['reminder']}:whatsapp"
    response = _post(console, f"{url}/templates/send", url, template=value, channel="whatsapp")
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"{url}?channel=whatsapp#composer"
    (sent,) = _rows(session, select(Interaction).where(Interaction.direction == Direction.OUTBOUND))
    assert (sent.channel, sent.delivery_status) == ("whatsapp", DeliveryStatus.QUEUED)
    assert sent.operator_id == agent.id
    assert sent.text == "Gentile Giulia, la bolletta di marzo risulta ancora da pagare."
    assert sent.meta["template_name"] == "sollecito_pagamento"
    assert sent.meta["template_parameters"] == ["Giulia"]
    assert sent.meta["studio"]["template_id"] == str(templates["reminder"])
    assert sent.meta["studio"]["version"] == 1
    timeline = _timeline(console.get(response.headers["location"]).text)
    assert "Gentile Giulia, la bolletta di marzo" in timeline
    assert "In coda" in timeline
    events = _rows(
        session, select(AuditEvent).where(AuditEvent.action == "conversation.template_sent")
    )
    assert [e.operator_id for e in events] == [agent.id]


@pytest.mark.parametrize(
    ("which", "message"),
    [
        ("offer", "Il modello non è stato inviato. Fuori dalla finestra di 24 ore"),
        (
            "invoice",
            "Il modello non è stato inviato. Al profilo del cliente mancano dati che servono a "
            "questo modello: invoice.number",
        ),
        ("draft", "Questo modello non ha più una versione approvata"),
        ("unknown", "Questo modello non esiste più"),
        ("garbage", "Scegli un modello dall'elenco."),
    ],
)
def test_a_refused_template_is_explained_in_the_composer(
    console: TestClient,
    session: Session,
    channels: None,
    templates: dict[str, uuid.UUID],
    which: str,
    message: str,
) -> None:
    first = _giulia(session, hours_ago=30)
    url = f"/conversations/{first.conversation_id}"
    value = {
        "unknown": f"{uuid.uuid4()}:whatsapp",
        "garbage": "not-a-template",
    }.get(which) or f"{templates[which]}:whatsapp"
    response = _post(console, f"{url}/templates/send", url, template=value, channel="whatsapp")
    assert response.status_code == 422
    assert 'id="timeline-title"' in response.text  # the page, not an error page
    error = response.text.split('id="composer-error"')[1].split("</p>")[0]
    assert message in html.unescape(error)
    assert 'id="composer-templates-list"' in _composer(response.text)  # the list stays open
    assert not _rows(session, select(Interaction).where(Interaction.direction != Direction.INBOUND))


def test_a_refusal_with_htmx_and_a_send_without_a_token(
    console: TestClient, session: Session, channels: None, templates: dict[str, uuid.UUID]
) -> None:
    first = _giulia(session, hours_ago=30)
    url = f"/conversations/{first.conversation_id}"
    token = csrf_of(console.get(url).text)
    refused = console.post(
        f"{url}/templates/send",
        data={"csrf_token": token, "template": f"{templates['offer']}:sms", "channel": "sms"},
        headers={"HX-Request": "true"},
    )
    # SMS takes free text, but advertising needs the customer's opt-in.
    assert refused.status_code == 422
    assert "I consensi del cliente non permettono" in refused.text.split('id="composer-error"')[1]
    assert 'id="workspace"' in refused.text
    no_token = console.post(
        f"{url}/templates/send",
        data={"template": f"{templates['reminder']}:whatsapp", "channel": "whatsapp"},
        follow_redirects=False,
    )
    assert no_token.status_code == 403
    assert not _rows(session, select(Interaction).where(Interaction.direction != Direction.INBOUND))


def test_inside_the_window_templates_wait_behind_a_disclosure_and_can_be_inserted(
    console: TestClient, session: Session, channels: None, templates: dict[str, uuid.UUID]
) -> None:
    message = _giulia(session, hours_ago=1)
    url = f"/conversations/{message.conversation_id}"
    composer = _composer(console.get(url).text)
    # A closed disclosure: nothing rendered for the customer (nor recorded) until it opens.
    assert '<details class="composer__templates" id="composer-templates"' in composer
    assert 'id="composer-templates" open' not in composer
    assert f'hx-get="{url}/templates?channel=whatsapp"' in composer
    assert "Sollecito di pagamento" not in composer
    assert f'href="{url}?channel=whatsapp&amp;templates=1#composer-templates"' in composer
    reads = select(AuditEvent).where(AuditEvent.action == "template.insertables")
    assert not _rows(session, reads)

    fragment = console.get(
        f"{url}/templates", params={"channel": "whatsapp"}, headers={"HX-Request": "true"}
    )
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith("<div")
    assert 'id="composer-templates-list"' in fragment.text
    assert len(_rows(session, reads)) == 1
    # Inside the window WhatsApp takes the variant's free text, which can also be edited first.
    reminder = _offers(fragment.text)["Sollecito di pagamento"]
    assert "Gentile Giulia, la bolletta risulta da pagare." in reminder
    assert "data-template-insert hidden" in reminder
    assert "disabled" not in _send_button(reminder)
    assert "sollecito_pagamento" not in reminder
    # An advertisement still needs her opt-in: shown disabled, never insertable.
    offer = _offers(fragment.text)["Offerta luce"]
    assert "I consensi del cliente non permettono" in offer
    assert "data-template-insert" not in offer

    # Without JavaScript the link opens the page with the list.
    plain = console.get(f"{url}/templates", params={"channel": "sms"}, follow_redirects=False)
    assert plain.status_code == 303
    assert plain.headers["location"] == f"{url}?channel=sms&templates=1#composer-templates"
    page = console.get(plain.headers["location"])
    assert 'id="composer-templates" open' in _composer(page.text)
    sms = _offers(page.text)["Sollecito di pagamento"]
    assert "Gentile Giulia, la bolletta di marzo" in sms
    # The linter's findings for her message, translated: this SMS takes two parts.
    assert "L&#39;SMS viene inviato in 2 parti" in sms
    assert "data-template-insert hidden" in sms
    response = _post(
        console,
        f"{url}/templates/send",
        url,
        template=f"{templates['reminder']}:sms",
        channel="sms",
    )
    assert response.status_code == 303
    (sent,) = _rows(session, select(Interaction).where(Interaction.direction == Direction.OUTBOUND))
    assert sent.channel == "sms"
    assert sent.text.startswith("Gentile Giulia, la bolletta di marzo")


def test_an_email_template_shows_its_subject_and_notes_offer_none(
    console: TestClient, session: Session, channels: None, templates: dict[str, uuid.UUID]
) -> None:
    message = _giulia(session, hours_ago=1)
    customer = access_customer(session, SYSTEM, message.customer_id)
    email = "giulia.r@example.it"
    do_add_identity(session, customer, normalize_handle("email", email), raw_value=email)
    session.commit()
    url = f"/conversations/{message.conversation_id}"
    page = console.get(f"{url}?channel=email&templates=1")
    assert _selected_channel(page.text) == "email"
    reminder = _offers(page.text)["Sollecito di pagamento"]
    assert "La sua bolletta, Giulia" in reminder
    assert "Gentile Giulia, la bolletta risulta da pagare." in reminder
    assert "<p>Gentile" not in reminder  # the text part, not the HTML source
    assert "data-template-insert" not in reminder  # an email is more than its text
    note = console.get(f"{url}?mode=note&templates=1")
    assert 'id="composer-templates"' not in _composer(note.text)
