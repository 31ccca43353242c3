"""Consents through the API (current choices, the ledger, validation), the rule of ``allows()``
over a table of cases, and identity verification."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tests.api.conftest import BASE_TIME, Ingest
from unisono.customers.consents import allows, decide
from unisono.db import session_factory
from unisono.ids import uuid7
from unisono.models import AuditEvent, Consent

PROBLEM = "application/problem+json"


@pytest.fixture
def maria(ingest: Ingest) -> str:
    return str(ingest(customer_name="Maria Rossi", value="333 123 4567")["customer_id"])


@pytest.fixture
def rows(engine: Engine) -> Callable[[Any], list[Any]]:
    """Read rows in a short session of their own (never holding SQLite's lock)."""
    factory = session_factory(engine)

    def read(statement: Any) -> list[Any]:
        with factory() as short:
            return list(short.scalars(statement))

    return read


def record(api: TestClient, customer_id: str, expect: int = 201, **body: Any) -> dict[str, Any]:
    response = api.post(f"/api/v1/customers/{customer_id}/consents", json=body)
    assert response.status_code == expect, response.text
    result: dict[str, Any] = response.json()
    return result


# --- the API -------------------------------------------------------------------------------------


def test_grants_and_refusals_are_appended_and_the_newest_of_a_cell_is_current(
    api: TestClient, maria: str, rows: Any
) -> None:
    first = record(api, maria, purpose="advertise", channel="sms", granted=True, source="web_form")
    assert first["granted"] is True
    assert first["source"] == "web_form"
    assert first["operator_id"] is not None
    second = record(
        api, maria, purpose="ADVERTISE ", channel="sms", granted=False, note=" al telefono "
    )
    assert second["purpose"] == "advertise"  # normalised
    assert second["source"] == "api"  # the default source is the surface
    assert second["note"] == "al telefono"
    record(api, maria, purpose="*", channel="*", granted=True)

    current = api.get(f"/api/v1/customers/{maria}/consents").json()
    assert current["next_cursor"] is None
    cells = {(c["purpose"], c["channel"]): c["granted"] for c in current["items"]}
    assert cells == {("advertise", "sms"): False, ("*", "*"): True}

    ledger = api.get(f"/api/v1/customers/{maria}/consents", params={"view": "ledger"}).json()
    assert [c["id"] for c in ledger["items"]][1:] == [second["id"], first["id"]]  # newest first
    assert len(rows(select(Consent).where(Consent.customer_id == uuid.UUID(maria)))) == 3

    actions = rows(select(AuditEvent.action).where(AuditEvent.customer_id == uuid.UUID(maria)))
    assert {"consent.recorded", "consent.read", "consent.ledger"} <= set(actions)


def test_the_ledger_is_cursor_paginated_without_gaps(api: TestClient, maria: str) -> None:
    made = [
        record(api, maria, purpose="advertise", channel="email", granted=n % 2 == 0)["id"]
        for n in range(5)
    ]
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"view": "ledger", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = api.get(f"/api/v1/customers/{maria}/consents", params=params).json()
        assert len(page["items"]) <= 2
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(made))
    bad = api.get(
        f"/api/v1/customers/{maria}/consents", params={"view": "ledger", "cursor": "nonsense"}
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"] == PROBLEM


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"purpose": "spam", "channel": "sms", "granted": True}, "unknown_purpose"),
        ({"purpose": "advertise", "channel": "pigeon", "granted": True}, "unknown_channel"),
    ],
)
def test_an_unknown_purpose_or_channel_is_refused(
    api: TestClient, maria: str, rows: Any, body: dict[str, Any], reason: str
) -> None:
    response = api.post(f"/api/v1/customers/{maria}/consents", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["code"] == "invalid"
    assert problem["reason"] == reason
    assert "use * or one of" in problem["detail"]
    assert rows(select(Consent)) == []


@pytest.mark.parametrize(
    "body",
    [
        {"channel": "sms", "granted": True},
        {"purpose": "advertise", "granted": True},
        {"purpose": "advertise", "channel": "sms"},
        {"purpose": "advertise", "channel": "sms", "granted": "maybe"},
        {"purpose": "", "channel": "sms", "granted": True},
        {"purpose": "advertise", "channel": "sms", "granted": True, "note": "x" * 2_001},
        {"purpose": "advertise", "channel": "sms", "granted": True, "source": ""},
        {"purpose": "advertise", "channel": "sms", "granted": True, "extra": 1},
    ],
)
def test_missing_or_malformed_fields_are_a_422_problem(
    api: TestClient, maria: str, rows: Any, body: dict[str, Any]
) -> None:
    response = api.post(f"/api/v1/customers/{maria}/consents", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == "invalid_request"
    assert rows(select(Consent)) == []


def test_an_unknown_customer_is_a_404_problem(api: TestClient) -> None:
    nobody = uuid.uuid4()
    for response in (
        api.get(f"/api/v1/customers/{nobody}/consents"),
        api.get(f"/api/v1/customers/{nobody}/consents", params={"view": "ledger"}),
        api.post(
            f"/api/v1/customers/{nobody}/consents",
            json={"purpose": "advertise", "channel": "sms", "granted": True},
        ),
    ):
        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["code"] == "not_found"
    malformed = api.get("/api/v1/customers/not-a-uuid/consents")
    assert malformed.status_code == 422
    assert malformed.headers["content-type"] == PROBLEM
    assert api.get(f"/api/v1/customers/{nobody}/consents", params={"view": "x"}).status_code == 422


def test_a_merged_customer_records_nothing(api: TestClient, ingest: Ingest, maria: str) -> None:
    dup = ingest(customer_name="M. Rossi", value="351 999 8888")["customer_id"]
    assert api.post(f"/api/v1/customers/{maria}/merge", json={"other_id": dup}).status_code == 201
    refused = api.post(
        f"/api/v1/customers/{dup}/consents",
        json={"purpose": "advertise", "channel": "sms", "granted": True},
    )
    assert refused.status_code == 409
    assert refused.json()["merged_into_id"] == maria


def test_consents_need_a_token(client: TestClient, maria: str) -> None:
    del client.headers["Authorization"]
    assert client.get(f"/api/v1/customers/{maria}/consents").status_code == 401


# --- identity verification -----------------------------------------------------------------------


def test_identities_are_verified_and_unverified(
    api: TestClient, ingest: Ingest, maria: str, rows: Any
) -> None:
    (phone,) = api.get(f"/api/v1/customers/{maria}").json()["identities"]
    assert phone["verified"] is False
    url = f"/api/v1/customers/{maria}/identities/{phone['id']}/verify"

    verified = api.post(url)
    assert verified.status_code == 200
    assert verified.json()["verified"] is True
    assert api.post(url, json={"verified": True}).json()["verified"] is True  # no change
    unverified = api.post(url, json={"verified": False})
    assert unverified.json()["verified"] is False
    (identity,) = api.get(f"/api/v1/customers/{maria}").json()["identities"]
    assert identity["verified"] is False
    audited = rows(select(AuditEvent.action).where(AuditEvent.entity_id == phone["id"]))
    assert sorted(audited) == ["identity.unverified", "identity.verified"]

    other = ingest(customer_name="Luca Rossi", value="347 000 1111")["customer_id"]
    not_theirs = api.post(f"/api/v1/customers/{other}/identities/{phone['id']}/verify")
    assert not_theirs.status_code == 404
    assert not_theirs.headers["content-type"] == PROBLEM
    unknown = api.post(f"/api/v1/customers/{maria}/identities/{uuid.uuid4()}/verify")
    assert unknown.status_code == 404
    no_customer = api.post(f"/api/v1/customers/{uuid.uuid4()}/identities/{phone['id']}/verify")
    assert no_customer.status_code == 404
    bad = api.post(url, json={"verified": "perhaps"})
    assert bad.status_code == 422
    assert bad.headers["content-type"] == PROBLEM


# --- the rule of allows() ------------------------------------------------------------------------

# A choice of the table: (purpose, channel, granted, days ago).
Row = tuple[str, str, bool, int]

ALLOWS_CASES: list[tuple[str, list[Row], str, str, bool]] = [
    # No recorded choice: the purpose's default.
    ("no choice, marketing needs an opt-in", [], "advertise", "sms", False),
    ("no choice, a bill may go", [], "payment_reminder", "sms", True),
    ("no choice, service may go", [], "service", "email", True),
    ("no choice, information may go", [], "inform", "letter", True),
    ("written differently, still marketing", [], " Advertise", "SMS", False),
    ("written differently, still the cell", [("advertise", "sms", True, 1)], "ADVERTISE", "Sms",
     True),
    ("another channel's choice does not cover", [("advertise", "email", True, 1)], "advertise",
     "sms", False),
    ("another purpose's choice does not cover", [("service", "sms", False, 1)], "service",
     "email", True),
    # One covering row decides, whatever its specificity.
    ("exact grant", [("advertise", "sms", True, 1)], "advertise", "sms", True),
    ("purpose-wide grant", [("advertise", "*", True, 1)], "advertise", "sms", True),
    ("channel-wide grant", [("*", "sms", True, 1)], "advertise", "sms", True),
    ("blanket grant", [("*", "*", True, 1)], "advertise", "sms", True),
    ("exact refusal of a bill", [("payment_reminder", "sms", False, 1)], "payment_reminder",
     "sms", False),
    ("blanket refusal", [("*", "*", False, 1)], "service", "sms", False),
    ("channel-wide refusal", [("*", "sms", False, 1)], "inform", "sms", False),
    # A refusal wins over an older grant, whatever their specificity.
    ("no offers today beats offers by SMS last year",
     [("advertise", "sms", True, 365), ("advertise", "*", False, 0)], "advertise", "sms", False),
    ("stop everything beats an older exact grant",
     [("advertise", "sms", True, 10), ("*", "*", False, 1)], "advertise", "sms", False),
    ("a refusal of the same specificity is not overruled by an older grant",
     [("advertise", "sms", True, 10), ("*", "sms", False, 1)], "advertise", "sms", False),
    # A newer, more specific grant holds against a refusal...
    ("offers by email after no offers holds for email",
     [("advertise", "*", False, 10), ("advertise", "email", True, 1)], "advertise", "email", True),
    ("...and for email only",
     [("advertise", "*", False, 10), ("advertise", "email", True, 1)], "advertise", "sms", False),
    ("a purpose is more specific than a channel",
     [("*", "email", False, 10), ("advertise", "*", True, 1)], "advertise", "email", True),
    ("an exact grant after stop everything",
     [("*", "*", False, 10), ("advertise", "sms", True, 1)], "advertise", "sms", True),
    ("a channel grant after stop everything",
     [("*", "*", False, 10), ("*", "sms", True, 1)], "service", "sms", True),
    # ...but never a broader one: an explicit refusal is not widened away.
    ("offers yes after no offers by email leaves email refused",
     [("advertise", "email", False, 10), ("advertise", "*", True, 1)], "advertise", "email",
     False),
    ("...while other channels are allowed",
     [("advertise", "email", False, 10), ("advertise", "*", True, 1)], "advertise", "sms", True),
    ("a channel is less specific than a purpose",
     [("advertise", "*", False, 10), ("*", "email", True, 1)], "advertise", "email", False),
    ("a blanket grant does not lift an older channel refusal",
     [("*", "sms", False, 10), ("*", "*", True, 1)], "inform", "sms", False),
    # With several refusals a grant must be newer and more specific than each of them.
    ("a grant newer and more specific than every refusal",
     [("*", "*", False, 30), ("advertise", "*", False, 20), ("advertise", "sms", True, 1)],
     "advertise", "sms", True),
    ("a grant older than one of the refusals",
     [("*", "*", False, 1), ("advertise", "*", False, 20), ("advertise", "sms", True, 10)],
     "advertise", "sms", False),
    ("one good grant is enough",
     [("*", "*", False, 30), ("*", "sms", True, 20), ("advertise", "sms", True, 1)],
     "advertise", "sms", True),
    # Only the newest choice of a cell counts.
    ("a refusal withdrawn by a newer grant of the same cell",
     [("advertise", "sms", False, 10), ("advertise", "sms", True, 1)], "advertise", "sms", True),
    ("a grant withdrawn by a newer refusal of the same cell",
     [("advertise", "sms", True, 10), ("advertise", "sms", False, 1)], "advertise", "sms", False),
]  # fmt: skip


def _consent(customer_id: uuid.UUID, row: Row, now: datetime) -> Consent:
    purpose, channel, granted, days = row
    return Consent(
        id=uuid7(),
        customer_id=customer_id,
        purpose=purpose,
        channel=channel,
        granted=granted,
        source="test",
        note="",
        recorded_at=now - timedelta(days=days),
    )


@pytest.mark.parametrize(
    ("rows_", "purpose", "channel", "expected"),
    [case[1:] for case in ALLOWS_CASES],
    ids=[case[0] for case in ALLOWS_CASES],
)
def test_allows_follows_the_documented_rule(
    session: Session,
    engine: Engine,
    ingest: Ingest,
    rows_: list[Row],
    purpose: str,
    channel: str,
    expected: bool,
) -> None:
    customer_id = uuid.UUID(ingest(value="333 123 4567")["customer_id"])
    for row in rows_:
        session.add(_consent(customer_id, row, BASE_TIME))
    session.commit()
    with session_factory(engine)() as fresh:
        assert allows(fresh, customer_id, purpose, channel) is expected


def test_a_tie_in_time_goes_to_the_later_row() -> None:
    """Two choices in the same instant: the later id (UUIDv7) is the newer one."""
    cid = uuid.uuid4()
    refusal = _consent(cid, ("advertise", "*", False, 0), BASE_TIME)
    grant = _consent(cid, ("advertise", "sms", True, 0), BASE_TIME)
    assert decide([refusal, grant], "advertise") is True
    assert decide([grant, refusal], "advertise") is True  # order of the rows does not matter
    earlier_grant = _consent(cid, ("advertise", "sms", True, 0), BASE_TIME)
    later_refusal = _consent(cid, ("advertise", "*", False, 0), BASE_TIME)
    assert decide([earlier_grant, later_refusal], "advertise") is False


def test_the_same_instant_in_one_cell_keeps_the_later_row(
    session: Session, engine: Engine, ingest: Ingest
) -> None:
    customer_id = uuid.UUID(ingest(value="333 123 4567")["customer_id"])
    session.add(_consent(customer_id, ("advertise", "sms", True, 0), BASE_TIME))
    session.add(_consent(customer_id, ("advertise", "sms", False, 0), BASE_TIME))
    session.commit()
    with session_factory(engine)() as fresh:
        assert allows(fresh, customer_id, "advertise", "sms") is False
