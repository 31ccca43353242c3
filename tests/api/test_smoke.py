from fastapi.testclient import TestClient


def test_ingest_and_timeline(api: TestClient) -> None:
    body = {
        "channel": "sms",
        "identity": {"kind": "phone", "value": "333 123 4567"},
        "direction": "inbound",
        "text": "la bolletta è sbagliata",
        "occurred_at": "2026-03-02T09:10:00+01:00",
        "external_id": "SM1",
    }
    r = api.post("/api/v1/interactions", json=body)
    assert r.status_code == 201, r.text
    cid = r.json()["customer_id"]
    r = api.get(f"/api/v1/customers/{cid}/timeline")
    assert r.status_code == 200, r.text
    assert r.json()["items"][0]["text"] == "la bolletta è sbagliata"
    r = api.get("/api/v1/search", params={"q": "bolletta"})
    assert r.status_code == 200, r.text
    assert len(r.json()["items"]) == 1
