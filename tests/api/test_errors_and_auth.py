"""Authentication, problem+json errors on bad input, and audit events on every read."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.api.conftest import Ingest
from unisono.models import AuditEvent, Customer, Interaction, Operator

PROBLEM = "application/problem+json"
# Fixed, so that parallel test workers collect the same test ids.
UNKNOWN = "0190a4b2-0000-7000-8000-00000000beef"


def test_no_token_is_401_problem(client: TestClient) -> None:
    r = client.get("/api/v1/customers")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.headers["www-authenticate"] == "Bearer"
    assert "Bearer" in r.json()["detail"]


@pytest.mark.parametrize(
    "header", ["Bearer", "Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer uns_" + "x" * 43]
)
def test_bad_tokens_are_401(client: TestClient, header: str) -> None:
    r = client.get("/api/v1/customers", headers={"Authorization": header})
    assert r.status_code == 401
    assert r.json()["status"] == 401


def test_a_deactivated_operator_token_stops_working(
    api: TestClient, session: Session, operator: Operator
) -> None:
    assert api.get("/api/v1/customers").status_code == 200
    operator.active = False
    session.commit()
    assert api.get("/api/v1/customers").status_code == 401


def test_docs_and_openapi_are_served(client: TestClient) -> None:
    assert client.get("/api/openapi.json").json()["info"]["title"] == "Unisono"
    assert client.get("/api/docs").status_code == 200


VALID: dict[str, Any] = {
    "channel": "sms",
    "identity": {"kind": "phone", "value": "3331234567"},
    "direction": "inbound",
    "text": "ciao",
    "occurred_at": "2026-03-02T09:10:00+01:00",
}


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"channel": "pigeon"}, "channel kind"),
        ({"identity": {"kind": "phone", "value": "not a phone"}}, "phone number"),
        ({"identity": {"kind": "email", "value": "mario@"}}, "email"),
        ({"identity": {"kind": "Bad Kind", "value": "x"}}, "identity kind"),
        ({"direction": "sideways"}, "direction"),
        ({"direction": "note"}, "direction"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": "2026-03-02T09:10:00"}, "occurred_at"),
        ({"occurred_at": "2999-01-01T00:00:00Z"}, "future"),
        ({"external_id": ""}, "external_id"),
        ({"surprise": 1}, "surprise"),
        ({"identity": "3331234567"}, "identity"),
        ({"metadata": []}, "metadata"),
    ],
)
def test_malformed_ingestion_is_4xx_problem_and_stores_nothing(
    api: TestClient, session: Session, change: dict[str, Any], where: str
) -> None:
    r = api.post("/api/v1/interactions", json={**VALID, **change})
    assert 400 <= r.status_code < 500, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    assert where in r.json()["detail"]
    assert session.scalar(select(func.count()).select_from(Interaction)) == 0
    assert session.scalar(select(func.count()).select_from(Customer)) == 0


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"[]",
        b"null",
        b'{"channel": 1}',
        '{"text": "\udc80"}'.encode("utf-8", "surrogatepass"),
        b"\xff\xfe",
    ],
)
def test_broken_json_is_4xx_problem(api: TestClient, body: bytes) -> None:
    r = api.post("/api/v1/interactions", content=body, headers={"Content-Type": "application/json"})
    assert 400 <= r.status_code < 500, r.text
    assert r.headers["content-type"].startswith(PROBLEM)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/customers/not-a-uuid",
        f"/api/v1/customers/{UNKNOWN}",
        f"/api/v1/customers/{UNKNOWN}/timeline",
        f"/api/v1/conversations/{UNKNOWN}",
        "/api/v1/customers?limit=0",
        "/api/v1/customers?limit=100000",
        "/api/v1/customers?cursor=%%%",
        "/api/v1/customers?cursor=WyJhIl0",
        "/api/v1/search",
        "/api/v1/search?q=%20%21%21",
        "/api/v1/conversations?status=lost",
        "/api/v1/conversations?assignee=someone",
        "/api/v1/conversations?team=nope",
    ],
)
def test_bad_reads_are_4xx_problem(api: TestClient, path: str) -> None:
    r = api.get(path)
    assert 400 <= r.status_code < 500, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["detail"]


def test_a_rejected_patch_changes_nothing(api: TestClient, ingest: Ingest) -> None:
    cid = ingest(customer_name="Maria Rossi")["customer_id"]
    r = api.patch(
        f"/api/v1/customers/{cid}", json={"display_name": "Maria R.", "preferred_channel": "pigeon"}
    )
    assert r.status_code == 422
    assert api.get(f"/api/v1/customers/{cid}").json()["display_name"] == "Maria Rossi"


def audit_actions(session: Session) -> list[str]:
    session.rollback()
    actions = [
        e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.created_at))
    ]
    # End the read: on SQLite an open transaction holds the write lock the API needs.
    session.rollback()
    return actions


def test_every_read_of_customer_data_is_audited_with_who(
    api: TestClient, ingest: Ingest, session: Session, operator: Operator
) -> None:
    msg = ingest(customer_name="Maria Rossi")
    cid, conv = msg["customer_id"], msg["conversation_id"]
    before = len(audit_actions(session))
    api.get(f"/api/v1/customers/{cid}")
    api.get(f"/api/v1/customers/{cid}/timeline")
    api.get("/api/v1/customers", params={"q": "rossi"})
    api.get(f"/api/v1/conversations/{conv}")
    api.get("/api/v1/conversations")
    api.get("/api/v1/search", params={"q": "bolletta"})
    actions = audit_actions(session)[before:]
    for expected in (
        "customer.read",
        "customer.timeline",
        "customer.search",
        "conversation.read",
        "conversation.list",
        "interaction.search",
    ):
        assert expected in actions
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "customer.timeline")
    ).first()
    assert event is not None
    assert event.operator_id == operator.id
    assert str(event.customer_id) == cid
    assert event.via == "api"
    assert event.created_at is not None


def test_a_failed_request_leaves_no_audit_event(api: TestClient, session: Session) -> None:
    before = len(audit_actions(session))
    assert api.get(f"/api/v1/customers/{uuid.uuid4()}").status_code == 404
    assert len(audit_actions(session)) == before
