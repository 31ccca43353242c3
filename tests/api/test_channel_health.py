"""Channel health: ingestion lag and failures per channel, in the API and in Prometheus format."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import Ingest, ago


def test_health_reports_lag_traffic_and_failures_per_channel(
    api: TestClient, ingest: Ingest
) -> None:
    ingest("ciao", channel="whatsapp", at=ago(seconds=30))
    ingest("buongiorno", channel="sms", at=ago(seconds=5), value="+39 347 000 1111")
    health = {h["channel"]: h for h in api.get("/api/v1/channels/health").json()}
    assert set(health) == {"whatsapp", "sms"}
    assert health["whatsapp"]["inbound_24h"] == 1
    assert 25 <= health["whatsapp"]["lag_p50_seconds"] <= 120
    assert health["sms"]["lag_p50_seconds"] < health["whatsapp"]["lag_p50_seconds"]
    assert health["sms"]["outbound_failed_24h"] == 0


def test_metrics_are_exposed_for_prometheus(api: TestClient, ingest: Ingest) -> None:
    ingest("ciao", channel="whatsapp", at=ago(seconds=30))
    response = api.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'unisono_channel_inbound_messages_24h{channel="whatsapp"} 1.0' in text
    assert 'unisono_channel_ingestion_lag_p50_seconds{channel="whatsapp"}' in text
    assert "# TYPE unisono_channel_seconds_since_last_inbound gauge" in text
