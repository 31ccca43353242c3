"""Generic ingestion: resolution to one customer, threading across channels, idempotency."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.api.conftest import BASE_TIME, Ingest, later
from unisono.models import Conversation, Customer, Identity, Interaction


def count(session: Session, model: type) -> int:
    session.rollback()
    result = int(session.scalar(select(func.count()).select_from(model)) or 0)
    # End the read: on SQLite an open transaction holds the write lock the API needs.
    session.rollback()
    return result


def test_sms_whatsapp_and_call_from_one_number_are_one_customer_one_conversation(
    ingest: Ingest, session: Session
) -> None:
    sms = ingest("Buongiorno, la bolletta è sbagliata", channel="sms", value="333 123 4567")
    wa = ingest(
        "Vi scrivo anche qui", channel="whatsapp", value="+39 333 1234567", at=later(hours=2)
    )
    call = ingest(
        "Chiamata al numero verde",
        channel="voice",
        value="0039 3331234567",
        at=later(days=1),
        metadata={"duration_seconds": 312},
    )
    assert sms["customer_id"] == wa["customer_id"] == call["customer_id"]
    assert sms["conversation_id"] == wa["conversation_id"] == call["conversation_id"]
    assert call["metadata"] == {"duration_seconds": 312}
    assert count(session, Customer) == 1
    assert count(session, Identity) == 1
    identity = session.scalar(select(Identity))
    assert identity is not None
    assert identity.value == "+393331234567"


def test_same_external_id_twice_returns_200_and_creates_nothing(
    ingest: Ingest, session: Session
) -> None:
    first = ingest(external_id="wamid.HBgM1")
    again = ingest("a different retry body", external_id="wamid.HBgM1", expect=200)
    assert again["id"] == first["id"]
    assert again["text"] == first["text"]
    assert count(session, Interaction) == 1


def test_external_ids_are_unique_per_channel_not_globally(ingest: Ingest) -> None:
    a = ingest(channel="sms", external_id="42")
    b = ingest(channel="email", kind="email", value="mario@example.it", external_id="42")
    assert a["id"] != b["id"]


def test_threading_window_joins_within_and_opens_a_new_conversation_after(
    ingest: Ingest, settings_override: object
) -> None:
    first = ingest(at=BASE_TIME)
    within = ingest(at=later(days=6, hours=23))
    # Seven days and a minute after the last activity, not after the first message.
    after = ingest(at=later(days=13, hours=23, minutes=1))
    assert within["conversation_id"] == first["conversation_id"]
    assert after["conversation_id"] != first["conversation_id"]


def test_threading_window_is_configurable(ingest: Ingest, settings_override: object) -> None:
    settings_override(thread_window_days=1)  # type: ignore[operator]
    first = ingest(at=BASE_TIME)
    assert ingest(at=later(hours=23))["conversation_id"] == first["conversation_id"]
    assert ingest(at=later(days=2, hours=1))["conversation_id"] != first["conversation_id"]


def test_resolved_conversation_is_not_reopened_by_a_new_message(
    ingest: Ingest, api: TestClient
) -> None:
    first = ingest(at=BASE_TIME)
    r = api.patch(f"/api/v1/conversations/{first['conversation_id']}", json={"status": "resolved"})
    assert r.status_code == 200, r.text
    second = ingest(at=later(hours=1))
    assert second["conversation_id"] != first["conversation_id"]


def test_outbound_ingestion_joins_open_conversation_but_never_opens_one(
    ingest: Ingest, session: Session
) -> None:
    bill = ingest(
        "La sua bolletta di marzo è disponibile",
        direction="outbound",
        channel="email",
        kind="email",
        value="maria.rossi@example.it",
    )
    assert bill["conversation_id"] is None
    assert bill["delivery_status"] == "sent"
    question = ingest(
        "Non capisco la bolletta",
        channel="email",
        kind="email",
        value="maria.rossi@example.it",
        at=later(hours=1),
    )
    reminder = ingest(
        "Promemoria",
        direction="outbound",
        channel="sms",
        kind="phone",
        value="3331234567",
        at=later(hours=2),
    )
    assert question["conversation_id"] is not None
    assert reminder["customer_id"] != question["customer_id"]  # a phone we did not know yet
    assert count(session, Conversation) == 1


def test_customer_name_fills_an_unnamed_profile(ingest: Ingest, api: TestClient) -> None:
    first = ingest(customer_name=None)
    ingest(at=later(minutes=5), customer_name="Maria Rossi")
    r = api.get(f"/api/v1/customers/{first['customer_id']}")
    assert r.json()["display_name"] == "Maria Rossi"


def test_waiting_since_is_set_by_customer_and_cleared_by_operator_reply(
    ingest: Ingest, api: TestClient
) -> None:
    msg = ingest(channel="sms")
    conv = api.get(f"/api/v1/conversations/{msg['conversation_id']}").json()
    assert conv["waiting_since"] is not None
    assert conv["first_response_at"] is None
    r = api.post(
        f"/api/v1/conversations/{msg['conversation_id']}/messages",
        json={"text": "Verifichiamo subito"},
    )
    assert r.status_code == 201, r.text
    conv = api.get(f"/api/v1/conversations/{msg['conversation_id']}").json()
    assert conv["waiting_since"] is None
    assert conv["first_response_at"] is not None
