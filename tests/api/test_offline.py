"""Letters and visits: scans uploaded to the timeline, visits scheduled and their outcomes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.api.conftest import Ingest, ago
from unisono.channels.base import Capability, ChannelConfig, OutboundMessage, WebhookRequest
from unisono.channels.errors import SignatureInvalid
from unisono.channels.letter.provider import LetterConnection
from unisono.channels.registry import provider_for
from unisono.errors import Invalid
from unisono.inbox import offline
from unisono.models import AuditEvent, DeliveryStatus, Direction, EventDelivery
from unisono.web.api import offline as offline_api

MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF"
ADDRESS = "Via Saragozza 112, 40123 Bologna"


@pytest.fixture(autouse=True)
def offline_routes(app: Any) -> None:
    """The routes under test, until ``web/api/router.py`` includes them."""
    if not any(getattr(r, "path", None) == "/api/v1/visits" for r in app.routes):
        app.include_router(offline_api.router, prefix="/api/v1")
        app.openapi_schema = None


def audit_actions(session: Session) -> list[str]:
    """Audit actions so far, read without holding a transaction open against the app."""
    session.rollback()
    actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.created_at)))
    session.expunge_all()
    session.rollback()
    return actions


def maria(api: TestClient, ingest: Ingest) -> dict[str, Any]:
    """Maria Rossi as story 1 has her: vulnerable, her address on file, a WhatsApp message."""
    message = ingest("la bolletta è sbagliata", customer_name="Maria Rossi", at=ago(hours=2))
    response = api.patch(
        f"/api/v1/customers/{message['customer_id']}",
        json={"vulnerable": True, "attributes": {"indirizzo": ADDRESS}},
    )
    assert response.status_code == 200, response.text
    return message


def upload(
    api: TestClient,
    customer_id: str,
    content: bytes = MINIMAL_PDF,
    *,
    filename: str = "reclamo.pdf",
    content_type: str = "application/pdf",
    expect: int = 201,
    **form: str,
) -> dict[str, Any]:
    response = api.post(
        f"/api/v1/customers/{customer_id}/letters",
        files={"file": (filename, content, content_type)},
        data=form,
    )
    assert response.status_code == expect, response.text
    result: dict[str, Any] = response.json()
    return result


def in_days(days: float, hour: int = 9) -> datetime:
    moment = datetime.now(UTC) + timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


# -- letters ---------------------------------------------------------------------------------


def test_an_uploaded_scan_lands_on_the_timeline_with_a_downloadable_pdf(
    api: TestClient, ingest: Ingest, session: Session
) -> None:
    message = maria(api, ingest)
    letter = upload(
        api,
        message["customer_id"],
        text="Reclamo scritto sulla bolletta di marzo",
        received_at=ago(hours=1).isoformat(),
    )
    assert letter["channel"] == "letter"
    assert letter["direction"] == "inbound"
    assert letter["author"] == "customer"
    assert letter["text"] == "Reclamo scritto sulla bolletta di marzo"
    # Threads like any inbound message: it joins her open conversation.
    assert letter["conversation_id"] == message["conversation_id"]
    assert letter["metadata"]["source"] == "scan"
    (scan,) = letter["attachments"]
    assert scan["status"] == "stored"
    assert scan["content_type"] == "application/pdf"
    assert scan["filename"] == "reclamo.pdf"
    assert scan["size"] == len(MINIMAL_PDF)
    timeline = api.get(f"/api/v1/customers/{message['customer_id']}/timeline").json()["items"]
    assert [i["channel"] for i in timeline] == ["letter", "whatsapp"]
    download = api.get(scan["download_path"])
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/pdf"
    assert download.content == MINIMAL_PDF
    assert "letter.uploaded" in audit_actions(session)


def test_a_scan_is_recognised_by_its_content_not_its_name_or_declared_type(
    api: TestClient, ingest: Ingest, session: Session
) -> None:
    customer = ingest()["customer_id"]
    fake = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
    refused = upload(api, customer, fake, filename="bolletta.pdf", expect=422)
    assert refused["code"] == "invalid"
    assert refused["reason"] == "unsupported_file_type"
    photo = upload(api, customer, PNG, filename="foto.pdf", content_type="application/pdf")
    assert photo["attachments"][0]["content_type"] == "image/png"
    timeline = api.get(f"/api/v1/customers/{customer}/timeline").json()["items"]
    assert [i["channel"] for i in timeline].count("letter") == 1


def test_a_scan_over_the_limit_is_413_and_stores_nothing(
    api: TestClient, ingest: Ingest, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer = ingest()["customer_id"]
    monkeypatch.setattr(offline, "MAX_LETTER_BYTES", 1024)
    refused = upload(api, customer, MINIMAL_PDF + b"%" * 2048, expect=413)
    assert refused["code"] == "file_too_large"
    assert upload(api, customer, b"", expect=422)["detail"] == "the file is empty"
    timeline = api.get(f"/api/v1/customers/{customer}/timeline").json()["items"]
    assert [i["channel"] for i in timeline] == ["whatsapp"]


def test_an_outbound_letter_is_recorded_as_sent(api: TestClient, ingest: Ingest) -> None:
    message = maria(api, ingest)
    sent_at = ago(minutes=30).replace(microsecond=0)
    letter = upload(
        api,
        message["customer_id"],
        JPEG,
        filename="C:\\scansioni\\rettifica.jpg",
        direction="outbound",
        sent_at=sent_at.isoformat(),
    )
    assert letter["direction"] == "outbound"
    assert letter["author"] == "operator"
    assert letter["operator_id"] is not None
    assert letter["delivery_status"] == "sent"
    assert letter["text"] == "Lettera inviata (copia)"
    assert datetime.fromisoformat(letter["occurred_at"]) == sent_at
    assert letter["attachments"][0]["filename"] == "rettifica.jpg"
    assert letter["conversation_id"] == message["conversation_id"]


@pytest.mark.parametrize(
    ("form", "detail"),
    [
        ({"sent_at": "2026-03-02T09:00:00+01:00"}, "inbound letter has received_at"),
        ({"direction": "outbound", "received_at": "2026-03-02T09:00:00+01:00"}, "sent_at"),
        ({"received_at": "2026-03-02T09:00:00"}, "received_at"),
        ({"received_at": "2099-03-02T09:00:00+01:00"}, "in the future"),
        ({"direction": "note"}, "direction"),
        ({"text": "riassunto\u0000"}, "NUL"),
    ],
)
def test_letter_metadata_is_checked(
    api: TestClient, ingest: Ingest, form: dict[str, str], detail: str
) -> None:
    customer = ingest()["customer_id"]
    refused = upload(api, customer, expect=422, **form)
    assert detail in refused["detail"]


def test_a_letter_for_an_unknown_customer_is_404(api: TestClient) -> None:
    upload(api, "0190a4b2-0000-7000-8000-000000000000", expect=404)


def test_nothing_is_recorded_on_a_customer_merged_away(api: TestClient, ingest: Ingest) -> None:
    survivor = ingest(value="+39 333 1234567")["customer_id"]
    merged = ingest(value="+39 347 000 2222")["customer_id"]
    assert api.post(f"/api/v1/customers/{survivor}/merge", json={"other_id": merged}).is_success
    refused = upload(api, merged, expect=409)
    assert refused["merged_into_id"] == survivor
    visit(api, merged, scheduled_for=in_days(1), address=ADDRESS, expect=409)


def test_an_unnamed_scan_gets_a_name_and_odd_input_is_refused_in_the_service() -> None:
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    checked = offline.check_letter(offline.LetterUpload(PNG, filename="../"), now)
    assert checked.filename == "lettera-20260302.png"
    with pytest.raises(Invalid, match="direction"):
        offline.check_letter(offline.LetterUpload(PNG, direction=Direction.NOTE), now)
    with pytest.raises(Invalid, match="timezone"):
        offline.check_letter(
            offline.LetterUpload(PNG, received_at=datetime(2026, 3, 1, 9, 0)),  # noqa: DTZ001
            now,
        )
    far_east = timezone(timedelta(hours=14))
    with pytest.raises(Invalid, match="out of range"):
        offline.check_letter(
            offline.LetterUpload(PNG, received_at=datetime(1, 1, 1, tzinfo=far_east)), now
        )
    with pytest.raises(Invalid, match="longer than"):
        offline.check_letter(offline.LetterUpload(PNG, text="x" * 100_001), now)


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (MINIMAL_PDF, "application/pdf"),
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (b"II*\x00\x08\x00\x00\x00", "image/tiff"),
        (b"MM\x00*\x00\x00\x00\x08", "image/tiff"),
    ],
)
def test_every_scan_format_is_recognised(data: bytes, content_type: str) -> None:
    assert offline.sniff_letter(data)[0] == content_type


@pytest.mark.parametrize(
    "data", [b"GIF89a", b"PK\x03\x04", b"%PD", b"\x00%PDF-1.4", b'{"pdf": true}']
)
def test_other_files_are_not_scans(data: bytes) -> None:
    with pytest.raises(Invalid):
        offline.sniff_letter(data)


# -- letters sent by reply -------------------------------------------------------------------


def test_the_letter_provider_hands_letters_to_the_print_house_without_calling_anyone() -> None:
    provider = provider_for("letter")
    assert provider.capabilities == frozenset({Capability.SEND_TEXT})
    assert provider.credential_keys == ()
    connection = provider.connect(offline_config())
    assert isinstance(connection, LetterConnection)
    first = connection.send(OutboundMessage(recipient="", text="Gentile signora Rossi, ..."))
    second = connection.send(OutboundMessage(recipient="", text="..."))
    assert first.status == DeliveryStatus.SENT
    assert first.external_id.startswith("LET-")
    assert first.external_id != second.external_id
    with pytest.raises(SignatureInvalid, match="do not arrive by webhook"):
        connection.verify(WebhookRequest("POST", "http://x", {}, {}, b""))


def offline_config() -> ChannelConfig:
    return ChannelConfig(uuid.uuid4(), "letter", "Tipografia", {}, {})


def test_an_operator_reply_by_letter_is_handed_to_the_print_house(
    api: TestClient, ingest: Ingest, app: Any
) -> None:
    message = maria(api, ingest)
    created = api.post("/api/v1/channels", json={"kind": "letter", "name": "Tipografia"})
    assert created.status_code == 201, created.text
    reply = api.post(
        f"/api/v1/conversations/{message['conversation_id']}/messages",
        json={
            "text": "Gentile signora Rossi, le inviamo la bolletta rettificata.",
            "channel": "letter",
        },
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["delivery_status"] == "queued"
    app.state.worker.drain()
    timeline = api.get(f"/api/v1/customers/{message['customer_id']}/timeline").json()["items"]
    sent = next(i for i in timeline if i["id"] == reply.json()["id"])
    assert sent["delivery_status"] == "sent", sent["delivery_error"]
    assert sent["external_id"].startswith("LET-")


# -- visits ----------------------------------------------------------------------------------


def visit(api: TestClient, customer_id: str, *, expect: int = 201, **body: Any) -> dict[str, Any]:
    payload = {
        "kind": "home_visit",
        "status": "scheduled",
        "reason": "lettura del contatore",
        **body,
    }
    for key, value in payload.items():
        if isinstance(value, datetime):
            payload[key] = value.isoformat()
    response = api.post(f"/api/v1/customers/{customer_id}/visits", json=payload)
    assert response.status_code == expect, response.text
    result: dict[str, Any] = response.json()
    return result


def test_maria_s_home_visit_is_scheduled_then_its_outcome_recorded_on_the_same_interaction(
    api: TestClient, ingest: Ingest, session: Session
) -> None:
    message = maria(api, ingest)
    customer = message["customer_id"]
    wednesday = in_days(1, hour=8)
    scheduled = visit(
        api,
        customer,
        scheduled_for=wednesday,
        staff="Mauro Pellegrini",
        notes="portare il tesserino",
    )
    # Scheduling a home visit is an outbound interaction; nothing is "delivered".
    assert scheduled["channel"] == "home_visit"
    assert scheduled["direction"] == "outbound"
    assert scheduled["author"] == "operator"
    assert scheduled["delivery_status"] is None
    assert scheduled["conversation_id"] == message["conversation_id"]
    meta = scheduled["metadata"]
    assert meta["visit_status"] == "scheduled"
    assert meta["address"] == ADDRESS  # from her profile
    assert meta["staff"] == "Mauro Pellegrini"
    assert meta["reason"] == "lettura del contatore"
    assert meta["notes"] == "portare il tesserino"
    assert datetime.fromisoformat(meta["scheduled_for"]) == wednesday
    assert scheduled["text"].startswith("Visita a domicilio programmata: ")
    assert ADDRESS in scheduled["text"]
    assert scheduled["text"].endswith("Motivo: lettura del contatore.")

    visited = ago(minutes=10).replace(microsecond=0)
    done = api.patch(
        f"/api/v1/visits/{scheduled['id']}",
        json={
            "status": "done",
            "occurred_at": visited.isoformat(),
            "outcome": "lettura stimata superiore al reale; consumo effettivo più basso",
        },
    )
    assert done.status_code == 200, done.text
    after = done.json()
    assert after["id"] == scheduled["id"]
    assert after["metadata"]["visit_status"] == "done"
    assert after["metadata"]["outcome"].startswith("lettura stimata")
    assert datetime.fromisoformat(after["occurred_at"]) == visited
    assert after["text"].startswith("Visita a domicilio effettuata: ")
    assert after["text"].endswith(
        "Esito: lettura stimata superiore al reale; consumo effettivo più basso."
    )
    history = after["metadata"]["visit_history"]
    assert [h["visit_status"] for h in history if "visit_status" in h] == ["scheduled", "done"]
    assert history[1]["operator_id"] == after["metadata"]["recorded_by"]
    assert "address" not in history[1]  # only what changed
    timeline = api.get(f"/api/v1/customers/{customer}/timeline").json()["items"]
    assert [i["channel"] for i in timeline].count("home_visit") == 1
    actions = audit_actions(session)
    assert "visit.recorded" in actions
    assert "visit.updated" in actions


def test_the_list_of_visits_due_puts_vulnerable_customers_first(
    api: TestClient, ingest: Ingest, session: Session
) -> None:
    rossi = maria(api, ingest)["customer_id"]
    esposito = ingest(
        "quando passa il tecnico?", value="+39 347 000 1111", customer_name="Giovanni Esposito"
    )["customer_id"]
    late = visit(api, rossi, scheduled_for=in_days(3), address=ADDRESS)
    early = visit(api, esposito, scheduled_for=in_days(1), address="Via Toledo 1, Napoli")
    far = visit(api, esposito, scheduled_for=in_days(20), address="Via Toledo 1, Napoli")
    visit(api, esposito, kind="branch_visit", branch="Napoli", scheduled_for=in_days(2))
    visit(api, rossi, status="done", reason="firma contratto", address=ADDRESS)

    due = api.get(
        "/api/v1/visits",
        params={"status": "scheduled", "kind": "home_visit", "due_before": in_days(5).isoformat()},
    )
    assert due.status_code == 200, due.text
    items = due.json()
    assert [v["visit"]["id"] for v in items] == [late["id"], early["id"]]
    assert items[0]["customer"]["display_name"] == "Maria Rossi"
    assert items[0]["customer"]["vulnerable"] is True
    everything = api.get("/api/v1/visits").json()
    assert len(everything) == 5
    assert far["id"] in [v["visit"]["id"] for v in everything]
    branch = api.get("/api/v1/visits", params={"kind": "branch_visit"}).json()
    assert [v["visit"]["channel"] for v in branch] == ["branch_visit"]
    mine = api.get("/api/v1/visits", params={"customer_id": rossi, "status": "done"}).json()
    assert [v["visit"]["metadata"]["reason"] for v in mine] == ["firma contratto"]
    assert api.get("/api/v1/visits", params={"limit": 1}).json()[0]["customer"]["vulnerable"]
    assert "visit.list" in audit_actions(session)


def test_a_branch_visit_is_the_customer_coming_in(api: TestClient, ingest: Ingest) -> None:
    message = ingest(at=ago(hours=1))
    came = visit(
        api,
        message["customer_id"],
        kind="branch_visit",
        status="done",
        branch="Milano Centrale",
        staff="Franco Bellini",
        reason="bolletta errata",
        outcome="reclamo registrato",
        occurred_at=ago(minutes=20),
    )
    assert came["direction"] == "inbound"
    assert came["author"] == "customer"
    assert came["operator_id"] is None
    assert came["metadata"]["recorded_by"] is not None
    assert came["metadata"]["branch"] == "Milano Centrale"
    assert "address" not in came["metadata"]
    assert came["text"].startswith("Visita allo sportello: ")
    assert "Milano Centrale" in came["text"]
    assert came["conversation_id"] == message["conversation_id"]


def test_a_visit_joins_an_active_conversation_but_never_opens_one(
    api: TestClient, ingest: Ingest
) -> None:
    customer = ingest(at=ago(days=30))["customer_id"]
    alone = visit(api, customer, scheduled_for=in_days(1), address=ADDRESS)
    assert alone["conversation_id"] is None
    conversations = api.get("/api/v1/conversations", params={"customer_id": customer}).json()
    assert len(conversations["items"]) == 1


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"kind": "branch_visit"}, "needs its branch"),
        ({"address": None}, "needs an address"),
        ({"scheduled_for": None}, "needs scheduled_for"),
        ({"scheduled_for": "2026-03-05T09:00:00"}, "timezone"),
        ({"occurred_at": "2026-03-01T09:00:00+01:00"}, "give it with done or no_show"),
        ({"status": "done", "occurred_at": "2099-03-05T09:00:00+01:00"}, "in the future"),
        ({"scheduled_for": "2999-03-05T09:00:00+01:00"}, "two years"),
        ({"reason": "   "}, "needs its reason"),
        ({"kind": "call"}, "kind"),
        ({"status": "maybe"}, "status"),
        ({"outcome": "ok\u0000"}, "NUL"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_visits_are_checked(
    api: TestClient, ingest: Ingest, body: dict[str, Any], detail: str
) -> None:
    customer = ingest()["customer_id"]
    payload = {"scheduled_for": in_days(1), "address": ADDRESS, **body}
    refused = visit(
        api, customer, expect=422, **{k: v for k, v in payload.items() if v is not None}
    )
    assert detail in refused["detail"]


def test_a_closed_visit_keeps_its_status_but_its_texts_can_be_corrected(
    api: TestClient, ingest: Ingest
) -> None:
    customer = ingest()["customer_id"]
    scheduled = visit(api, customer, scheduled_for=in_days(-1), address=ADDRESS)
    missed = api.patch(f"/api/v1/visits/{scheduled['id']}", json={"status": "no_show"})
    assert missed.status_code == 200, missed.text
    # Missed at its appointment, not when it was noted.
    noted_at = missed.json()
    assert datetime.fromisoformat(noted_at["occurred_at"]) == datetime.fromisoformat(
        noted_at["metadata"]["scheduled_for"]
    )
    assert "cliente assente" in missed.json()["text"]
    again = api.patch(f"/api/v1/visits/{scheduled['id']}", json={"status": "done"})
    assert again.status_code == 409
    assert again.json()["visit_status"] == "no_show"
    noted = api.patch(f"/api/v1/visits/{scheduled['id']}", json={"notes": "citofono rotto"})
    assert noted.status_code == 200
    assert noted.json()["metadata"]["notes"] == "citofono rotto"
    assert len(noted.json()["metadata"]["visit_history"]) == 3
    # Nothing changes: nothing is added to the history.
    same = api.patch(f"/api/v1/visits/{scheduled['id']}", json={"notes": "citofono rotto"})
    assert len(same.json()["metadata"]["visit_history"]) == 3


def test_a_rescheduled_then_cancelled_visit_tells_its_story(
    api: TestClient, ingest: Ingest
) -> None:
    customer = ingest()["customer_id"]
    first = visit(api, customer, kind="branch_visit", branch="Bologna", scheduled_for=in_days(1))
    moved = api.patch(
        f"/api/v1/visits/{first['id']}", json={"scheduled_for": in_days(2).isoformat()}
    ).json()
    assert moved["metadata"]["visit_status"] == "scheduled"
    cancelled = api.patch(f"/api/v1/visits/{first['id']}", json={"status": "cancelled"}).json()
    assert cancelled["text"].startswith("Appuntamento allo sportello annullato")
    assert cancelled["occurred_at"] == first["occurred_at"]
    steps = cancelled["metadata"]["visit_history"]
    assert [sorted(k for k in s if k not in ("recorded_at", "operator_id")) for s in steps][1:] == [
        ["scheduled_for"],
        ["visit_status"],
    ]


def test_a_visit_ingested_by_another_system_can_be_completed_here(
    api: TestClient, ingest: Ingest
) -> None:
    imported = ingest(
        "Sopralluogo eseguito, contatore funzionante.",
        channel="home_visit",
        direction="outbound",
        at=ago(days=2),
        metadata={
            "type": "intervento",
            "address": ADDRESS,
            "technician": "Mauro Pellegrini",
            "reason": "lettura del contatore",
            "scheduled_for": 20260305,
        },
    )
    noted = api.patch(f"/api/v1/visits/{imported['id']}", json={"notes": "sigilli integri"})
    assert noted.status_code == 200, noted.text
    after = noted.json()
    assert after["occurred_at"] == imported["occurred_at"]
    assert after["metadata"]["technician"] == "Mauro Pellegrini"
    assert after["metadata"]["visit_status"] == "done"
    assert after["metadata"]["notes"] == "sigilli integri"


def test_only_visits_can_be_updated_as_visits(api: TestClient, ingest: Ingest) -> None:
    message = ingest()
    assert api.patch(f"/api/v1/visits/{message['id']}", json={"notes": "x"}).status_code == 404
    unknown = "0190a4b2-0000-7000-8000-000000000000"
    assert api.patch(f"/api/v1/visits/{unknown}", json={"notes": "x"}).status_code == 404
    assert visit(api, unknown, expect=404)["code"] == "not_found"


def test_visit_summaries_read_well_in_italian() -> None:
    at = datetime(2026, 3, 5, 8, 0, tzinfo=UTC)
    home = offline.Visit(
        kind=offline.VisitKind.HOME,
        status=offline.VisitStatus.SCHEDULED,
        reason="lettura del contatore.",
        scheduled_for=at,
        address=ADDRESS,
    )
    assert offline.visit_summary(home) == (
        f"Visita a domicilio programmata: 05/03/2026 09:00, {ADDRESS}. "
        "Motivo: lettura del contatore."
    )
    branch = offline.Visit(
        kind=offline.VisitKind.BRANCH,
        status=offline.VisitStatus.NO_SHOW,
        reason="delega",
        occurred_at=at,
        branch="Napoli",
    )
    assert offline.visit_summary(branch) == (
        "Appuntamento allo sportello: cliente non presentato (05/03/2026 09:00, Napoli). "
        "Motivo: delega."
    )


def test_letters_and_visits_are_published_to_integrators_like_other_messages(
    api: TestClient, ingest: Ingest, session: Session
) -> None:
    subscribed = api.post(
        "/api/v1/webhook-subscriptions",
        json={"url": "http://127.0.0.1:9/hook", "events": ["message.created"]},
    )
    assert subscribed.status_code == 201, subscribed.text
    customer = ingest(at=ago(days=30))["customer_id"]
    upload(api, customer)
    visit(api, customer, scheduled_for=in_days(1), address=ADDRESS)
    session.rollback()
    published = [
        e.payload["data"]["channel"]
        for e in session.scalars(select(EventDelivery).order_by(EventDelivery.created_at))
    ]
    session.expunge_all()
    session.rollback()
    assert published == ["whatsapp", "letter", "home_visit"]


# -- fuzzing ---------------------------------------------------------------------------------


def test_no_generated_request_makes_the_offline_routes_fail(app: Any, api: TestClient) -> None:
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    headers = {"Authorization": api.headers["Authorization"]}
    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if result.ok().path.endswith(("/letters", "/visits", "/visits/{interaction_id}"))
    ]
    assert len(operations) == 4
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: Any) -> None:
            case.call_and_validate(
                headers=headers, checks=[checks.not_a_server_error, response_schema_conformance]
            )

        call()
