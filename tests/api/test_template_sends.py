"""Test sends and operator sends of studio templates, through the HTTP API and the sandbox
providers, on SQLite and PostgreSQL.

Test sends: any version (drafts too) to the operator's own handle, through the real adapters,
never on a timeline. Operator sends: only the approved version, rendered per customer, checked
per recipient (SMS parts, consent for the purpose), queued like a reply; on WhatsApp outside
the 24-hour window the message goes out as a template with Meta's named parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tests.api.conftest import Ingest, ago
from unisono.inbox.channel_config import do_create_channel
from unisono.models import Interaction, Operator, Role, StudioEvent
from unisono.sandbox.app import create_sandbox_app
from unisono.sandbox.email import SandboxSMTP
from unisono.sandbox.server import serve_in_thread
from unisono.security.actor import SYSTEM
from unisono.security.operators import do_create_token

T = "/api/v1/templates"
WHATSAPP = {
    "app_secret": "whatsapp-app-secret",
    "verify_token": "verifica-123",
    "access_token": "EAAG-test-token",
    "phone_number_id": "106540352242922",
}
SUPPORT = "assistenza@energiachiara.it"
SCHEMA: list[dict[str, Any]] = [
    {"name": "customer.first_name", "type": "str", "sample": "Maria"},
    {"name": "invoice.amount", "type": "money", "sample": {"amount": "412.30", "currency": "EUR"}},
]
WHATSAPP_IT = {
    "template_name": "sollecito_pagamento",
    "category": "UTILITY",
    "body": "Gentile {{first_name}}, la bolletta di {{amount}} risulta da pagare.",
    "parameters": {
        "first_name": "{{ customer.first_name }}",
        "amount": "{{ invoice.amount|money }}",
    },
    "text": "Gentile {{ customer.first_name }}, la bolletta risulta da pagare.",
}
EMAIL_IT = {
    "subject": "La tua bolletta, {{ customer.first_name }}",
    "html": "<style>p { color: #123456; }</style><p>Gentile {{ customer.first_name }}, "
    "la bolletta di {{ invoice.amount|money }} risulta da pagare.</p>",
    "text": "Gentile {{ customer.first_name }}, la bolletta risulta da pagare.",
}
# Fits one SMS for a short name; a long one pushes it over 160 characters.
SMS_IT = (
    "Gentile {{ customer.first_name }}, la bolletta di {{ invoice.amount|money }} risulta da "
    "pagare: paga in app, online o allo sportello entro 10 giorni dalla scadenza. Grazie!"
)
Headers = dict[str, str]


@pytest.fixture
def sandbox(engine: Engine) -> Iterator[str]:
    """The sandbox providers; their status callbacks go nowhere (tests send through them)."""
    with serve_in_thread(
        create_sandbox_app(engine, "http://127.0.0.1:9", callback_delay=0.02)
    ) as url:
        yield url


@pytest.fixture
def smtp() -> Iterator[SandboxSMTP]:
    with SandboxSMTP() as server:
        yield server


def make_channel(session: Session, kind: str, credentials: dict[str, str], **settings: Any) -> None:
    do_create_channel(
        session,
        SYSTEM,
        kind=kind,
        name=f"{kind} di prova",
        settings=settings,
        credentials=credentials,
    )
    session.commit()


@pytest.fixture
def as_role(session: Session, make_operator: Callable[..., Operator]) -> Callable[[Role], Headers]:
    def headers(role: Role) -> Headers:
        token = do_create_token(session, make_operator(role, name=f"Operatore {role}"), "tests")
        session.commit()
        return {"Authorization": f"Bearer {token}"}

    return headers


def create(api: TestClient, headers: Headers, **overrides: Any) -> dict[str, Any]:
    body = {
        "name": "Sollecito di pagamento",
        "purpose": "payment_reminder",
        "variant_kinds": ["whatsapp", "email", "sms"],
        "locales": ["it"],
        "schema": SCHEMA,
        "variants": {
            "whatsapp": {"it": WHATSAPP_IT},
            "email": {"it": EMAIL_IT},
            "sms": {"it": {"text": SMS_IT}},
        },
        **overrides,
    }
    r = api.post(T, json=body, headers=headers)
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


def approve(api: TestClient, template_id: str, designer: Headers, compliance: Headers) -> None:
    v = f"{T}/{template_id}/versions/1"
    assert api.post(f"{v}/submit", headers=designer).status_code == 200
    r = api.post(f"{v}/approve", json={"comment": "Conforme."}, headers=compliance)
    assert r.status_code == 200, r.text


def customer(
    api: TestClient, ingest: Ingest, phone: str, given: str, channel: str = "whatsapp", **at: Any
) -> dict[str, Any]:
    """A customer who wrote on ``channel`` (two days ago by default) and has a given name."""
    written = ingest(channel=channel, value=phone, at=at.get("at") or ago(days=2))
    r = api.patch(f"/api/v1/customers/{written['customer_id']}", json={"given_name": given})
    assert r.status_code == 200, r.text
    return written


def rows(session: Session, model: type) -> list[Any]:
    session.rollback()
    found: list[Any] = list(session.scalars(select(model)))
    session.expunge_all()
    session.rollback()
    return found


def sandbox_sent(sandbox: str) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = httpx.get(f"{sandbox}/_sandbox/sent", timeout=10).json()
    return sent


def test_a_draft_is_test_sent_on_whatsapp_but_only_the_approved_version_reaches_customers(
    api: TestClient,
    app: Any,
    session: Session,
    sandbox: str,
    as_role: Callable[[Role], Headers],
    ingest: Ingest,
) -> None:
    make_channel(session, "whatsapp", WHATSAPP, api_base_url=f"{sandbox}/v21.0")
    designer, compliance = as_role(Role.DESIGNER), as_role(Role.COMPLIANCE)
    t = create(api, designer)

    # The designer tries the draft on her own phone: a template message, samples filled in.
    r = api.post(
        f"{T}/{t['id']}/versions/1/test-send",
        json={"kind": "whatsapp", "recipient": "347 111 2233"},
        headers=designer,
    )
    assert r.status_code == 200, r.text
    receipt = r.json()
    assert receipt["status"] == "sent", receipt["error"]
    assert receipt["external_id"].startswith("wamid.")
    assert receipt["recipient"] == "+393471112233"
    assert receipt["from_sample"] == ["customer.first_name", "invoice.amount"]
    (sent,) = sandbox_sent(sandbox)
    assert sent["recipient"] == "393471112233"
    assert sent["payload"]["type"] == "template"
    template = sent["payload"]["template"]
    assert template["name"] == "sollecito_pagamento"
    assert template["language"] == {"code": "it"}
    assert template["components"] == [
        {
            "type": "body",
            "parameters": [
                {"type": "text", "text": "Maria", "parameter_name": "first_name"},
                {"type": "text", "text": "€ 412,30", "parameter_name": "amount"},
            ],
        }
    ]
    # Never on a timeline; in the template's history with the provider's id.
    assert rows(session, Interaction) == []
    (event,) = [e for e in rows(session, StudioEvent) if e.action == "test_sent"]
    assert event.details["external_id"] == receipt["external_id"]
    assert event.details["status"] == "sent"

    # A customer who last wrote two days ago: the draft cannot go to her.
    written = customer(api, ingest, "+39 333 5550101", "Giulia")
    conversation = written["conversation_id"]
    body = {"template_id": t["id"], "channel": "whatsapp"}
    r = api.post(f"/api/v1/conversations/{conversation}/messages", json=body)
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "template_not_approved"
    # Free text is refused outside the window...
    r = api.post(
        f"/api/v1/conversations/{conversation}/messages",
        json={"text": "Buongiorno", "channel": "whatsapp"},
    )
    assert r.status_code == 422
    assert "24 hours" in r.json()["detail"]

    # ... the approved template goes out as a template message with her own values.
    approve(api, t["id"], designer, compliance)
    offered = api.get(
        f"/api/v1/conversations/{conversation}/templates", params={"channel": "whatsapp"}
    )
    assert offered.status_code == 200, offered.text
    (offer,) = offered.json()
    assert offer["sendable"] is False  # the invoice is not in her profile: no samples at send
    assert offer["blocked"] == "missing_data"
    assert "invoice.amount" in offer["problem"]
    assert offer["missing"] == ["invoice.amount"]
    r = api.post(f"/api/v1/conversations/{conversation}/messages", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["reason"] == "missing_data"
    assert "invoice.amount" in r.json()["detail"]
    assert r.json()["missing"] == ["invoice.amount"]

    r = api.patch(
        f"/api/v1/customers/{written['customer_id']}",
        json={"attributes": {"invoice": {"amount": {"amount": "87.10", "currency": "EUR"}}}},
    )
    assert r.status_code == 200, r.text
    (offer,) = api.get(
        f"/api/v1/conversations/{conversation}/templates", params={"channel": "whatsapp"}
    ).json()
    assert offer["sendable"] is True
    assert offer["whatsapp_template"] is True
    assert offer["text"] == "Gentile Giulia, la bolletta di € 87,10 risulta da pagare."
    r = api.post(f"/api/v1/conversations/{conversation}/messages", json=body)
    assert r.status_code == 201, r.text
    message = r.json()
    assert message["text"] == "Gentile Giulia, la bolletta di € 87,10 risulta da pagare."
    assert message["delivery_status"] == "queued"
    assert message["metadata"]["template_name"] == "sollecito_pagamento"
    assert message["metadata"]["studio"]["template_id"] == t["id"]
    assert message["metadata"]["studio"]["version"] == 1
    assert message["metadata"]["studio"]["purpose"] == "payment_reminder"

    assert app.state.worker.drain() >= 1
    sent = sandbox_sent(sandbox)[-1]
    assert sent["recipient"] == "393335550101"
    assert sent["payload"]["type"] == "template"
    assert sent["payload"]["template"]["components"][0]["parameters"] == [
        {"type": "text", "text": "Giulia", "parameter_name": "first_name"},
        {"type": "text", "text": "€ 87,10", "parameter_name": "amount"},
    ]
    (outbound,) = [i for i in rows(session, Interaction) if i.direction == "outbound"]
    assert outbound.delivery_status == "sent"
    assert outbound.external_id == sent["id"]


def test_an_email_test_send_carries_the_templates_subject_marked_as_a_test_and_html(
    api: TestClient, session: Session, smtp: SandboxSMTP, as_role: Callable[[Role], Headers]
) -> None:
    host, port = smtp.address
    make_channel(session, "email", {"smtp_host": host, "smtp_port": str(port), "address": SUPPORT})
    designer = as_role(Role.DESIGNER)
    t = create(api, designer)
    r = api.post(
        f"{T}/{t['id']}/versions/1/test-send",
        json={"kind": "email", "recipient": "Dario.Designer@EnergiaChiara.it"},
        headers=designer,
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "sent"
    (mail,) = smtp.messages
    assert mail.recipients == ("dario.designer@energiachiara.it",)
    message = mail.message
    assert message["Subject"] == "[TEST] La tua bolletta, Maria"  # never taken for the real one
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Gentile Maria, la bolletta di" in html
    assert "color: #123456" in html  # the template's CSS, inlined
    assert message.get_body(preferencelist=("plain",)).get_content().startswith("Gentile Maria")


def test_test_sends_are_refused_clearly(
    api: TestClient,
    session: Session,
    sandbox: str,
    as_role: Callable[[Role], Headers],
    ingest: Ingest,
) -> None:
    designer = as_role(Role.DESIGNER)
    t = create(api, designer, variant_kinds=["whatsapp", "email", "sms", "letter"], variants=None)
    url = f"{T}/{t['id']}/versions/1/test-send"
    # No WhatsApp channel yet.
    r = api.post(url, json={"kind": "whatsapp", "recipient": "+393471112233"}, headers=designer)
    assert r.status_code == 422
    assert r.json()["reason"] == "not_configured"
    make_channel(session, "whatsapp", WHATSAPP, api_base_url=f"{sandbox}/v21.0")
    ingest(value="+39 333 5550102")
    cases = [
        ({"kind": "whatsapp", "recipient": "+39 333 5550102"}, "customer_recipient"),
        ({"kind": "whatsapp", "recipient": "not a number"}, "bad_phone"),
        ({"kind": "email", "recipient": "+393471112233"}, "bad_email"),
        ({"kind": "letter", "recipient": "Via Roma 1"}, "not_sendable_kind"),
    ]
    for body, reason in cases:
        r = api.post(url, json=body, headers=designer)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["reason"] == reason, body
    r = api.post(
        url, json={"kind": "whatsapp", "recipient": "+393471112233"}, headers=as_role(Role.AGENT)
    )
    assert r.status_code == 403
    # The draft has no content yet: the render error says so (not a 500).
    r = api.post(url, json={"kind": "whatsapp", "recipient": "+393471112233"}, headers=designer)
    assert r.status_code == 422, r.text

    # A provider's refusal is the receipt's news, not a failed request; the history keeps it.
    t2 = create(api, designer, name="Altro sollecito")
    r = api.post(
        f"{T}/{t2['id']}/versions/1/test-send",
        json={"kind": "whatsapp", "recipient": "+393471230429"},  # the sandbox rate-limits it
        headers=designer,
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "failed"
    assert "rate limited" in r.json()["error"]
    assert any(
        e.action == "test_sent" and e.details["status"] == "failed"
        for e in rows(session, StudioEvent)
    )


def test_an_sms_over_the_maximum_parts_is_refused_for_that_recipient_only(
    api: TestClient,
    as_role: Callable[[Role], Headers],
    ingest: Ingest,
    settings_override: Callable[..., None],
) -> None:
    settings_override(studio_max_sms_segments=1)
    designer, compliance = as_role(Role.DESIGNER), as_role(Role.COMPLIANCE)
    schema = [*SCHEMA[:1], {**SCHEMA[1], "sample": {"amount": "12.30", "currency": "EUR"}}]
    t = create(
        api,
        designer,
        variant_kinds=["sms"],
        schema=schema,
        variants={"sms": {"it": {"text": SMS_IT}}},
    )
    approve(api, t["id"], designer, compliance)
    invoice = {"invoice": {"amount": {"amount": "12.30", "currency": "EUR"}}}
    short = customer(api, ingest, "+39 333 5550103", "Ada", channel="sms", at=ago(hours=1))
    long = customer(
        api,
        ingest,
        "+39 333 5550104",
        "Maria Antonietta Benedetta Costanza",
        channel="sms",
        at=ago(hours=1),
    )
    for who in (short, long):
        r = api.patch(f"/api/v1/customers/{who['customer_id']}", json={"attributes": invoice})
        assert r.status_code == 200, r.text

    body = {"template_id": t["id"], "channel": "sms"}
    r = api.post(f"/api/v1/conversations/{short['conversation_id']}/messages", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["text"].startswith("Gentile Ada, la bolletta di € 12,30")

    r = api.post(f"/api/v1/conversations/{long['conversation_id']}/messages", json=body)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["code"] == "template_not_sendable"
    assert problem["reason"] == "lint_errors"
    assert [f["code"] for f in problem["findings"]] == ["sms_too_long"]
    (offer,) = api.get(
        f"/api/v1/conversations/{long['conversation_id']}/templates", params={"channel": "sms"}
    ).json()
    assert offer["sendable"] is False
    assert offer["blocked"] == "lint_errors"
    assert offer["text"].startswith("Gentile Maria Antonietta")


def test_advertising_needs_the_customers_consent(
    api: TestClient, as_role: Callable[[Role], Headers], ingest: Ingest
) -> None:
    designer, compliance = as_role(Role.DESIGNER), as_role(Role.COMPLIANCE)
    offer_text = (
        "Ciao {{ customer.first_name }}, la nuova offerta luce è online. "
        "Rispondi STOP per non ricevere altre offerte."
    )
    t = create(
        api,
        designer,
        name="Offerta luce",
        purpose="advertise",
        variant_kinds=["sms"],
        schema=SCHEMA[:1],
        variants={"sms": {"it": {"text": offer_text}}},
    )
    approve(api, t["id"], designer, compliance)
    written = customer(api, ingest, "+39 333 5550105", "Bruno", channel="sms", at=ago(hours=1))
    path = f"/api/v1/conversations/{written['conversation_id']}"
    body = {"template_id": t["id"], "channel": "sms"}

    r = api.post(f"{path}/messages", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "consent_refused"
    (offer,) = api.get(f"{path}/templates", params={"channel": "sms"}).json()
    assert offer["blocked"] == "consent_refused"
    # Templates only for their channels: nothing for email here.
    assert api.get(f"{path}/templates", params={"channel": "email"}).json() == []

    r = api.post(
        f"/api/v1/customers/{written['customer_id']}/consents",
        json={"purpose": "advertise", "channel": "sms", "granted": True, "source": "sportello"},
    )
    assert r.status_code == 201, r.text
    r = api.post(f"{path}/messages", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["text"].startswith("Ciao Bruno, la nuova offerta")


def test_a_message_is_text_or_a_template(api: TestClient, ingest: Ingest) -> None:
    conversation = ingest()["conversation_id"]
    for body in ({}, {"text": "x", "template_id": "0190c4d2-0000-7000-8000-000000000000"}):
        r = api.post(f"/api/v1/conversations/{conversation}/messages", json=body)
        assert r.status_code == 422, r.text
    r = api.post(
        f"/api/v1/conversations/{conversation}/messages",
        json={"template_id": "0190c4d2-0000-7000-8000-000000000000", "channel": "whatsapp"},
    )
    assert r.status_code == 404
