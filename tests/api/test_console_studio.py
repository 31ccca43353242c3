"""The studio's console pages through HTTP: lists, the editor, the review workflow by role (with
its refusals shown beside the forms), the side-by-side preview and its frames, diff, history,
content blocks; on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tests.api.test_console import csrf_of, ingest, login
from unisono.clock import utcnow
from unisono.customers.access import access_customer
from unisono.customers.profile import do_update_profile
from unisono.db import session_factory
from unisono.inbox.channel_config import do_create_channel
from unisono.models import (
    AuditEvent,
    ContentBlockVersion,
    Operator,
    Role,
    TemplateVersion,
    VersionStatus,
)
from unisono.sandbox.email import SandboxSMTP
from unisono.security.actor import SYSTEM, Actor
from unisono.studio import templates

MakeOperator = Callable[..., Operator]

SCHEMA: list[dict[str, Any]] = [
    {"name": "customer.first_name", "type": "str", "sample": "Maria"},
    {"name": "invoice.amount", "type": "money", "sample": {"amount": "412.30", "currency": "EUR"}},
    {"name": "invoice.due_date", "type": "date", "sample": "2026-12-01"},
]
DUE_IT = "la bolletta di {{ invoice.amount|money }} scade il {{ invoice.due_date|date }}."
DUE_EN = "your bill of {{ invoice.amount|money }} is due on {{ invoice.due_date|date }}."
HELLO_IT = "Gentile {{ customer.first_name }}, "
HELLO_EN = "Dear {{ customer.first_name }}, "


def _whatsapp(body: str, buttons: list[str]) -> dict[str, Any]:
    return {
        "template_name": "sollecito_bolletta",
        "category": "UTILITY",
        "body": body,
        "parameters": {
            "first_name": "{{ customer.first_name }}",
            "amount": "{{ invoice.amount|money }}",
        },
        "buttons": [{"type": "QUICK_REPLY", "text": b} for b in buttons],
    }


VARIANTS: dict[str, Any] = {
    "sms": {"it": {"text": HELLO_IT + DUE_IT}, "en": {"text": HELLO_EN + DUE_EN}},
    "whatsapp": {
        "it": _whatsapp(
            "Gentile {{first_name}}, la bolletta di {{amount}} scade presto.",
            ["Ho già pagato", "Stop"],
        ),
        "en": _whatsapp(
            "Dear {{first_name}}, your bill of {{amount}} is due soon.", ["Already paid", "Stop"]
        ),
    },
    "email": {
        "it": {
            "subject": "La tua bolletta, {{ customer.first_name }}",
            "html": f"<p>{HELLO_IT}{DUE_IT}</p>",
            "text": HELLO_IT + DUE_IT,
        },
        "en": {
            "subject": "Your bill, {{ customer.first_name }}",
            "html": f"<p>{HELLO_EN}{DUE_EN}</p>",
            "text": HELLO_EN + DUE_EN,
        },
    },
}
EVERY_KIND = ["email", "sms", "whatsapp", "push", "in_app", "letter", "call_script"]
MORE_VARIANTS: dict[str, Any] = {
    "push": {
        "it": {"title": "Bolletta in scadenza", "body": HELLO_IT + DUE_IT},
        "en": {"title": "Bill due", "body": HELLO_EN + DUE_EN},
    },
    "in_app": {
        "it": {"title": "La tua bolletta", "body": HELLO_IT + DUE_IT},
        "en": {"title": "Your bill", "body": HELLO_EN + DUE_EN},
    },
    "letter": {
        "it": {"html": f"<p>{HELLO_IT}</p><p>{DUE_IT}</p>"},
        "en": {"html": f"<p>{HELLO_EN}</p><p>{DUE_EN}</p>"},
    },
    "call_script": {
        "it": {"text": "Buongiorno, parlo con {{ customer.first_name }}? " + DUE_IT},
        "en": {"text": "Good morning, am I speaking with {{ customer.first_name }}? " + DUE_EN},
    },
}


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def people(make_operator: MakeOperator) -> dict[str, Operator]:
    return {
        "designer": make_operator(Role.DESIGNER, name="Dario Designer"),
        "designer2": make_operator(Role.DESIGNER, name="Debora Grafica"),
        "compliance": make_operator(Role.COMPLIANCE, name="Carla Conformità"),
        "admin": make_operator(Role.ADMIN, name="Anna Admin"),
        "agent": make_operator(Role.AGENT, name="Giulia Marchetti"),
    }


@pytest.fixture
def console_as(app: Any, people: dict[str, Operator]) -> Iterator[Callable[[str], TestClient]]:
    """``console_as("designer")``: a browser of its own signed in as that person."""
    clients: dict[str, TestClient] = {}

    def client_for(who: str) -> TestClient:
        if who not in clients:
            client = TestClient(app, raise_server_exceptions=False)
            client.__enter__()
            assert login(client, people[who].email).status_code == 303
            clients[who] = client
        return clients[who]

    yield client_for
    for client in clients.values():
        client.__exit__(None, None, None)


@pytest.fixture
def rows(engine: Engine) -> Callable[[Any], list[Any]]:
    """Read rows in a short session of their own (never holding SQLite's lock)."""
    factory = session_factory(engine)

    def read(statement: Any) -> list[Any]:
        with factory() as short:
            return list(short.scalars(statement))

    return read


def make_template(
    session: Session,
    who: Operator,
    *,
    name: str = "Sollecito di pagamento",
    kinds: list[str] | None = None,
    variants: dict[str, Any] | None = None,
    purpose: str = "payment_reminder",
) -> uuid.UUID:
    version = templates.do_create_template(
        session,
        Actor(operator=who, via="test"),
        name=name,
        purpose=purpose,
        variant_kinds=kinds or ["sms", "whatsapp", "email"],
        locales=["it", "en"],
        schema=SCHEMA,
        variants=VARIANTS if variants is None else variants,
    )
    session.commit()
    return version.template_id


def approve(session: Session, tid: uuid.UUID, people: dict[str, Operator], number: int = 1) -> None:
    templates.do_submit_version(
        session, Actor(operator=people["designer"], via="test"), tid, number
    )
    templates.do_approve_version(
        session, Actor(operator=people["compliance"], via="test"), tid, number, "Conforme."
    )
    session.commit()


def post(client: TestClient, page_url: str, action: str, **data: Any) -> Any:
    token = csrf_of(client.get(page_url).text)
    return client.post(action, data={"csrf_token": token, **data}, follow_redirects=False)


def text_of(response: Any) -> str:
    return html.unescape(response.text)


def version_status(rows: Callable[[Any], list[Any]], tid: uuid.UUID, number: int) -> VersionStatus:
    (version,) = rows(
        select(TemplateVersion).where(
            TemplateVersion.template_id == tid, TemplateVersion.number == number
        )
    )
    status: VersionStatus = version.status
    return status


# --- lists and creation --------------------------------------------------------------------------


def test_the_list_shows_purpose_channels_languages_and_states_with_filters(
    session: Session, people: dict[str, Operator], console_as: Callable[[str], TestClient]
) -> None:
    reminder = make_template(session, people["designer"])
    approve(session, reminder, people)
    make_template(
        session,
        people["designer"],
        name="Offerta estate",
        purpose="advertise",
        kinds=["sms"],
        variants={},
    )
    page = console_as("compliance").get("/studio")
    assert page.status_code == 200
    text = text_of(page)
    assert "Sollecito di pagamento" in text
    assert "Offerta estate" in text
    assert "Solleciti di pagamento" in text  # the purpose, in Italian
    assert "WhatsApp" in text
    assert "Italiano, Inglese" in text
    assert "Approvata" in text
    assert "Bozza" in text
    assert 'id="new-template"' not in text  # compliance does not design

    only_ads = text_of(console_as("compliance").get("/studio?purpose=advertise"))
    assert "Offerta estate" in only_ads
    assert "Sollecito di pagamento" not in only_ads
    sending = text_of(console_as("compliance").get("/studio?status=approved"))
    assert "Sollecito di pagamento" in sending
    assert "Offerta estate" not in sending
    # Unknown filter values show everything rather than failing.
    assert console_as("compliance").get("/studio?purpose=nope&status=x").status_code == 200


def test_a_designer_creates_a_template_and_lands_in_its_editor(
    console_as: Callable[[str], TestClient], rows: Callable[[Any], list[Any]]
) -> None:
    designer = console_as("designer")
    response = post(
        designer,
        "/studio",
        "/studio/templates",
        name="Lettura contatore",
        purpose="service",
        kinds=["sms", "email"],
        locales=["it", "en"],
        description="Promemoria di autolettura",
    )
    assert response.status_code == 303
    location = response.headers["location"]
    assert re.fullmatch(
        r"/studio/templates/[0-9a-f-]{36}/versions/1\?done=created#editor", location
    )
    editor = text_of(designer.get(location))
    assert "Il modello è stato creato" in editor
    assert 'name="v.sms.it.text"' in editor
    assert 'name="v.email.en.subject"' in editor
    assert 'name="var_name"' in editor

    refused = post(designer, "/studio", "/studio/templates", name="Senza canali", purpose="inform")
    assert refused.status_code == 422
    assert 'role="alert"' in refused.text
    assert "Il modello non è stato creato." in text_of(refused)
    assert 'value="Senza canali"' in refused.text  # what the designer typed is kept
    assert len(rows(select(TemplateVersion))) == 1


def test_agents_see_templates_but_cannot_create_them(
    console_as: Callable[[str], TestClient], rows: Callable[[Any], list[Any]]
) -> None:
    agent = console_as("agent")
    page = text_of(agent.get("/studio"))
    assert 'id="new-template"' not in page
    refused = post(agent, "/studio", "/studio/templates", name="X", purpose="inform", kinds=["sms"])
    assert refused.status_code == 403
    assert "Il tuo ruolo non lo consente." in text_of(refused)
    assert rows(select(TemplateVersion)) == []


def test_forms_without_the_session_token_are_refused(
    session: Session,
    people: dict[str, Operator],
    console_as: Callable[[str], TestClient],
    rows: Callable[[Any], list[Any]],
) -> None:
    tid = make_template(session, people["designer"])
    designer = console_as("designer")
    response = designer.post(
        f"/studio/templates/{tid}/versions/1/submit", data={}, follow_redirects=False
    )
    assert response.status_code == 403
    forged = designer.post(
        f"/studio/templates/{tid}/versions/1/submit",
        data={"csrf_token": "forged"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert version_status(rows, tid, 1) is VersionStatus.DRAFT


# --- the editor ----------------------------------------------------------------------------------


def test_the_editor_saves_the_schema_rows_and_every_variant_field(
    session: Session,
    people: dict[str, Operator],
    console_as: Callable[[str], TestClient],
    rows: Callable[[Any], list[Any]],
) -> None:
    tid = make_template(session, people["designer"], variants={})
    url = f"/studio/templates/{tid}/versions/1"
    designer = console_as("designer")
    data = {
        "var_name": ["customer.first_name", "invoice.amount", ""],
        "var_type": ["str", "money", "str"],
        "var_sample": ["Maria", "412,30 EUR", ""],
        "var_required": ["yes", "no", "yes"],
        "var_description": ["", "Importo", ""],
        "v.sms.it.text": "Gentile {{ customer.first_name }}, paga {{ invoice.amount|money }}.",
        "v.whatsapp.it.template_name": "sollecito",
        "v.whatsapp.it.category": "UTILITY",
        "v.whatsapp.it.body": "Ciao {{first_name}}",
        "v.whatsapp.it.parameters": '{"first_name": "{{ customer.first_name }}"}',
        "v.whatsapp.it.buttons": '[{"type": "QUICK_REPLY", "text": "Stop"}]',
        "v.email.en.subject": "",
    }
    saved = post(designer, url, f"{url}/edit", **data)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"{url}?done=edit#editor"
    (version,) = rows(select(TemplateVersion).where(TemplateVersion.template_id == tid))
    assert version.schema[1] == {
        "name": "invoice.amount",
        "type": "money",
        "sample": {"amount": "412.30", "currency": "EUR"},
        "required": False,
        "description": "Importo",
    }
    assert version.variants["whatsapp"]["it"]["buttons"] == [
        {"type": "QUICK_REPLY", "text": "Stop"}
    ]
    assert version.variants["sms"]["it"]["text"].startswith("Gentile")
    assert "email" not in version.variants  # empty fields are left out
    page = text_of(designer.get(url))
    assert "412.30 EUR" in page  # the sample as the editor writes it

    bad = post(designer, url, f"{url}/edit", **{**data, "v.whatsapp.it.buttons": "[{oops"})
    assert bad.status_code == 422
    text = text_of(bad)
    assert "La versione non è stata salvata." in text
    assert "whatsapp.it.buttons" in text
    assert "[{oops" in text  # what the designer typed is shown again
    (unchanged,) = rows(select(TemplateVersion).where(TemplateVersion.template_id == tid))
    assert unchanged.content_hash == version.content_hash


def test_a_frozen_version_cannot_be_edited_and_says_how_to_change_it(
    session: Session, people: dict[str, Operator], console_as: Callable[[str], TestClient]
) -> None:
    tid = make_template(session, people["designer"])
    templates.do_submit_version(session, Actor(operator=people["designer"], via="test"), tid, 1)
    session.commit()
    url = f"/studio/templates/{tid}/versions/1"
    designer = console_as("designer")
    page = text_of(designer.get(url))
    assert 'name="v.sms.it.text"' not in page  # no editor: the sources are shown read-only
    assert "Gentile {{ customer.first_name }}" in page
    refused = post(designer, url, f"{url}/edit", **{"v.sms.it.text": "nuovo"})
    assert refused.status_code == 409
    assert "crea una nuova versione" in text_of(refused).lower()


# --- the review workflow -------------------------------------------------------------------------


def test_submitting_an_unready_draft_lists_what_stops_it(
    session: Session,
    people: dict[str, Operator],
    console_as: Callable[[str], TestClient],
    rows: Callable[[Any], list[Any]],
) -> None:
    variants = {**VARIANTS, "sms": {"it": {"text": ""}, "en": VARIANTS["sms"]["en"]}}
    tid = make_template(session, people["designer"], variants=variants)
    url = f"/studio/templates/{tid}/versions/1"
    refused = post(console_as("designer"), url, f"{url}/submit")
    assert refused.status_code == 422
    text = text_of(refused)
    assert "La versione non è stata inviata in revisione." in text
    assert "Non è pronta per la revisione" in text
    # The finding, translated, inside the alert beside the form.
    alert = text.split('class="alert alert--error studio-failure"')[1].split("</section>")[0]
    assert "Il campo text della variante sms in it è vuoto." in alert
    assert version_status(rows, tid, 1) is VersionStatus.DRAFT


def test_submit_approve_with_a_comment_and_the_history(
    session: Session,
    people: dict[str, Operator],
    console_as: Callable[[str], TestClient],
    rows: Callable[[Any], list[Any]],
) -> None:
    tid = make_template(session, people["designer"])
    url = f"/studio/templates/{tid}/versions/1"
    designer, compliance = console_as("designer"), console_as("compliance")

    assert 'action="' + url + '/approve"' not in designer.get(url).text
    submitted = post(designer, url, f"{url}/submit")
    assert submitted.status_code == 303
    assert version_status(rows, tid, 1) is VersionStatus.IN_REVIEW
    waiting = text_of(designer.get(url))
    assert "solo un responsabile della conformità" in waiting.lower()
    assert f"{url}/approve" not in waiting

    review = compliance.get(url).text
    assert f'action="{url}/approve"' in review
    assert f'formaction="{url}/reject"' in review
    no_comment = post(compliance, url, f"{url}/approve", comment="  ")
    assert no_comment.status_code == 422
    assert "Scrivi un commento" in text_of(no_comment)
    assert version_status(rows, tid, 1) is VersionStatus.IN_REVIEW

    approved = post(compliance, url, f"{url}/approve", comment="Testo conforme, ok.")
    assert approved.status_code == 303
    assert version_status(rows, tid, 1) is VersionStatus.APPROVED
    page = text_of(compliance.get(approved.headers["location"]))
    assert "La versione è stata approvata" in page
    assert "Testo conforme, ok." in page
    assert "Carla Conformità" in page
    assert "Dario Designer" in page

    history = text_of(designer.get(f"/studio/templates/{tid}/history"))
    for expected in ("Creata", "Inviata in revisione", "Approvata", "Testo conforme, ok."):
        assert expected in history
    assert history.index("Approvata") < history.index("Inviata in revisione")  # newest first
    actions = rows(select(AuditEvent.action).where(AuditEvent.entity_type == "template"))
    assert actions[-2:] == ["template.submitted", "template.approved"]


def test_nobody_approves_their_own_version_and_sees_why(
    session: Session,
    people: dict[str, Operator],
    console_as: Callable[[str], TestClient],
    rows: Callable[[Any], list[Any]],
) -> None:
    tid = make_template(session, people["admin"])  # an admin writes it...
    templates.do_submit_version(session, Actor(operator=people["admin"], via="test"), tid, 1)
    session.commit()
    url = f"/studio/templates/{tid}/versions/1"
    admin = console_as("admin")
    page = text_of(admin.get(url))
    assert "Hai lavorato a questa versione" in page  # ...and is told why there is no approve
    assert f'action="{url}/approve"' not in page
    refused = post(admin, url, f"{url}/approve", comment="Approvo io")
    assert refused.status_code == 403
    assert "un altro responsabile della conformità" in text_of(refused)
    assert version_status(rows, tid, 1) is VersionStatus.IN_REVIEW


def test_reject_then_a_new_version_and_the_diff_between_them(
    session: Session,
    people: dict[str, Operator],
    console_as: Callable[[str], TestClient],
    rows: Callable[[Any], list[Any]],
) -> None:
    tid = make_template(session, people["designer"])
    templates.do_submit_version(session, Actor(operator=people["designer"], via="test"), tid, 1)
    session.commit()
    url = f"/studio/templates/{tid}/versions/1"
    compliance, designer = console_as("compliance"), console_as("designer")
    rejected = post(compliance, url, f"{url}/reject", comment="Manca il numero verde.")
    assert rejected.status_code == 303
    assert version_status(rows, tid, 1) is VersionStatus.REJECTED
    assert "Manca il numero verde." in text_of(designer.get(url))

    copied = post(designer, url, f"{url}/copy")
    assert copied.status_code == 303
    v2 = f"/studio/templates/{tid}/versions/2"
    assert copied.headers["location"] == f"{v2}?done=copy#editor"
    edit = {
        "var_name": [s["name"] for s in SCHEMA],
        "var_type": [s["type"] for s in SCHEMA],
        "var_sample": ["Maria", "412.30 EUR", "2026-12-01"],
        "var_required": ["yes", "yes", "yes"],
        "var_description": ["", "", ""],
    }
    for kind, per_locale in VARIANTS.items():
        for locale, fields in per_locale.items():
            for name, value in fields.items():
                edit[f"v.{kind}.{locale}.{name}"] = (
                    value if isinstance(value, str) else json.dumps(value)
                )
    edit["v.sms.it.text"] = HELLO_IT + DUE_IT + "\nNumero verde 800 123 456."
    assert post(designer, v2, f"{v2}/edit", **edit).status_code == 303
    # A second copy while a draft exists: the button is gone and the service refuses.
    assert f'action="{url}/copy"' not in designer.get(url).text
    again = post(designer, url, f"{url}/copy")
    assert again.status_code == 409
    assert "C'è già una bozza" in text_of(again)

    diff = text_of(designer.get(f"/studio/templates/{tid}/diff?from=1&to=2"))
    assert "sms.it.text" in diff
    assert 'diff__line--add">' in diff
    assert "Numero verde 800 123 456." in diff
    assert "email.it.subject" not in diff  # unchanged fields are not listed
    same = text_of(designer.get(f"/studio/templates/{tid}/diff?from=2&to=2"))
    assert "Scegli due versioni diverse." in same
    assert designer.get(f"/studio/templates/{tid}/diff?from=9&to=2").status_code == 404


def test_retire_the_approved_version(
    session: Session,
    people: dict[str, Operator],
    console_as: Callable[[str], TestClient],
    rows: Callable[[Any], list[Any]],
) -> None:
    tid = make_template(session, people["designer"])
    approve(session, tid, people)
    url = f"/studio/templates/{tid}/versions/1"
    assert f'action="{url}/retire"' not in console_as("designer").get(url).text
    retired = post(console_as("compliance"), url, f"{url}/retire", comment="Tariffe cambiate")
    assert retired.status_code == 303
    assert version_status(rows, tid, 1) is VersionStatus.RETIRED
    again = post(console_as("compliance"), url, f"{url}/retire")
    assert again.status_code == 409
    assert "non è più nello stato" in text_of(again)


def test_unknown_templates_and_versions_are_404_pages(
    session: Session, people: dict[str, Operator], console_as: Callable[[str], TestClient]
) -> None:
    tid = make_template(session, people["designer"])
    designer = console_as("designer")
    for path in (
        f"/studio/templates/{uuid.uuid4()}",
        f"/studio/templates/{tid}/versions/7",
        f"/studio/templates/{tid}/versions/0",
        f"/studio/templates/{tid}/versions/99999999999",
        f"/studio/templates/{tid}/versions/1/preview?customer=not-an-id",
        f"/studio/templates/{tid}/versions/1/frames/letter.gif",
        "/studio/blocks/nope",
    ):
        response = designer.get(path)
        assert response.status_code == 404, path
        assert "<!doctype html>" in response.text.lower()


# --- preview -------------------------------------------------------------------------------------


def test_the_preview_shows_every_variant_in_its_frame_with_its_checks(
    session: Session, people: dict[str, Operator], console_as: Callable[[str], TestClient]
) -> None:
    tid = make_template(
        session, people["designer"], kinds=EVERY_KIND, variants={**VARIANTS, **MORE_VARIANTS}
    )
    designer = console_as("designer")
    url = f"/studio/templates/{tid}/versions/1/preview"
    response = designer.get(url)
    assert response.status_code == 200
    page = text_of(response)
    # Italian formatting of the sample data, in every text variant.
    assert len(re.findall("€\\s412,30", page)) >= 5
    assert "1 dic 2026" in page
    for kind in EVERY_KIND:
        assert f'class="pv pv--{kind}"' in page
    frame = re.search(r'<iframe class="pv-mail__frame" sandbox="" src="([^"]+)"', response.text)
    assert frame is not None
    assert 'class="pv-sms-segments">1<' in page
    assert "GSM-7" in page
    assert "Ho già pagato" in page
    assert 'class="pv-wa-category">UTILITY<' in page
    assert "Bolletta in scadenza" in page  # the push notification's title
    assert "Buongiorno, parlo con Maria?" in page  # the call script
    letter = re.search(r'<img class="pv-letter__page" src="([^"]+)"', response.text)
    assert letter is not None
    assert "Nessun problema rilevato." in page

    email = designer.get(html.unescape(frame.group(1)))
    assert email.status_code == 200
    csp = email.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "script-src" not in csp
    assert "frame-ancestors 'self'" in csp
    assert email.headers["x-frame-options"] == "SAMEORIGIN"
    assert "Gentile Maria" in email.text
    assert "412,30" in email.text
    # The page itself never allows inline styles; only the frame's email may have them.
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    assert "style=" not in response.text

    english = text_of(designer.get(f"{url}?locale=en"))
    assert "Your bill, Maria" in english
    assert "€412.30" in english
    assert designer.get(f"{url}?locale=fr").status_code == 422


def test_the_letter_is_a_png_page_and_a_pdf(
    session: Session, people: dict[str, Operator], console_as: Callable[[str], TestClient]
) -> None:
    tid = make_template(
        session,
        people["designer"],
        kinds=["letter"],
        variants={"letter": MORE_VARIANTS["letter"]},
    )
    designer = console_as("designer")
    base = f"/studio/templates/{tid}/versions/1/frames"
    started = time.perf_counter()
    png = designer.get(f"{base}/letter.png?locale=it")
    letter_seconds = time.perf_counter() - started
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    pdf = designer.get(f"{base}/letter.pdf?locale=en")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    # WeasyPrint and pdfium: a few hundred milliseconds, which is why the page asks for it apart.
    assert letter_seconds < 5, f"the letter's image took {letter_seconds:.2f} s"


def test_preview_for_a_real_customer_found_by_name_is_audited(
    session: Session,
    people: dict[str, Operator],
    console_as: Callable[[str], TestClient],
    rows: Callable[[Any], list[Any]],
) -> None:
    tid = make_template(session, people["designer"])
    first = ingest(session, "whatsapp", "333 123 4567", "buongiorno", utcnow(), name="Maria Rossi")
    customer = access_customer(session, SYSTEM, first.customer_id)
    do_update_profile(session, SYSTEM, customer, {"given_name": "Mariuccia", "language": "en"})
    session.commit()
    designer = console_as("designer")
    url = f"/studio/templates/{tid}/versions/1/preview"
    found = text_of(designer.get(f"{url}?find=Rossi"))
    assert "Anteprima per Maria Rossi" in found
    link = re.search(r'href="([^"]+customer=[^"]+)"', designer.get(f"{url}?find=Rossi").text)
    assert link is not None
    page = text_of(designer.get(html.unescape(link.group(1))))
    assert "Mariuccia" in page  # the profile's given name, not the sample
    assert "Questo cliente riceverebbe la versione Inglese." in page
    assert "invoice.amount" in page  # data the profile lacks shows its sample, and says so
    reads = rows(
        select(AuditEvent).where(
            AuditEvent.action == "template.preview",
            AuditEvent.customer_id == first.customer_id,
        )
    )
    assert len(reads) == 1
    assert reads[0].operator_id == people["designer"].id


def test_the_preview_page_answers_fast_without_the_letter(
    session: Session, people: dict[str, Operator], console_as: Callable[[str], TestClient]
) -> None:
    tid = make_template(
        session, people["designer"], kinds=EVERY_KIND, variants={**VARIANTS, **MORE_VARIANTS}
    )
    designer = console_as("designer")
    url = f"/studio/templates/{tid}/versions/1/preview"
    assert designer.get(url).status_code == 200  # warm the compiled templates
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        assert designer.get(url).status_code == 200
        timings.append(time.perf_counter() - started)
    best = min(timings)
    # The target is < 100 ms (about 16 ms measured); the bound leaves room for a machine shared
    # by other tests.
    assert best < 0.5, f"the preview page took {best * 1000:.0f} ms"


# --- content blocks ------------------------------------------------------------------------------


def test_blocks_are_created_edited_and_reviewed_through_the_forms(
    console_as: Callable[[str], TestClient], rows: Callable[[Any], list[Any]]
) -> None:
    designer, compliance = console_as("designer"), console_as("compliance")
    created = post(
        designer, "/studio/blocks", "/studio/blocks", name="legal_notice", description="Piè"
    )
    assert created.status_code == 303
    page_url = created.headers["location"].split("#")[0]
    assert "Il blocco è stato creato" in text_of(designer.get(page_url))
    base = page_url.split("?")[0] + "/versions/1"
    refused = post(designer, page_url, f"{base}/submit")
    assert refused.status_code == 422
    assert "Il blocco non ha contenuto" in text_of(refused)
    saved = post(
        designer,
        page_url,
        f"{base}/edit",
        **{"b.it.html": "<p>Energia Chiara S.p.A.</p>", "b.it.text": "Energia Chiara S.p.A."},
    )
    assert saved.status_code == 303
    assert post(designer, page_url, f"{base}/submit").status_code == 303
    approved = post(compliance, page_url, f"{base}/approve", comment="Ok legale")
    assert approved.status_code == 303
    (version,) = rows(select(ContentBlockVersion))
    assert version.status is VersionStatus.APPROVED
    assert version.content == {
        "it": {"html": "<p>Energia Chiara S.p.A.</p>", "text": "Energia Chiara S.p.A."}
    }
    listing = text_of(designer.get("/studio/blocks"))
    assert "legal_notice" in listing
    assert '{% include "legal_notice" %}' in listing
    assert "Ok legale" in text_of(designer.get(page_url.split("?")[0] + "/history"))
    duplicate = post(designer, "/studio/blocks", "/studio/blocks", name="legal_notice")
    assert duplicate.status_code == 409
    assert "Il blocco non è stato creato." in text_of(duplicate)


# --- test sends ----------------------------------------------------------------------------------


def test_a_test_send_goes_to_the_operators_own_address_and_refusals_show_on_the_card(
    session: Session,
    people: dict[str, Operator],
    console_as: Callable[[str], TestClient],
) -> None:
    tid = make_template(session, people["designer"])
    designer = console_as("designer")
    url = f"/studio/templates/{tid}/versions/1/preview"
    page = designer.get(url).text
    # The email's test form is filled in with the operator's own address; SMS has a form too.
    assert f'value="{people["designer"].email}"' in page
    assert 'id="test-sms"' in page
    assert 'id="test-call_script"' not in page
    assert 'id="test-email"' not in console_as("agent").get(url).text

    refused = post(
        designer,
        url,
        f"{url.rsplit('/', 1)[0]}/test-send",
        kind="email",
        locale="it",
        recipient=people["designer"].email,
    )
    assert refused.status_code == 422
    assert "Il messaggio di prova non è stato inviato." in text_of(refused)
    assert "Non è ancora configurato un canale di questo tipo" in text_of(refused)

    with SandboxSMTP() as smtp:
        host, port = smtp.address
        do_create_channel(
            session,
            SYSTEM,
            kind="email",
            name="Email di prova",
            settings={},
            credentials={
                "smtp_host": host,
                "smtp_port": str(port),
                "address": "assistenza@energiachiara.it",
            },
        )
        session.commit()
        sent = post(
            designer,
            url,
            f"{url.rsplit('/', 1)[0]}/test-send",
            kind="email",
            locale="en",
            recipient=people["designer"].email,
        )
        assert sent.status_code == 303
        assert "tested=email" in sent.headers["location"]
        assert "outcome=sent" in sent.headers["location"]
        assert "Il messaggio di prova è stato inviato." in text_of(
            designer.get(sent.headers["location"])
        )
        (mail,) = smtp.messages
        assert mail.message["Subject"] == "[TEST] Your bill, Maria"
    history = text_of(designer.get(f"/studio/templates/{tid}/history"))
    assert f"Email a {people['designer'].email}: inviato" in history
