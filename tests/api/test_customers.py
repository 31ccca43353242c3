"""Customers: search in any format, profile history, identities, timeline pages, merge and undo."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.api.conftest import Ingest, later
from unisono.models import ProfileChange


@pytest.fixture
def maria(ingest: Ingest) -> str:
    return ingest(customer_name="Maria Rossi", value="333 123 4567")["customer_id"]


@pytest.mark.parametrize(
    "q", ["rossi", "ROSSI", "Maria Ross", "333 123 4567", "+39 333 1234567", "0039 3331234567"]
)
def test_search_finds_by_name_or_phone_in_any_format(api: TestClient, maria: str, q: str) -> None:
    items = api.get("/api/v1/customers", params={"q": q}).json()["items"]
    assert [c["id"] for c in items] == [maria]


def test_search_by_email_and_social_handle(api: TestClient, ingest: Ingest) -> None:
    by_mail = ingest(channel="email", kind="email", value="Luca.Rossi@Example.it")["customer_id"]
    by_x = ingest(channel="x", kind="x", value="1590001234", at=later(minutes=1))["customer_id"]
    found = api.get("/api/v1/customers", params={"q": " luca.rossi@EXAMPLE.it"}).json()["items"]
    assert [c["id"] for c in found] == [by_mail]
    assert [
        c["id"] for c in api.get("/api/v1/customers", params={"q": "1590001234"}).json()["items"]
    ] == [by_x]


def test_search_by_accent_insensitive_name(api: TestClient, ingest: Ingest) -> None:
    cid = ingest(customer_name="Niccolò Esposito")["customer_id"]
    assert [
        c["id"] for c in api.get("/api/v1/customers", params={"q": "niccolo"}).json()["items"]
    ] == [cid]


def test_customer_list_is_cursor_paginated_without_gaps(api: TestClient, ingest: Ingest) -> None:
    ids = {
        ingest(customer_name=f"Cliente {i:02d}", value=f"33312300{i:02d}", at=later(minutes=i))[
            "customer_id"
        ]
        for i in range(7)
    }
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = api.get("/api/v1/customers", params=params).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 7
    assert set(seen) == ids


def test_profile_edit_keeps_field_history(api: TestClient, maria: str, session: Session) -> None:
    r = api.patch(
        f"/api/v1/customers/{maria}",
        json={
            "preferred_channel": "letter",
            "vulnerable": True,
            "language": "it",
            "attributes": {"codice_cliente": "EC-0001", "citta": "Bologna"},
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["preferred_channel"] == "letter"
    assert body["vulnerable"] is True
    assert body["attributes"] == {"codice_cliente": "EC-0001", "citta": "Bologna"}
    r = api.patch(f"/api/v1/customers/{maria}", json={"attributes": {"citta": None}})
    assert r.json()["attributes"] == {"codice_cliente": "EC-0001"}
    session.rollback()
    changes = {
        (c.field, str(c.old_value), str(c.new_value), c.source)
        for c in session.scalars(
            select(ProfileChange).where(ProfileChange.customer_id == uuid.UUID(maria))
        )
    }
    session.rollback()
    assert ("preferred_channel", "None", "letter", "api") in changes
    assert ("vulnerable", "False", "True", "api") in changes
    assert ("attributes.citta", "None", "Bologna", "api") in changes
    assert ("attributes.citta", "Bologna", "None", "api") in changes


def test_identities_add_conflict_and_remove(api: TestClient, maria: str, ingest: Ingest) -> None:
    r = api.post(
        f"/api/v1/customers/{maria}/identities",
        json={"kind": "email", "value": "Luca.Rossi@example.it", "label": "figlio"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["value"] == "luca.rossi@example.it"
    assert r.json()["label"] == "figlio"
    # The son's email now reaches the mother's timeline.
    mail = ingest(channel="email", kind="email", value="luca.rossi@EXAMPLE.it", at=later(hours=2))
    assert mail["customer_id"] == maria
    other = ingest(value="+39 347 000 1111", at=later(hours=3))["customer_id"]
    r = api.post(
        f"/api/v1/customers/{other}/identities",
        json={"kind": "email", "value": "luca.rossi@example.it"},
    )
    assert r.status_code == 409
    assert r.json()["other_customer_id"] == maria
    identity_id = next(
        i["id"]
        for i in api.get(f"/api/v1/customers/{maria}").json()["identities"]
        if i["kind"] == "email"
    )
    assert api.delete(f"/api/v1/customers/{maria}/identities/{identity_id}").status_code == 204
    kinds = [i["kind"] for i in api.get(f"/api/v1/customers/{maria}").json()["identities"]]
    assert kinds == ["phone"]
    # The email stays on the timeline even though the handle is gone.
    texts = [i["channel"] for i in api.get(f"/api/v1/customers/{maria}/timeline").json()["items"]]
    assert "email" in texts


def test_timeline_is_newest_first_across_channels_and_paginates(
    api: TestClient, ingest: Ingest, maria: str
) -> None:
    api.post(
        f"/api/v1/customers/{maria}/identities", json={"kind": "email", "value": "maria@example.it"}
    )
    channels = ["whatsapp", "email", "voice", "sms", "whatsapp"]
    for n, channel in enumerate(channels, start=1):
        kind, value = (
            ("email", "maria@example.it") if channel == "email" else ("phone", "3331234567")
        )
        ingest(f"messaggio {n}", channel=channel, kind=kind, value=value, at=later(hours=n))
    # Two interactions at the very same instant must still page without loss.
    ingest("stesso istante A", at=later(hours=9))
    ingest("stesso istante B", at=later(hours=9))
    seen: list[dict[str, str]] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get(f"/api/v1/customers/{maria}/timeline", params=params).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 8
    assert len({i["id"] for i in seen}) == 8
    times = [i["occurred_at"] for i in seen]
    assert times == sorted(times, reverse=True)
    assert {i["channel"] for i in seen} == {"whatsapp", "email", "voice", "sms"}


def test_merge_moves_everything_and_undo_restores_it_exactly(
    api: TestClient, ingest: Ingest
) -> None:
    wa = ingest("la bolletta è sbagliata", customer_name="Maria Rossi", value="3331234567")
    mail = ingest(
        "Scrivo per mia madre",
        channel="email",
        kind="email",
        value="m.rossi@example.it",
        at=later(hours=2),
    )
    survivor, other = wa["customer_id"], mail["customer_id"]
    api.patch(
        f"/api/v1/customers/{other}",
        json={"preferred_channel": "email", "attributes": {"citta": "Bologna"}},
    )
    before_survivor = api.get(f"/api/v1/customers/{survivor}").json()
    before_other = api.get(f"/api/v1/customers/{other}").json()

    r = api.post(f"/api/v1/customers/{survivor}/merge", json={"other_id": other})
    assert r.status_code == 201, r.text
    merge = r.json()
    merged = api.get(f"/api/v1/customers/{survivor}").json()
    assert {i["kind"] for i in merged["identities"]} == {"phone", "email"}
    assert merged["preferred_channel"] == "email"
    assert merged["attributes"]["citta"] == "Bologna"
    timeline = api.get(f"/api/v1/customers/{survivor}/timeline").json()["items"]
    assert {i["id"] for i in timeline} == {wa["id"], mail["id"]}
    assert api.get(f"/api/v1/customers/{other}").json()["merged_into_id"] == survivor
    assert [
        c["id"]
        for c in api.get("/api/v1/customers", params={"q": "m.rossi@example.it"}).json()["items"]
    ] == [survivor]
    # After the merge, the other's email resolves to the survivor.
    late = ingest(
        "grazie", channel="email", kind="email", value="m.rossi@example.it", at=later(hours=3)
    )
    assert late["customer_id"] == survivor
    assert (
        api.post(f"/api/v1/customers/{survivor}/merge", json={"other_id": other}).status_code == 409
    )

    r = api.post(f"/api/v1/merges/{merge['id']}/undo")
    assert r.status_code == 200
    assert r.json()["undone_at"]
    after_survivor = api.get(f"/api/v1/customers/{survivor}").json()
    after_other = api.get(f"/api/v1/customers/{other}").json()
    for key in ("display_name", "preferred_channel", "attributes", "identities", "vulnerable"):
        assert after_survivor[key] == before_survivor[key], key
        assert after_other[key] == before_other[key], key
    assert after_other["merged_into_id"] is None
    other_timeline = {
        i["id"] for i in api.get(f"/api/v1/customers/{other}/timeline").json()["items"]
    }
    # The reply that arrived in the moved-back conversation goes back with it.
    assert other_timeline == {mail["id"], late["id"]}
    assert api.post(f"/api/v1/merges/{merge['id']}/undo").status_code == 409


def test_merge_refuses_self_and_unknown(api: TestClient, maria: str) -> None:
    assert api.post(f"/api/v1/customers/{maria}/merge", json={"other_id": maria}).status_code == 422
    assert (
        api.post(
            f"/api/v1/customers/{maria}/merge", json={"other_id": str(uuid.uuid4())}
        ).status_code
        == 404
    )
    assert api.post(f"/api/v1/merges/{uuid.uuid4()}/undo").status_code == 404


def test_undo_of_an_earlier_merge_waits_for_the_later_one(api: TestClient, ingest: Ingest) -> None:
    a = ingest(value="3331110001")["customer_id"]
    b = ingest(value="3331110002", at=later(minutes=1))["customer_id"]
    c = ingest(value="3331110003", at=later(minutes=2))["customer_id"]
    first = api.post(f"/api/v1/customers/{b}/merge", json={"other_id": c}).json()
    second = api.post(f"/api/v1/customers/{a}/merge", json={"other_id": b}).json()
    r = api.post(f"/api/v1/merges/{first['id']}/undo")
    assert r.status_code == 409
    assert "undo that merge first" in r.json()["detail"]
    assert api.post(f"/api/v1/merges/{second['id']}/undo").status_code == 200
    assert api.post(f"/api/v1/merges/{first['id']}/undo").status_code == 200
    phones = {
        cid: [i["value"] for i in api.get(f"/api/v1/customers/{cid}").json()["identities"]]
        for cid in (a, b, c)
    }
    assert phones == {a: ["+393331110001"], b: ["+393331110002"], c: ["+393331110003"]}


def test_history_endpoint_tells_who_changed_what_through_which_source(
    api: TestClient, maria: str, operator: object
) -> None:
    api.patch(f"/api/v1/customers/{maria}", json={"preferred_channel": "letter"})
    api.patch(f"/api/v1/customers/{maria}", json={"preferred_channel": "email"})
    page = api.get(f"/api/v1/customers/{maria}/history", params={"limit": 1}).json()
    (newest,) = page["items"]
    assert (newest["field"], newest["old_value"], newest["new_value"]) == (
        "preferred_channel",
        "letter",
        "email",
    )
    assert newest["source"] == "api"
    assert newest["operator_id"] == str(operator.id)  # type: ignore[attr-defined]
    older = api.get(
        f"/api/v1/customers/{maria}/history", params={"cursor": page["next_cursor"]}
    ).json()["items"]
    assert [(c["old_value"], c["new_value"]) for c in older] == [(None, "letter")]
