"""The console pages through HTTP: sign-in, CSRF, the inbox, the customer timeline, languages."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

import unisono
from unisono.clock import utcnow
from unisono.customers.access import access_customer
from unisono.customers.profile import do_update_profile
from unisono.inbox.conversations import ConversationChanges, do_update_conversation
from unisono.inbox.ingest import NewInteraction, do_ingest_interaction
from unisono.inbox.replies import do_add_note, do_reply
from unisono.models import AuditEvent, Conversation, ConversationStatus, Direction, Operator, Role
from unisono.security.actor import SYSTEM, Actor
from unisono.security.passwords import hash_password
from unisono.web.console import routes
from unisono.web.console.auth import SESSION_COOKIE
from unisono.web.console.i18n import localizer
from unisono.web.console.routes import safe_next
from unisono.web.console.views import interaction_facts

PASSWORD = "password-di-prova"
MakeOperator = Callable[..., Operator]


# --- helpers ---------------------------------------------------------------------------------


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def login(client: TestClient, email: str, password: str = PASSWORD, **extra: str) -> Any:
    form = client.get("/login")
    assert form.status_code == 200
    data = {"email": email, "password": password, "csrf_token": csrf_of(form.text), **extra}
    return client.post("/login", data=data, follow_redirects=False)


def set_cookies(response: Any) -> list[str]:
    return list(response.headers.get_list("set-cookie"))


def ingest(
    session: Session,
    channel: str,
    value: str,
    text: str,
    at: datetime,
    *,
    kind: str = "phone",
    direction: Direction = Direction.INBOUND,
    name: str | None = None,
    **metadata: Any,
) -> Any:
    interaction, _ = do_ingest_interaction(
        session,
        SYSTEM,
        NewInteraction(
            channel=channel,
            identity_kind=kind,
            identity_value=value,
            direction=direction,
            text=text,
            occurred_at=at,
            external_id=uuid.uuid4().hex,
            customer_name=name,
            metadata=metadata,
        ),
    )
    # Commit at once: on SQLite an open transaction here would hold the write lock the
    # app's requests wait for.
    session.commit()
    return interaction


@pytest.fixture
def agent(make_operator: MakeOperator) -> Operator:
    return make_operator(Role.AGENT, email="giulia@energiachiara.it", name="Giulia Marchetti")


@pytest.fixture
def console(client: TestClient, agent: Operator) -> TestClient:
    """The client signed in as an Italian-speaking agent."""
    response = login(client, agent.email)
    assert response.status_code == 303, response.text
    return client


# --- signing in and out -----------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"

    target = f"/conversations/{uuid.uuid4()}"
    response = client.get(target, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next=%2Fconversations%2F{target.split('/')[-1]}"


def test_login_sets_an_httponly_samesite_cookie_and_shows_the_inbox(
    client: TestClient, agent: Operator
) -> None:
    response = login(client, agent.email)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    (cookie,) = [c for c in set_cookies(response) if c.startswith(f"{SESSION_COOKIE}=")]
    attributes = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "secure" not in attributes  # plain http: a Secure cookie would never come back

    inbox = client.get("/")
    assert inbox.status_code == 200
    assert "Giulia Marchetti" in inbox.text
    assert "Content-Security-Policy" in inbox.headers
    assert inbox.headers["cache-control"] == "no-store"


def test_the_cookie_is_secure_over_https(app: Any, agent: Operator) -> None:
    with TestClient(app, base_url="https://testserver") as client:
        response = login(client, agent.email)
        assert response.status_code == 303
        cookie = next(c for c in set_cookies(response) if c.startswith(f"{SESSION_COOKIE}="))
        assert "secure" in [part.strip().lower() for part in cookie.split(";")]
        assert client.get("/").status_code == 200


def test_wrong_password_and_unknown_email_get_the_same_answer(
    client: TestClient, agent: Operator
) -> None:
    wrong_password = login(client, agent.email, "not-the-password")
    unknown_email = login(client, "nessuno@energiachiara.it")
    not_an_email = login(client, "not an email")
    for response in (wrong_password, unknown_email, not_an_email):
        assert response.status_code == 200
        assert "Email o password errate" in response.text
        assert 'role="alert"' in response.text
    # The form keeps what was typed, except the password.
    assert f'value="{agent.email}"' in wrong_password.text
    assert "not-the-password" not in wrong_password.text
    assert client.get("/", follow_redirects=False).status_code == 303


def test_login_goes_on_to_next_but_never_off_site(client: TestClient, agent: Operator) -> None:
    target = f"/customers/{uuid.uuid4()}"
    assert login(client, agent.email, next=target).headers["location"] == target
    client.cookies.clear()
    assert login(client, agent.email, next="//evil.example/x").headers["location"] == "/"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/conversations/1?cursor=a", "/conversations/1?cursor=a"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("/login", "/"),
        ("", "/"),
        ("/ok\r\nSet-Cookie: x=1", "/"),
    ],
)
def test_safe_next(value: str, expected: str) -> None:
    assert safe_next(value) == expected


def test_logout_ends_the_session(console: TestClient) -> None:
    token = csrf_of(console.get("/").text)
    response = console.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert any(
        c.startswith(f"{SESSION_COOKIE}=") and "max-age=0" in c.lower()
        for c in set_cookies(response)
    )
    assert console.get("/", follow_redirects=False).status_code == 303


def test_posts_without_the_session_token_are_refused(
    console: TestClient, app: Any, agent: Operator
) -> None:
    # No token, a made-up token, and the token of another browser's session.
    with TestClient(app) as other:
        foreign = csrf_of(other.get("/login").text)
    for token in (None, "forged", foreign):
        data = {} if token is None else {"csrf_token": token}
        response = console.post("/logout", data=data, follow_redirects=False)
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("text/html")
        assert "Il modulo è scaduto" in response.text
    # Still signed in: the forged logouts did nothing.
    assert console.get("/").status_code == 200


def test_login_needs_the_token_of_the_login_form(client: TestClient, agent: Operator) -> None:
    response = client.post(
        "/login", data={"email": agent.email, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 303


def test_login_starts_a_new_session(client: TestClient, agent: Operator) -> None:
    before = client.get("/login")
    anonymous_cookie = client.cookies.get(SESSION_COOKIE)
    assert login(client, agent.email).status_code == 303
    assert client.cookies.get(SESSION_COOKIE) != anonymous_cookie
    # A token handed out before login (say, planted by an attacker) is worthless after it.
    stale = client.post("/logout", data={"csrf_token": csrf_of(before.text)})
    assert stale.status_code == 403


def test_a_deactivated_operator_is_signed_out(
    console: TestClient, session: Session, agent: Operator
) -> None:
    session.get_one(Operator, agent.id).active = False
    session.commit()
    assert console.get("/", follow_redirects=False).headers["location"] == "/login"


def test_a_changed_password_ends_existing_sessions(
    console: TestClient, session: Session, agent: Operator
) -> None:
    session.get_one(Operator, agent.id).password_hash = hash_password("a-brand-new-password")
    session.commit()
    assert console.get("/", follow_redirects=False).status_code == 303


def test_a_tampered_cookie_is_ignored(console: TestClient) -> None:
    value = console.cookies.get(SESSION_COOKIE) or ""
    console.cookies.set(SESSION_COOKIE, value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    assert console.get("/", follow_redirects=False).status_code == 303


# --- the inbox -------------------------------------------------------------------------------


def test_the_inbox_lists_an_ingested_conversation(console: TestClient, session: Session) -> None:
    ingest(
        session,
        "whatsapp",
        "333 123 4567",
        "la bolletta è sbagliata",
        utcnow() - timedelta(minutes=42),
        name="Maria Rossi",
    )
    # A customer without a name shows their first identity instead.
    ingest(session, "sms", "347 555 0192", "quando arriva il tecnico?", utcnow())
    page = console.get("/")
    assert page.status_code == 200
    assert "Maria Rossi" in page.text
    assert "la bolletta è sbagliata" in page.text
    assert "+39 347 555 0192" in page.text
    assert 'class="visually-hidden">WhatsApp</span>' in page.text  # channels for screen readers
    assert "42min" in page.text  # waiting time
    assert "Aperta" in page.text
    assert "Normale" in page.text
    # The longest waiting first.
    assert page.text.index("Maria Rossi") < page.text.index("+39 347 555 0192")


def test_the_inbox_filters_by_status_and_pages_with_the_cursor(
    console: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = utcnow()
    for n in range(3):
        ingest(session, "sms", f"333 000 00{n:02d}", f"messaggio {n}", now - timedelta(hours=n))
    resolved = ingest(session, "email", "chiuso@example.it", "risolto", now, kind="email")
    conversation = session.get_one(Conversation, resolved.conversation_id)
    do_update_conversation(
        session,
        SYSTEM,
        conversation,
        ConversationChanges(status=ConversationStatus.RESOLVED),
    )
    session.commit()

    monkeypatch.setattr(routes, "INBOX_PAGE_SIZE", 2)
    first = console.get("/")
    assert "messaggio 2" in first.text
    assert "messaggio 1" in first.text
    assert "messaggio 0" not in first.text
    assert "risolto" not in first.text
    next_url = re.search(r'href="(/\?status=active&amp;cursor=[^"]+)"', first.text)
    assert next_url, "no link to the next page"
    second = console.get(next_url.group(1).replace("&amp;", "&"))
    assert "messaggio 0" in second.text
    assert "messaggio 2" not in second.text
    assert 'href="/?status=active"' in second.text  # back to the first page

    closed = console.get("/?status=resolved")
    assert "risolto" in closed.text
    assert "messaggio 0" not in closed.text
    everything = console.get("/?status=all&sort=recent")
    assert "risolto" in everything.text
    # An unknown status falls back to the open tab rather than failing.
    assert "messaggio 2" in console.get("/?status=bogus").text


def test_a_bad_cursor_is_a_page_not_a_trace(console: TestClient) -> None:
    response = console.get("/?cursor=not-a-cursor")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "Questo collegamento non è valido" in response.text


# --- the customer page -----------------------------------------------------------------------


def test_a_conversation_shows_the_customer_timeline_across_channels(
    console: TestClient, session: Session
) -> None:
    start = utcnow() - timedelta(days=2)
    bill = ingest(
        session,
        "letter",
        "333 123 4567",
        "Bolletta di 412 euro",
        start - timedelta(days=8),
        direction=Direction.OUTBOUND,
        name="Maria Rossi",
        reference="FT-0412",
    )
    first = ingest(session, "whatsapp", "+39 333 1234567", "la bolletta è sbagliata", start)
    ingest(
        session,
        "voice",
        "0039 3331234567",
        "chiamata sulla bolletta",
        start + timedelta(hours=2),
        duration_seconds=312,
    )
    ingest(
        session,
        "home_visit",
        "333 123 4567",
        "lettura del contatore",
        start + timedelta(days=1),
        outcome="lettura stimata",
    )
    assert bill.conversation_id is None
    customer_id = first.customer_id

    page = console.get(f"/conversations/{first.conversation_id}")
    assert page.status_code == 200
    text = page.text
    for label in ("WhatsApp", "Telefonata", "Visita a domicilio", "Lettera"):
        assert label in text
    # Newest first, with the call's length and the visit's outcome.
    timeline = text[text.index('id="timeline-title"') :]
    order = [
        timeline.index(t)
        for t in (
            "lettura del contatore",
            "chiamata sulla bolletta",
            "la bolletta è sbagliata",
            "Bolletta di 412 euro",
        )
    ]
    assert order == sorted(order)
    assert "5:12" in text
    assert "lettura stimata" in text
    assert "FT-0412" in text
    # The three interactions of the conversation are marked, the older letter is not.
    assert text.count('class="tl tl--inbound is-selected"') == 3
    assert 'class="tl tl--outbound"' in text
    # The profile summary.
    assert "Maria Rossi" in text
    assert "+39 333 123 4567" in text

    customer_page = console.get(f"/customers/{customer_id}")
    assert customer_page.status_code == 200
    assert "is-selected" not in customer_page.text
    assert "la bolletta è sbagliata" in customer_page.text


def test_replies_and_notes_show_who_wrote_them(
    console: TestClient, session: Session, agent: Operator
) -> None:
    first = ingest(session, "whatsapp", "333 123 4567", "la bolletta è sbagliata", utcnow())
    conversation = session.get_one(Conversation, first.conversation_id)
    actor = Actor(operator=session.get_one(Operator, agent.id), via="test")
    do_reply(session, actor, conversation, "Verifichiamo subito la lettura.")
    do_add_note(session, actor, conversation, "Cliente anziana: richiamare al fisso.")
    session.commit()
    timeline = console.get(f"/conversations/{conversation.id}").text
    timeline = timeline[timeline.index('id="timeline-title"') :]
    assert timeline.count("Giulia Marchetti") == 2
    assert 'class="tl tl--note is-selected"' in timeline
    assert "Nota interna" in timeline
    assert "In coda" in timeline  # the reply waits for the sender
    # The reply ended the wait.
    assert "Risposta data" in console.get("/").text


def test_the_profile_summary(console: TestClient, session: Session) -> None:
    first = ingest(session, "email", "mario@example.it", "ciao", utcnow(), kind="email")
    customer = access_customer(session, SYSTEM, first.customer_id)
    do_update_profile(
        session,
        SYSTEM,
        customer,
        {"vulnerable": True, "preferred_channel": "letter", "segments": ["over 70", "Bologna"]},
    )
    session.commit()
    text = console.get(f"/customers/{first.customer_id}").text
    assert "Cliente vulnerabile" in text
    assert "Canale preferito" in text
    assert "Lettera" in text
    assert "over 70" in text
    assert "Bologna" in text
    assert "mario@example.it" in text  # identity; also the fallback name


def test_times_are_shown_in_the_operators_zone_and_language(
    client: TestClient, session: Session, make_operator: MakeOperator
) -> None:
    at = datetime(2025, 3, 2, 8, 10, tzinfo=UTC)
    first = ingest(session, "sms", "333 123 4567", "ciao", at)
    rome = make_operator(Role.AGENT, email="roma@energiachiara.it")
    login(client, rome.email)
    assert ">09:10<" in client.get(f"/customers/{first.customer_id}").text

    york = make_operator(Role.AGENT, email="ny@energiachiara.it", locale="en")
    session.get_one(Operator, york.id).timezone = "America/New_York"
    session.commit()
    client.cookies.clear()
    login(client, york.email)
    page = client.get(f"/customers/{first.customer_id}").text
    assert ">3:10\u202fAM<" in page or ">3:10 AM<" in page
    assert "Sunday, March 2, 2025" in page


def test_reading_a_customer_is_audited_as_the_console(
    console: TestClient, session: Session, agent: Operator
) -> None:
    first = ingest(session, "sms", "333 123 4567", "ciao", utcnow())
    assert console.get(f"/conversations/{first.conversation_id}").status_code == 200
    session.expire_all()
    actions = set(
        session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.operator_id == agent.id, AuditEvent.via == "console"
            )
        )
    )
    session.commit()
    assert {"conversation.read", "customer.read", "customer.timeline"} <= actions


def test_unknown_ids_and_paths_are_404_pages(console: TestClient) -> None:
    for path in (
        f"/conversations/{uuid.uuid4()}",
        f"/customers/{uuid.uuid4()}",
        "/conversations/not-an-id",
        "/no/such/page",
    ):
        response = console.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html"), path
        assert "Pagina non trovata" in response.text, path
        assert "Giulia Marchetti" in response.text  # still inside the console frame
    # The API keeps speaking problem+json.
    api = console.get(f"/api/v1/conversations/{uuid.uuid4()}")
    assert api.headers["content-type"] == "application/problem+json"


def test_an_unexpected_error_is_a_page_without_a_trace(
    console: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(routes, "list_conversations", explode)
    response = console.get("/")
    assert response.status_code == 500
    assert "Qualcosa è andato storto" in response.text
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text


# --- languages -------------------------------------------------------------------------------


def test_english_and_italian(
    client: TestClient, session: Session, make_operator: MakeOperator
) -> None:
    ingest(session, "whatsapp", "333 123 4567", "ciao", utcnow())
    english = make_operator(Role.AGENT, email="en@energiachiara.it", locale="en")
    login(client, english.email)
    page = client.get("/")
    assert '<html lang="en">' in page.text
    assert "Inbox" in page.text
    assert "Sign out" in page.text
    assert "Open" in page.text
    assert "Casella" not in page.text

    client.cookies.clear()
    italian = make_operator(Role.AGENT, email="it@energiachiara.it", locale="it")
    login(client, italian.email)
    page = client.get("/")
    assert '<html lang="it">' in page.text
    assert "Casella" in page.text
    assert "Esci" in page.text
    assert "Aperte" in page.text


def test_the_language_switch(console: TestClient) -> None:
    token = csrf_of(console.get("/").text)
    response = console.post(
        "/preferences/locale",
        data={"csrf_token": token, "locale": "en", "next": "/?status=pending"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/?status=pending"
    assert "Sign out" in console.get("/").text
    console.post("/preferences/locale", data={"csrf_token": token, "locale": "it"})
    assert "Esci" in console.get("/").text
    # Without the token nothing changes.
    assert console.post("/preferences/locale", data={"locale": "en"}).status_code == 403


def test_the_login_page_follows_the_browser_language(client: TestClient) -> None:
    english = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9,it;q=0.5"})
    assert "Sign in to the console" in english.text
    italian = client.get("/login", headers={"Accept-Language": "it-IT,it;q=0.9,en;q=0.8"})
    assert "Accedi alla console" in italian.text
    other = client.get("/login", headers={"Accept-Language": "de-DE"})
    assert "Accedi alla console" in other.text  # the configured default


LOCALE_DIR = Path(unisono.__file__).parent / "locale"
WEB_DIR = Path(unisono.__file__).parent / "web"


def _console_messages() -> set[tuple[str | None, str]]:
    found: set[tuple[str | None, str]] = set()
    method_map = [("console/**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    for _file, _line, message, _comments, context in extract_from_dir(
        str(WEB_DIR), method_map, options_map=options
    ):
        ids = message if isinstance(message, tuple) else (message,)
        found.add((context, ids[0]))
    # The studio's findings (N_() in unisono.studio.lint and .schema) are shown by the console.
    for _file, _line, message, _comments, context in extract_from_dir(
        str(WEB_DIR.parent / "studio"), [("lint.py", "python"), ("schema.py", "python")]
    ):
        found.add((context, message if isinstance(message, str) else message[0]))
    return found


@pytest.mark.parametrize("locale", ["it", "en"])
def test_every_console_string_is_translated(locale: str) -> None:
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=locale)
    messages = _console_messages()
    assert len(messages) > 50
    missing = sorted(
        f"{context or ''}|{msgid}"
        for context, msgid in messages
        if not (entry := catalog.get(msgid, context=context)) or not entry.string or entry.fuzzy
    )
    assert not missing, f"add these to the {locale} catalog: {missing}"
    obsolete = sorted(m.id for m in catalog if m.id and (m.context, m.id) not in messages)
    assert not obsolete, f"remove these from the {locale} catalog: {obsolete}"


# --- formatting --------------------------------------------------------------------------------


def test_timeline_facts_read_what_integrations_send() -> None:
    call = {
        "duration_seconds": 356,
        "wait_seconds": 22,
        "agent": "Alessia Mariani",
        "queue": "commerciale",
        "recording": "rec-55431290aa01",
        "ivr_path": ["3"],
    }
    visit = {
        "duration_minutes": 35,
        "outcome": "lettura stimata",
        "technician": "Marco Ferri",
        "meter_reading_kwh": 18204,
    }
    post = {"public": True, "attachments": [{"type": "image", "name": "contatore.jpg"}]}
    italian = localizer("it", None)

    def facts(meta: dict[str, Any]) -> list[tuple[str, str]]:
        return [(f.label, f.value) for f in interaction_facts(meta, italian)]

    assert facts(call) == [
        ("Durata", "5:56"),
        ("Attesa", "0:22"),
        ("Gestita da", "Alessia Mariani"),
        ("Coda", "commerciale"),
    ]
    assert facts(visit) == [
        ("Durata", "35 min"),
        ("Esito", "lettura stimata"),
        ("Lettura contatore", "18.204 kWh"),
        ("Tecnico", "Marco Ferri"),
    ]
    assert facts(post) == [("Post pubblico", "Sì"), ("Allegati", "contatore.jpg")]
    # Values of the wrong shape are left out rather than shown garbled.
    assert facts({"duration_seconds": "long", "outcome": {"a": 1}, "public": "yes"}) == []


@pytest.mark.parametrize(
    ("delta", "italian", "english"),
    [
        (timedelta(seconds=20), "0min", "0m"),
        (timedelta(minutes=42), "42min", "42m"),
        (timedelta(hours=1, minutes=20), "1h 20min", "1h 20m"),
        (timedelta(hours=5), "5h", "5h"),
        (timedelta(days=1, hours=6, minutes=3), "1g 6h", "1d 6h"),
    ],
)
def test_waiting_times(delta: timedelta, italian: str, english: str) -> None:
    assert localizer("it", None).elapsed(delta) == italian
    assert localizer("en", None).elapsed(delta) == english


def test_logins_and_failed_logins_are_audited(
    client: TestClient, agent: Operator, session: Session
) -> None:
    from unisono.models import AuditEvent

    login(client, agent.email, "wrong password")
    login(client, agent.email)
    session.rollback()
    events = [
        (e.action, e.operator_id, e.details.get("email"))
        for e in session.scalars(select(AuditEvent).order_by(AuditEvent.created_at))
        if e.action.startswith("operator.login")
    ]
    session.rollback()
    assert events == [
        ("operator.login_failed", None, agent.email),
        ("operator.login", agent.id, None),
    ]


def test_the_language_switch_is_kept_on_the_operator(
    console: TestClient, agent: Operator, session: Session
) -> None:
    page = console.get("/")
    console.post(
        "/preferences/locale", data={"locale": "en", "next": "/", "csrf_token": csrf_of(page.text)}
    )
    session.rollback()
    session.expire_all()
    assert session.scalar(select(Operator.locale).where(Operator.id == agent.id)) == "en"
    session.rollback()
