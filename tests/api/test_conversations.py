"""Conversations: inbox filters, updates, operator replies on a chosen channel, notes."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.api.conftest import Ingest, ago, later
from unisono.models import Operator, Role, Team


def ids(response_json: dict[str, list[dict[str, str]]]) -> list[str]:
    return [item["id"] for item in response_json["items"]]


def test_list_shows_customer_channels_and_last_message(api: TestClient, ingest: Ingest) -> None:
    first = ingest("la bolletta è sbagliata", customer_name="Maria Rossi")
    ingest("ho chiamato ieri", channel="voice", at=later(days=1))
    items = api.get("/api/v1/conversations").json()["items"]
    assert len(items) == 1
    conv = items[0]
    assert conv["id"] == first["conversation_id"]
    assert conv["customer"]["display_name"] == "Maria Rossi"
    assert conv["channels"] == ["whatsapp", "voice"]
    assert conv["last_message"]["text"] == "ho chiamato ieri"
    assert conv["status"] == "open"


def test_filters_by_status_channel_assignee_team_label_priority(
    api: TestClient,
    ingest: Ingest,
    session: Session,
    operator: Operator,
    make_operator: Callable[..., Operator],
) -> None:
    session.add(Team(slug="fatturazione", name="Fatturazione"))
    session.commit()
    a = ingest(value="3330000001")["conversation_id"]
    b = ingest(channel="email", kind="email", value="b@example.it", at=later(minutes=1))[
        "conversation_id"
    ]
    c = ingest(channel="sms", value="3330000003", at=later(minutes=2))["conversation_id"]
    colleague = make_operator(Role.AGENT)
    assert (
        api.patch(
            f"/api/v1/conversations/{a}",
            json={
                "assignee_id": str(operator.id),
                "team": "fatturazione",
                "labels": ["bolletta", " "],
                "priority": "high",
            },
        ).status_code
        == 200
    )
    api.patch(f"/api/v1/conversations/{b}", json={"assignee_id": str(colleague.id)})
    api.patch(f"/api/v1/conversations/{c}", json={"status": "resolved"})

    def q(**params: str) -> list[str]:
        r = api.get("/api/v1/conversations", params=params)
        assert r.status_code == 200, r.text
        return ids(r.json())

    assert set(q()) == {a, b, c}
    assert set(q(status="open")) == {a, b}
    assert q(status="resolved") == [c]
    assert q(channel="email") == [b]
    assert q(assignee="me") == [a]
    assert q(assignee=str(colleague.id)) == [b]
    assert q(assignee="none") == [c]
    assert q(team="fatturazione") == [a]
    assert q(label="bolletta") == [a]
    assert q(label="BOLLETTA") == [a]
    assert q(label="bollett") == []
    assert q(priority="high") == [a]
    detail = api.get(f"/api/v1/conversations/{a}").json()
    assert detail["labels"] == ["bolletta"]
    assert detail["team_id"] is not None
    # null unassigns and removes the team; omitted fields stay as they are.
    api.patch(f"/api/v1/conversations/{a}", json={"assignee_id": None, "team": None})
    detail = api.get(f"/api/v1/conversations/{a}").json()
    assert detail["assignee_id"] is None
    assert detail["team_id"] is None
    assert detail["priority"] == "high"


def test_conversation_list_paginates(api: TestClient, ingest: Ingest) -> None:
    made = {
        ingest(value=f"33300000{i:02d}", at=later(minutes=i))["conversation_id"] for i in range(5)
    }
    page1 = api.get("/api/v1/conversations", params={"limit": 2}).json()
    page2 = api.get(
        "/api/v1/conversations", params={"limit": 2, "cursor": page1["next_cursor"]}
    ).json()
    page3 = api.get(
        "/api/v1/conversations", params={"limit": 2, "cursor": page2["next_cursor"]}
    ).json()
    assert page3["next_cursor"] is None
    assert set(ids(page1) + ids(page2) + ids(page3)) == made


def test_patch_with_unknown_operator_or_status_is_refused(api: TestClient, ingest: Ingest) -> None:
    conv = ingest()["conversation_id"]
    r = api.patch(
        f"/api/v1/conversations/{conv}",
        json={"assignee_id": "0190a4b2-0000-7000-8000-000000000000"},
    )
    assert r.status_code == 422
    assert "operator" in r.json()["detail"]
    assert api.patch(f"/api/v1/conversations/{conv}", json={"status": "lost"}).status_code == 422


def test_reply_defaults_to_the_customers_last_inbound_channel(
    api: TestClient, ingest: Ingest
) -> None:
    conv = ingest(channel="sms", at=ago(hours=3))["conversation_id"]
    ingest(channel="whatsapp", at=ago(hours=2))
    r = api.post(f"/api/v1/conversations/{conv}/messages", json={"text": "Verifichiamo subito"})
    assert r.status_code == 201, r.text
    reply = r.json()
    assert reply["channel"] == "whatsapp"
    assert reply["direction"] == "outbound"
    assert reply["author"] == "operator"
    assert reply["delivery_status"] == "queued"
    assert reply["operator_id"] is not None


def test_reply_on_a_chosen_channel_needs_a_handle_for_it(api: TestClient, ingest: Ingest) -> None:
    conv = ingest(channel="whatsapp", at=ago(hours=1))["conversation_id"]
    assert (
        api.post(
            f"/api/v1/conversations/{conv}/messages", json={"text": "SMS", "channel": "sms"}
        ).json()["channel"]
        == "sms"
    )
    r = api.post(
        f"/api/v1/conversations/{conv}/messages", json={"text": "mail", "channel": "email"}
    )
    assert r.status_code == 422
    assert "no email" in r.json()["detail"]
    r = api.post(
        f"/api/v1/conversations/{conv}/messages", json={"text": "visita", "channel": "branch_visit"}
    )
    assert r.status_code == 422
    assert "cannot reply" in r.json()["detail"]
    r = api.post(f"/api/v1/conversations/{conv}/messages", json={"text": "   "})
    assert r.status_code == 422


def test_notes_are_on_the_timeline_but_not_sent(api: TestClient, ingest: Ingest) -> None:
    msg = ingest()
    r = api.post(
        f"/api/v1/conversations/{msg['conversation_id']}/notes",
        json={"text": "Cliente fragile: richiamare entro oggi"},
    )
    assert r.status_code == 201, r.text
    note = r.json()
    assert note["direction"] == "note"
    assert note["delivery_status"] is None
    detail = api.get(f"/api/v1/conversations/{msg['conversation_id']}").json()
    assert [i["direction"] for i in detail["interactions"]] == ["inbound", "note"]
    timeline = api.get(f"/api/v1/customers/{msg['customer_id']}/timeline").json()["items"]
    assert timeline[0]["id"] == note["id"]


def test_status_changes_stamp_resolution(api: TestClient, ingest: Ingest) -> None:
    conv = ingest()["conversation_id"]
    resolved = api.patch(f"/api/v1/conversations/{conv}", json={"status": "resolved"}).json()
    assert resolved["resolved_at"] is not None
    assert resolved["waiting_since"] is None
    reopened = api.patch(f"/api/v1/conversations/{conv}", json={"status": "open"}).json()
    assert reopened["resolved_at"] is None


def test_whatsapp_free_text_only_within_24_hours_of_the_customers_last_message(
    api: TestClient, ingest: Ingest
) -> None:
    conv = ingest(channel="whatsapp", at=ago(hours=25))["conversation_id"]
    r = api.post(f"/api/v1/conversations/{conv}/messages", json={"text": "Buongiorno"})
    assert r.status_code == 422
    assert r.json()["reason"] == "service_window_closed"
    assert "24 hours" in r.json()["detail"]
    assert "template" in r.json()["detail"]
    # SMS has no such window: the same conversation can still be answered there.
    r = api.post(
        f"/api/v1/conversations/{conv}/messages", json={"text": "Buongiorno", "channel": "sms"}
    )
    assert r.status_code == 201
    ingest("ci sono?", channel="whatsapp", at=ago(hours=23))
    r = api.post(f"/api/v1/conversations/{conv}/messages", json={"text": "Sì, eccoci"})
    assert r.status_code == 201
    assert r.json()["channel"] == "whatsapp"
