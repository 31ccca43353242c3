"""The customer 360 panel, the customers page, merging and offline touchpoints through HTTP."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from tests.api.test_console import csrf_of, ingest, login
from unisono.clock import utcnow
from unisono.customers.access import access_customer
from unisono.customers.profile import do_update_profile
from unisono.db import session_factory
from unisono.models import (
    AuditEvent,
    Consent,
    Customer,
    CustomerMerge,
    Identity,
    Interaction,
    Operator,
    ProfileChange,
    Role,
)
from unisono.security.actor import SYSTEM

MakeOperator = Callable[..., Operator]


@pytest.fixture
def agent(make_operator: MakeOperator) -> Operator:
    return make_operator(Role.AGENT, email="giulia@energiachiara.it", name="Giulia Marchetti")


@pytest.fixture
def console(client: TestClient, agent: Operator) -> TestClient:
    """The client signed in as an Italian-speaking agent."""
    assert login(client, agent.email).status_code == 303
    return client


@pytest.fixture
def rows(engine: Engine) -> Callable[[Any], list[Any]]:
    """Read rows in a short session of their own (never holding SQLite's lock)."""
    factory = session_factory(engine)

    def read(statement: Any) -> list[Any]:
        with factory() as short:
            return list(short.scalars(statement))

    return read


def customer_with(session: Session, name: str, phone: str, **profile: Any) -> uuid.UUID:
    first = ingest(session, "whatsapp", phone, "buongiorno", utcnow(), name=name)
    if profile:
        customer = access_customer(session, SYSTEM, first.customer_id)
        do_update_profile(session, SYSTEM, customer, profile)
        session.commit()
    return uuid.UUID(str(first.customer_id))


def post(console: TestClient, page_url: str, action: str, htmx: bool = False, **data: Any) -> Any:
    token = csrf_of(console.get(page_url).text)
    headers = {"HX-Request": "true"} if htmx else {}
    return console.post(
        action,
        data={"csrf_token": token, "next": page_url, **data},
        headers=headers,
        follow_redirects=False,
    )


# --- profile --------------------------------------------------------------------------------------


def test_editing_the_profile_is_recorded_and_shown_in_the_history(
    console: TestClient, session: Session, rows: Any, agent: Operator
) -> None:
    cid = customer_with(session, "Maria Rossi", "333 123 4567")
    url = f"/customers/{cid}"
    response = post(
        console,
        url,
        f"{url}/profile",
        display_name="Maria Rossi",
        given_name="Maria",
        family_name="Rossi",
        language="it",
        preferred_channel="letter",
        vulnerable="on",
        segments="over 70, Bologna",
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"{url}#profile-card"
    (customer,) = rows(select(Customer).where(Customer.id == cid))
    assert customer.vulnerable
    assert customer.preferred_channel == "letter"
    assert customer.segments == ["Bologna", "over 70"]
    changes = rows(select(ProfileChange).where(ProfileChange.customer_id == cid))
    assert {c.field for c in changes} >= {"given_name", "vulnerable", "preferred_channel"}
    assert all(c.operator_id == agent.id and c.source == "console" for c in changes)

    history = console.get(f"{url}/history").text
    assert "Storico delle modifiche" in history
    assert "Canale preferito" in history
    assert "Lettera" in history
    assert "Giulia Marchetti" in history


def test_the_profile_form_with_htmx_answers_the_card_and_shows_errors_inline(
    console: TestClient, session: Session, rows: Any
) -> None:
    cid = customer_with(session, "Mario Bianchi", "333 765 4321")
    url = f"/customers/{cid}"
    ok = post(
        console, url, f"{url}/profile", htmx=True, display_name="Mario Bianchi", language="en"
    )
    assert ok.status_code == 200
    assert ok.text.lstrip().startswith('<section class="card profile" id="profile-card"')
    assert "Inglese" in ok.text

    bad = post(console, url, f"{url}/profile", htmx=True, display_name="x" * 150, language="xx-!!")
    assert bad.status_code == 200  # htmx swaps only 2xx answers
    assert 'role="alert"' in bad.text
    assert "Il profilo non è stato salvato" in bad.text
    plain = post(console, url, f"{url}/profile", display_name="Mario", language="zz-!!")
    assert plain.status_code == 422
    assert "Il profilo non è stato salvato" in plain.text
    assert 'value="Mario"' in plain.text  # what the operator typed is kept
    (customer,) = rows(select(Customer).where(Customer.id == cid))
    assert customer.language == "en"
    assert customer.display_name == "Mario Bianchi"


def test_a_form_without_the_csrf_token_is_refused(console: TestClient, session: Session) -> None:
    cid = customer_with(session, "Mario Bianchi", "333 765 4321")
    response = console.post(f"/customers/{cid}/profile", data={"display_name": "X"})
    assert response.status_code == 403


def test_an_unknown_customer_is_a_404_page(console: TestClient) -> None:
    url = f"/customers/{uuid.uuid4()}"
    token = csrf_of(console.get("/customers").text)
    response = console.post(f"{url}/profile", data={"csrf_token": token, "display_name": "X"})
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]


# --- identities -----------------------------------------------------------------------------------


def test_contacts_are_added_normalised_verified_and_removed(
    console: TestClient, session: Session, rows: Any
) -> None:
    cid = customer_with(session, "Maria Rossi", "333 123 4567")
    url = f"/customers/{cid}"
    added = post(
        console,
        url,
        f"{url}/identities",
        kind="email",
        value=" Luca.Rossi@Example.IT ",
        label="figlio",
    )
    assert added.status_code == 303
    (email,) = rows(select(Identity).where(Identity.customer_id == cid, Identity.kind == "email"))
    assert email.value == "luca.rossi@example.it"
    assert email.label == "figlio"
    page = console.get(url).text
    assert "luca.rossi@example.it" in page
    assert "figlio" in page

    verified = post(console, url, f"{url}/identities/{email.id}/verify", verified="true")
    assert verified.status_code == 303
    (email,) = rows(select(Identity).where(Identity.id == email.id))
    assert email.verified
    audited = rows(select(AuditEvent.action).where(AuditEvent.entity_id == str(email.id)))
    assert "identity.verified" in audited

    removed = post(console, url, f"{url}/identities/{email.id}/remove")
    assert removed.status_code == 303
    assert rows(select(Identity).where(Identity.id == email.id)) == []


def test_a_bad_contact_and_a_contact_of_someone_else(
    console: TestClient, session: Session, rows: Any
) -> None:
    maria = customer_with(session, "Maria Rossi", "333 123 4567")
    luca = customer_with(session, "Luca Rossi", "347 000 1111")
    url = f"/customers/{maria}"
    bad = post(console, url, f"{url}/identities", htmx=True, kind="phone", value="12")
    assert "Il contatto non è stato aggiunto" in bad.text
    assert 'value="12"' in bad.text

    taken = post(console, url, f"{url}/identities", kind="phone", value="+39 347 0001111")
    assert taken.status_code == 409
    assert "appartiene a un altro cliente" in taken.text
    assert f'href="/customers/{maria}/merge?other={luca}"' in taken.text
    assert len(rows(select(Identity).where(Identity.customer_id == maria))) == 1

    gone = post(console, url, f"{url}/identities/{uuid.uuid4()}/remove")
    assert gone.status_code == 404
    assert "Il contatto non è stato modificato" in gone.text


# --- consents -------------------------------------------------------------------------------------


def test_consents_are_recorded_shown_and_kept_in_the_ledger(
    console: TestClient, session: Session, rows: Any, agent: Operator
) -> None:
    cid = customer_with(session, "Maria Rossi", "333 123 4567")
    url = f"/customers/{cid}"
    first = post(console, url, f"{url}/consents", purpose="advertise", channel="sms", granted="yes")
    assert first.status_code == 303
    second = post(
        console,
        url,
        f"{url}/consents",
        purpose="advertise",
        channel="sms",
        granted="no",
        note="al telefono",
    )
    assert second.status_code == 303
    ledger = rows(select(Consent).where(Consent.customer_id == cid))
    assert [c.granted for c in sorted(ledger, key=lambda c: c.recorded_at)] == [True, False]
    assert all(c.source == "console" and c.operator_id == agent.id for c in ledger)

    card = console.get(url).text
    card = card[card.index('id="profile-card"') :]
    assert "Offerte commerciali · SMS" in card
    assert "Rifiutato" in card
    assert "Accettato" not in card  # only the current choice
    page = console.get(f"{url}/consents").text
    assert page.count('class="ledger-row"') == 2
    assert "al telefono" in page

    missing = post(console, url, f"{url}/consents", purpose="advertise", channel="sms")
    assert missing.status_code == 422
    assert "Scegli se il cliente accetta o rifiuta" in missing.text
    unknown = post(console, url, f"{url}/consents", purpose="spam", channel="sms", granted="yes")
    assert unknown.status_code == 422
    assert len(rows(select(Consent).where(Consent.customer_id == cid))) == 2


# --- value figures --------------------------------------------------------------------------------


def test_value_figures_from_the_crm_attributes(console: TestClient, session: Session) -> None:
    cid = customer_with(session, "Francesca Ricci", "333 222 3333")
    customer = access_customer(session, SYSTEM, cid)
    do_update_profile(
        session,
        SYSTEM,
        customer,
        {"segments": ["keep"]},
        attributes={
            "valore_cliente": "alto",
            "spesa_mensile_eur": 180.5,
            "cliente_dal": "2017-03-01",
        },
    )
    session.commit()
    card = console.get(f"/customers/{cid}").text
    assert "Valore del cliente" in card
    assert "alto" in card
    assert "180,50" in card
    assert "Cliente dal" in card
    assert "2017" in card


# --- search ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["333 123 4567", "0039 3331234567", "+39 333 1234567", "rossi"])
def test_customers_are_found_by_phone_in_any_format_and_by_name(
    console: TestClient, session: Session, q: str
) -> None:
    customer_with(session, "Maria Rossi", "+393331234567")
    customer_with(session, "Mario Bianchi", "333 765 4321")
    page = console.get("/customers", params={"q": q}).text
    assert page.count('class="customer-row"') == 1
    assert "Maria Rossi" in page
    assert "+39 333 123 4567" in page


def test_customers_by_email_and_social_handle_and_paging(
    console: TestClient, session: Session
) -> None:
    ingest(session, "email", "Maria.Rossi@Example.it", "ciao", utcnow(), kind="email", name="M R")
    ingest(session, "x", "mariarossi72", "ciao", utcnow(), kind="x", name="Maria su X")
    assert "M R" in console.get("/customers", params={"q": "maria.rossi@example.it"}).text
    assert "Maria su X" in console.get("/customers", params={"q": "@mariarossi72"}).text
    for n in range(27):
        ingest(session, "sms", f"+39 333 55500{n:02d}", "ciao", utcnow(), name=f"Cliente {n:02d}")
    first = console.get("/customers", params={"q": "cliente"}).text
    assert first.count('class="customer-row"') == 25
    match = re.search(r'href="(/customers\?q=cliente&amp;cursor=[^"]+)"', first)
    assert match
    second = console.get(match.group(1).replace("&amp;", "&")).text
    assert second.count('class="customer-row"') == 2
    assert console.get("/customers", params={"q": "x" * 201}).status_code == 404


# --- merging --------------------------------------------------------------------------------------


def test_merge_from_the_panel_and_undo(console: TestClient, session: Session, rows: Any) -> None:
    maria = customer_with(session, "Maria Rossi", "333 123 4567", vulnerable=True)
    dup = customer_with(session, "M. Rossi", "351 999 8888")
    url = f"/customers/{maria}"
    pick = console.get(f"{url}/merge", params={"q": "351 999 8888"}).text
    assert f"/merge?other={dup}" in pick
    compare = console.get(f"{url}/merge", params={"other": str(dup)}).text
    assert "M. Rossi sarà unito a Maria Rossi: resta Maria Rossi." in compare
    assert compare.count('class="card compare__side') == 2

    token = csrf_of(compare)
    merged = console.post(
        f"{url}/merge", data={"csrf_token": token, "other_id": str(dup)}, follow_redirects=False
    )
    assert merged.status_code == 303
    (record,) = rows(select(CustomerMerge))
    assert merged.headers["location"] == f"{url}?merged={record.id}"
    banner = console.get(merged.headers["location"]).text
    assert "M. Rossi è stato unito a questo profilo." in banner
    assert "+39 351 999 8888" in banner

    undo = console.post(
        f"/merges/{record.id}/undo",
        data={"csrf_token": token, "customer_id": str(maria)},
        follow_redirects=False,
    )
    assert undo.status_code == 303
    assert undo.headers["location"].startswith(f"{url}?unmerged={record.id}")
    (other,) = rows(select(Customer).where(Customer.id == dup))
    assert other.merged_into_id is None
    assert "L'unione è stata annullata." in html.unescape(
        console.get(undo.headers["location"]).text
    )

    again = console.post(
        f"/merges/{record.id}/undo",
        data={"csrf_token": token, "customer_id": str(maria)},
        follow_redirects=False,
    )
    assert again.status_code == 409
    assert "L'unione non è stata annullata. Questa unione è già stata annullata." in html.unescape(
        again.text
    )
    itself = console.post(
        f"{url}/merge", data={"csrf_token": token, "other_id": str(maria)}, follow_redirects=False
    )
    assert itself.status_code == 422
    assert "I clienti non sono stati uniti." in itself.text


# --- offline touchpoints --------------------------------------------------------------------------


def test_branch_visit_call_note_and_home_visit(
    console: TestClient, session: Session, rows: Any, agent: Operator
) -> None:
    cid = customer_with(session, "Maria Rossi", "333 123 4567", vulnerable=True)
    url = f"/customers/{cid}"
    branch = post(
        console,
        url,
        f"{url}/branch-visits",
        branch="Bologna Centro",
        staff="Paolo",
        reason="bolletta",
        outcome="rateizzata",
        occurred_at="",
    )
    assert branch.status_code == 303
    call = post(
        console,
        url,
        f"{url}/call-notes",
        direction="outbound",
        text="richiamata per la lettura",
        duration_minutes="4",
        occurred_at="",
    )
    assert call.status_code == 303
    when = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT10:00")
    home = post(
        console,
        url,
        f"{url}/home-visits",
        scheduled_for=when,
        address="Via Indipendenza 12, Bologna",
        reason="lettura del contatore",
    )
    assert home.status_code == 303
    found = rows(select(Interaction).where(Interaction.customer_id == cid))
    by_channel = {i.channel: i for i in found}
    assert by_channel["branch_visit"].meta["branch"] == "Bologna Centro"
    assert by_channel["voice"].meta["duration_minutes"] == 4
    assert by_channel["voice"].operator_id == agent.id
    assert by_channel["home_visit"].meta["visit_status"] == "scheduled"
    assert by_channel["home_visit"].meta["scheduled_for"].endswith("09:00:00+00:00") or by_channel[
        "home_visit"
    ].meta["scheduled_for"].endswith("08:00:00+00:00")  # 10:00 in Rome

    page = console.get("/visits").text
    assert page.count('class="visit-row is-vulnerable"') == 1
    assert "Via Indipendenza 12, Bologna" in page
    assert "lettura del contatore" in page


def test_touchpoint_forms_refuse_bad_input(
    console: TestClient, session: Session, rows: Any
) -> None:
    cid = customer_with(session, "Maria Rossi", "333 123 4567")
    url = f"/customers/{cid}"
    no_branch = post(console, url, f"{url}/branch-visits", branch="", reason="bolletta")
    assert no_branch.status_code == 422
    assert "La visita allo sportello non è stata registrata." in no_branch.text
    future = (utcnow() + timedelta(days=3)).strftime("%Y-%m-%dT10:00")
    later = post(
        console, url, f"{url}/branch-visits", branch="Bologna", reason="x", occurred_at=future
    )
    assert later.status_code == 422
    bad_date = post(console, url, f"{url}/call-notes", text="x", occurred_at="ieri")
    assert bad_date.status_code == 422
    assert "Inserisci una data e un'ora" in html.unescape(bad_date.text)
    bad_minutes = post(console, url, f"{url}/call-notes", text="x", duration_minutes="tanti")
    assert bad_minutes.status_code == 422
    empty = post(console, url, f"{url}/call-notes", text="  ")
    assert empty.status_code == 422
    no_address = post(
        console, url, f"{url}/home-visits", scheduled_for="2026-01-01T10:00", reason="contatore"
    )
    assert no_address.status_code == 422
    assert "La visita a domicilio non è stata programmata." in no_address.text
    no_date = post(console, url, f"{url}/home-visits", address="Via Roma 1", reason="contatore")
    assert no_date.status_code == 422
    assert rows(select(Interaction).where(Interaction.channel != "whatsapp")) == []


def test_the_customer_page_is_audited_and_stays_fast_on_queries(
    console: TestClient, session: Session, rows: Any, agent: Operator
) -> None:
    cid = customer_with(session, "Maria Rossi", "333 123 4567")
    assert console.get(f"/customers/{cid}").status_code == 200
    actions = set(rows(select(AuditEvent.action).where(AuditEvent.operator_id == agent.id)))
    assert {"customer.read", "consent.read"} <= actions


def count_statements(engine: Engine, console: TestClient, url: str) -> int:
    statements: list[str] = []

    def note(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", note)
    try:
        assert console.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return len(statements)


def test_the_pages_cost_the_same_queries_for_more_rows(
    console: TestClient, session: Session, engine: Engine
) -> None:
    """No query per row: more customers, contacts, messages and visits, the same statements."""

    def grow(n: int) -> None:
        for i in range(n):
            first = ingest(session, "sms", f"+39 333 44{n}{i:04d}", "ciao", utcnow(), name="Rossi")
            ingest(session, "email", f"rossi{n}{i}@example.it", "ciao", utcnow(), kind="email")
            customer = access_customer(session, SYSTEM, first.customer_id)
            do_update_profile(session, SYSTEM, customer, {"segments": [f"s{i}"]})
            session.commit()

    maria = customer_with(session, "Maria Rossi", "333 123 4567")
    other = customer_with(session, "M. Rossi", "351 999 8888")
    urls = [
        f"/customers/{maria}",
        "/customers?q=rossi",
        f"/customers/{maria}/merge?q=rossi",
        f"/customers/{maria}/merge?other={other}",
        "/visits",
    ]
    grow(2)
    for i in range(2):
        schedule_home_visit(console, f"/customers/{maria}", f"visita {i}")
    before = [count_statements(engine, console, url) for url in urls]
    grow(6)
    for i in range(4):
        schedule_home_visit(console, f"/customers/{maria}", f"altra visita {i}")
        ingest(session, "whatsapp", "333 123 4567", f"messaggio {i}", utcnow())
    after = [count_statements(engine, console, url) for url in urls]
    assert after == before


# --- the outcome of a scheduled visit -------------------------------------------------------------


def schedule_home_visit(console: TestClient, url: str, reason: str, days: int = 2) -> None:
    when = (utcnow() + timedelta(days=days)).strftime("%Y-%m-%dT10:00")
    response = post(
        console,
        url,
        f"{url}/home-visits",
        scheduled_for=when,
        address="Via Indipendenza 12, Bologna",
        reason=reason,
    )
    assert response.status_code == 303


def test_the_outcome_of_a_home_visit_from_its_timeline_item(
    console: TestClient, session: Session, rows: Any, agent: Operator
) -> None:
    cid = customer_with(session, "Maria Rossi", "333 123 4567", vulnerable=True)
    url = f"/customers/{cid}"
    schedule_home_visit(console, url, "lettura del contatore")
    (visit,) = rows(select(Interaction).where(Interaction.channel == "home_visit"))
    action = f"/visits/{visit.id}/outcome"
    page = console.get(url).text
    item = page[page.index(f'id="i-{visit.id}"') :]
    assert f'action="{action}"' in item[: item.index("</li>")]
    assert "Registra l&#39;esito" in page or "Registra l'esito" in page

    done = post(
        console,
        url,
        action,
        status="done",
        outcome="Lettura stimata, consumo reale inferiore",
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"{url}#i-{visit.id}"
    (visit,) = rows(select(Interaction).where(Interaction.id == visit.id))
    assert visit.meta["visit_status"] == "done"
    assert visit.meta["outcome"] == "Lettura stimata, consumo reale inferiore"
    assert len(visit.meta["visit_history"]) == 2
    assert visit.meta["visit_history"][-1]["operator_id"] == str(agent.id)
    assert visit.text.startswith("Visita a domicilio effettuata")
    audited = rows(select(AuditEvent.action).where(AuditEvent.entity_id == str(visit.id)))
    assert "visit.updated" in audited

    page = console.get(url).text
    assert action not in page  # a closed visit offers no outcome form
    assert "Lettura stimata, consumo reale inferiore" in page
    assert "Effettuata" in page


def test_the_outcome_of_a_visit_from_the_list_of_visits_due(
    console: TestClient, session: Session, rows: Any
) -> None:
    cid = customer_with(session, "Maria Rossi", "333 123 4567")
    url = f"/customers/{cid}"
    schedule_home_visit(console, url, "lettura del contatore", days=1)
    schedule_home_visit(console, url, "sostituzione contatore", days=3)
    first, second = sorted(
        rows(select(Interaction).where(Interaction.channel == "home_visit")),
        key=lambda i: i.meta["scheduled_for"],
    )
    listed = "/visits?kind=home_visit&when=week"
    page = console.get(listed).text
    assert page.count('class="visit-row"') == 2
    assert f'action="/visits/{first.id}/outcome"' in page
    assert 'value="/visits?kind=home_visit&amp;when=week"' in page

    missed = post(console, listed, f"/visits/{first.id}/outcome", status="no_show")
    assert missed.status_code == 303
    assert missed.headers["location"] == listed
    cancelled = post(
        console, listed, f"/visits/{second.id}/outcome", status="cancelled", outcome="rinviata"
    )
    assert cancelled.status_code == 303
    by_id = {i.id: i for i in rows(select(Interaction).where(Interaction.channel == "home_visit"))}
    assert by_id[first.id].meta["visit_status"] == "no_show"
    assert by_id[second.id].meta["visit_status"] == "cancelled"
    assert by_id[second.id].meta["outcome"] == "rinviata"
    assert "Nessuna visita da fare." in console.get(listed).text

    # Anywhere else is not a place to go back to.
    schedule_home_visit(console, url, "verifica")
    (third,) = [
        i
        for i in rows(select(Interaction).where(Interaction.channel == "home_visit"))
        if i.meta["visit_status"] == "scheduled"
    ]
    token = csrf_of(console.get(listed).text)
    away = console.post(
        f"/visits/{third.id}/outcome",
        data={"csrf_token": token, "status": "done", "next": "https://evil.example/"},
        follow_redirects=False,
    )
    assert away.headers["location"] == "/visits"


def test_a_refused_outcome_shows_the_form_again_and_changes_nothing(
    console: TestClient, session: Session, rows: Any
) -> None:
    cid = customer_with(session, "Maria Rossi", "333 123 4567")
    url = f"/customers/{cid}"
    schedule_home_visit(console, url, "lettura del contatore")
    (visit,) = rows(select(Interaction).where(Interaction.channel == "home_visit"))
    action = f"/visits/{visit.id}/outcome"

    no_status = post(console, url, action, outcome="scritto ma non scelto")
    assert no_status.status_code == 422
    text = html.unescape(no_status.text)
    assert "L'esito della visita non è stato registrato." in text
    assert "scritto ma non scelto" in text  # what the operator typed is kept
    assert f'value="{url}"' in text  # and where to go back

    when = utcnow().strftime("%Y-%m-%dT%H:%M")
    cancelled_at = post(console, url, action, status="cancelled", occurred_at=when)
    assert cancelled_at.status_code == 422
    future = (utcnow() + timedelta(days=3)).strftime("%Y-%m-%dT10:00")
    later = post(console, url, action, status="done", occurred_at=future)
    assert later.status_code == 422
    (unchanged,) = rows(select(Interaction).where(Interaction.id == visit.id))
    assert unchanged.meta["visit_status"] == "scheduled"
    assert len(unchanged.meta["visit_history"]) == 1

    assert post(console, url, action, status="done").status_code == 303
    closed = post(console, url, action, status="cancelled")
    assert closed.status_code == 409
    assert "L'esito della visita non è stato registrato." in html.unescape(closed.text)
    unknown = post(console, url, f"/visits/{uuid.uuid4()}/outcome", status="done")
    assert unknown.status_code == 404
    not_a_visit = rows(select(Interaction).where(Interaction.channel == "whatsapp"))[0]
    assert post(console, url, f"/visits/{not_a_visit.id}/outcome", status="done").status_code == 404
    no_token = console.post(action, data={"status": "done"})
    assert no_token.status_code == 403


# --- error messages -------------------------------------------------------------------------------


def test_known_reasons_are_translated_and_unknown_ones_keep_the_service_words(
    console: TestClient, session: Session
) -> None:
    maria = customer_with(session, "Maria Rossi", "333 123 4567")
    url = f"/customers/{maria}"

    def refused(action: str, **data: Any) -> str:
        response = post(console, url, action, **data)
        assert 400 <= response.status_code < 500, response.status_code
        return html.unescape(response.text)

    phone = refused(f"{url}/identities", kind="phone", value="12")
    assert "Il contatto non è stato aggiunto. Questo non è un numero di telefono." in phone
    assert "is not a phone number" not in phone
    email = refused(f"{url}/identities", kind="email", value="non-una-mail")
    assert "Questo non è un indirizzo email." in email
    gone = refused(f"{url}/identities/{uuid.uuid4()}/remove")
    assert "Il contatto non è stato modificato. Non esiste più: ricarica la pagina." in gone
    purpose = refused(f"{url}/consents", purpose="spam", channel="sms", granted="yes")
    assert "La scelta non è stata registrata. Scegli una finalità dall'elenco." in purpose
    assert "is not a purpose" not in purpose
    channel = refused(f"{url}/consents", purpose="advertise", channel="piccione", granted="no")
    assert "Scegli un canale dall'elenco." in channel
    branch = refused(f"{url}/branch-visits", branch="", reason="bolletta")
    assert "Inserisci lo sportello, per esempio Milano Centrale." in branch
    future = (utcnow() + timedelta(days=3)).strftime("%Y-%m-%dT10:00")
    later = refused(f"{url}/branch-visits", branch="Bologna", reason="x", occurred_at=future)
    assert "Quel momento è nel futuro" in later
    far = (utcnow() + timedelta(days=3 * 365)).strftime("%Y-%m-%dT10:00")
    ahead = refused(f"{url}/home-visits", scheduled_for=far, address="Via Roma 1", reason="x")
    assert "La data è a più di due anni da oggi: controlla l'anno." in ahead
    no_address = refused(f"{url}/home-visits", scheduled_for=future, reason="contatore")
    assert "Inserisci l'indirizzo: il profilo non ne ha uno." in no_address
    note = refused(f"{url}/call-notes", text="  ")
    assert "La nota della telefonata non è stata registrata. Scrivi che cosa è stato detto." in note
    itself = refused(f"{url}/merge", other_id=str(maria))
    assert "I clienti non sono stati uniti. Un cliente non può essere unito a sé stesso." in itself

    schedule_home_visit(console, url, "lettura")
    assert post(console, url, f"{url}/profile", display_name="Maria Rossi").status_code == 303
    page = console.get(url).text
    match = re.search(r'action="(/visits/[0-9a-f-]{36}/outcome)"', page)
    assert match
    when = utcnow().strftime("%Y-%m-%dT%H:%M")
    cancelled = refused(match.group(1), status="cancelled", occurred_at=when)
    assert "Una visita annullata non è avvenuta: lascia vuota l'ora." in cancelled
    missing = refused(match.group(1))
    assert "Scegli com'è andata la visita." in missing
    assert post(console, url, match.group(1), status="done").status_code == 303
    closed = refused(match.group(1), status="no_show")
    assert "La visita è già chiusa: registra invece una nuova visita." in closed

    # A reason without a translation: the sentence, then the service's own (English) words.
    language = refused(f"{url}/profile", display_name="Maria", language="zz-!!")
    assert "Il profilo non è stato salvato. 'zz-!!' is not a language code" in language
