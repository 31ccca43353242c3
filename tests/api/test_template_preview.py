"""Template previews through the HTTP API, on SQLite and PostgreSQL: every variant rendered side
by side for the samples, for a real customer (audited) or for given data, with findings; render
errors on their variant; letters as PDF on the company's letterhead."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.api.conftest import Ingest
from unisono.models import AuditEvent, Operator, Role
from unisono.security.operators import do_create_token

T = "/api/v1/templates"
SCHEMA: list[dict[str, Any]] = [
    {"name": "customer.first_name", "type": "str", "sample": "Maria"},
    {"name": "invoice.amount", "type": "money", "sample": {"amount": "1412.30", "currency": "EUR"}},
    {"name": "invoice.due_date", "type": "date", "sample": "2026-12-01"},
]
DUE_IT = "la bolletta di {{ invoice.amount|money }} scade il {{ invoice.due_date|date }}."
DUE_EN = "your bill of {{ invoice.amount|money }} is due on {{ invoice.due_date|date }}."
LETTER_IT = "<p>Gentile {{ customer.first_name }},</p><p>" + DUE_IT + "</p>"
VARIANTS: dict[str, Any] = {
    "sms": {
        "it": {"text": "Gentile {{ customer.first_name }}, " + DUE_IT},
        "en": {"text": "Dear {{ customer.first_name }}, " + DUE_EN},
    },
    "email": {
        "it": {
            "subject": "La tua bolletta, {{ customer.first_name }}",
            "html": "<p>Gentile {{ customer.first_name }}, " + DUE_IT + "</p>",
            "text": "Gentile {{ customer.first_name }}, " + DUE_IT,
        },
        "en": {
            "subject": "Your bill, {{ customer.first_name }}",
            "html": "<p>Dear {{ customer.first_name }}, " + DUE_EN + "</p>",
            "text": "Dear {{ customer.first_name }}, " + DUE_EN,
        },
    },
    "letter": {"it": {"html": LETTER_IT}, "en": {"html": "<p>" + DUE_EN + "</p>"}},
}

Headers = dict[str, str]


@pytest.fixture
def designer(session: Session, make_operator: Callable[..., Operator]) -> Headers:
    operator = make_operator(Role.DESIGNER, name="Dario Designer")
    token = do_create_token(session, operator, "tests")
    session.commit()
    return {"Authorization": f"Bearer {token}"}


def create(client: TestClient, headers: Headers, **overrides: Any) -> dict[str, Any]:
    body = {
        "name": "Sollecito di pagamento",
        "purpose": "payment_reminder",
        "variant_kinds": ["sms", "email", "letter"],
        "locales": ["it", "en"],
        "schema": SCHEMA,
        "variants": VARIANTS,
        **overrides,
    }
    r = client.post(T, json=body, headers=headers)
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


def variant(preview: dict[str, Any], kind: str, locale: str) -> dict[str, Any]:
    (found,) = [v for v in preview["variants"] if v["kind"] == kind and v["locale"] == locale]
    return found


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_preview_with_the_sample_data_shows_every_variant_and_locale(
    api: TestClient, designer: Headers
) -> None:
    t = create(api, designer)
    r = api.post(f"{T}/{t['id']}/preview", json={})
    assert r.status_code == 200, r.text
    preview = r.json()
    assert preview["version"] == 1
    assert preview["status"] == "draft"
    assert preview["customer_id"] is None
    assert {(v["kind"], v["locale"]) for v in preview["variants"]} == {
        (k, loc) for k in ("sms", "email", "letter") for loc in ("it", "en")
    }
    assert set(preview["data_sources"].values()) == {"sample"}
    assert sorted(preview["from_sample"]) == sorted(s["name"] for s in SCHEMA)

    sms_it = variant(preview, "sms", "it")
    # Italian money and dates: the euro sign first, a dot for thousands, a comma for cents.
    assert (
        sms_it["fields"]["text"] == "Gentile Maria, la bolletta di € 1.412,30 scade il 1 dic 2026."
    )
    assert sms_it["extra"]["encoding"] == "GSM-7"
    assert sms_it["extra"]["segments"] == 1
    assert sms_it["error"] is None
    assert sms_it["sendable"] is True
    assert "€1,412.30" in variant(preview, "sms", "en")["fields"]["text"]
    assert "Dec 1, 2026" in variant(preview, "sms", "en")["fields"]["text"]
    email_it = variant(preview, "email", "it")
    assert email_it["fields"]["subject"] == "La tua bolletta, Maria"
    assert "1.412,30" in email_it["fields"]["html"]

    # Letters link to their PDF (rendered only when fetched); the text prints on A4.
    letter = variant(preview, "letter", "it")
    assert letter["letter_pdf"] is None
    url = letter["letter_pdf_url"]
    assert url.startswith(f"{T}/{t['id']}/versions/1/letter.pdf?")
    pdf = api.get(url)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "Gentile Maria" in text
    assert "1.412,30" in text
    assert "Energia Chiara S.p.A." in text
    assert "Pagina 1 di 1" in text


def test_preview_for_a_real_customer_uses_the_profile_and_audits_the_read(
    api: TestClient, session: Session, designer: Headers, ingest: Ingest
) -> None:
    t = create(api, designer)
    customer_id = ingest(value="+39 333 7654321")["customer_id"]
    patched = api.patch(
        f"/api/v1/customers/{customer_id}",
        json={
            "display_name": "Giulia Neri",
            "given_name": "Giulia",
            "family_name": "Neri",
            "language": "en",
            "attributes": {
                "indirizzo": "Via Zamboni 33, 40126 Bologna BO",
                "codice_cliente": "EC-000123",
                "spesa_mensile_eur": 94.5,
            },
        },
    )
    assert patched.status_code == 200, patched.text
    schema = [*SCHEMA, {"name": "customer.monthly_spend", "type": "money", "required": False}]
    version = api.patch(f"{T}/{t['id']}/versions/1", json={"schema": schema}, headers=designer)
    assert version.status_code == 200, version.text

    r = api.post(
        f"{T}/{t['id']}/preview",
        json={"customer_id": customer_id, "locale": "it", "letter_pdf": True},
    )
    assert r.status_code == 200, r.text
    preview = r.json()
    assert preview["customer_id"] == customer_id
    assert preview["customer_locale"] == "en"  # her language; the preview asked for Italian
    assert preview["data_sources"] == {
        "customer.first_name": "customer",
        "customer.monthly_spend": "customer",
        "invoice.amount": "sample",
        "invoice.due_date": "sample",
    }
    assert sorted(preview["from_sample"]) == ["invoice.amount", "invoice.due_date"]
    assert {v["locale"] for v in preview["variants"]} == {"it"}
    assert variant(preview, "sms", "it")["fields"]["text"].startswith("Gentile Giulia, ")

    letter = variant(preview, "letter", "it")
    assert letter["letter_pdf_url"].endswith(f"customer_id={customer_id}")
    text = pdf_text(base64.b64decode(letter["letter_pdf"]))
    assert "Giulia Neri" in text
    assert "Via Zamboni 33" in text
    assert "40126 Bologna BO" in text
    assert "Rif. EC-000123" in text

    session.rollback()
    reads = [
        (str(a.customer_id), a.entity_type)
        for a in session.scalars(select(AuditEvent).where(AuditEvent.action == "template.preview"))
    ]
    session.rollback()
    assert reads == [(customer_id, "customer")]

    # Data given with the request wins over the samples (and would over the profile).
    r = api.post(
        f"{T}/{t['id']}/preview",
        json={
            "customer_id": customer_id,
            "kinds": ["sms"],
            "locale": "en",
            "data": {"invoice": {"amount": {"amount": "87.10", "currency": "EUR"}}},
        },
    )
    assert r.status_code == 200, r.text
    again = r.json()
    assert again["data_sources"]["invoice.amount"] == "data"
    assert [v["kind"] for v in again["variants"]] == ["sms"]
    assert "€87.10" in variant(again, "sms", "en")["fields"]["text"]


def test_render_errors_are_reported_on_their_variant(api: TestClient, designer: Headers) -> None:
    broken = {
        **VARIANTS,
        "sms": {
            "it": {"text": "Gentile {{ customer.first_name.missing_attribute }}"},
            "en": {"text": "Dear {% if %}"},
        },
    }
    t = create(api, designer, variants=broken)
    r = api.post(f"{T}/{t['id']}/preview", json={"kinds": ["sms", "email"]})
    assert r.status_code == 200, r.text
    preview = r.json()
    sms_it = variant(preview, "sms", "it")
    assert sms_it["fields"] is None
    assert sms_it["error"]["field"] == "text"
    assert "missing_attribute" in sms_it["error"]["message"]
    assert sms_it["sendable"] is False
    sms_en = variant(preview, "sms", "en")
    assert sms_en["error"] is not None
    assert any(f["code"] == "syntax_error" for f in sms_en["findings"])
    # The other variants render all the same.
    assert variant(preview, "email", "it")["fields"]["subject"] == "La tua bolletta, Maria"


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"locale": "de"}, 422, "no 'de' locale"),
        ({"kinds": ["whatsapp"]}, 422, "no whatsapp variant"),
        ({"data": {"invoice": {"due_date": "01/12/2026"}}}, 422, "invoice.due_date"),
        ({"version": 7}, 404, "no version 7"),
        ({"customer_id": "0190c4d2-0000-7000-8000-000000000000"}, 404, "no customer"),
        ({"colour": "red"}, 422, "colour"),
    ],
)
def test_bad_preview_requests_are_refused_clearly(
    api: TestClient, designer: Headers, body: dict[str, Any], status: int, words: str
) -> None:
    t = create(api, designer)
    r = api.post(f"{T}/{t['id']}/preview", json=body)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert words in r.text


def test_unknown_template_and_letterless_pdf(api: TestClient, designer: Headers) -> None:
    r = api.post(f"{T}/0190c4d2-0000-7000-8000-000000000000/preview", json={})
    assert r.status_code == 404
    t = create(
        api, designer, name="Solo SMS", variant_kinds=["sms"], variants={"sms": VARIANTS["sms"]}
    )
    r = api.get(f"{T}/{t['id']}/versions/1/letter.pdf")
    assert r.status_code == 422
    assert "no letter variant" in r.json()["detail"]
