"""GET /metrics: Prometheus exposition of channel health, read from the database on scrape."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy.orm import Session, sessionmaker

from unisono.clock import utcnow
from unisono.insight.channel_health import channel_health

router = APIRouter(include_in_schema=False)


class ChannelHealthCollector(Collector):
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self.sessions() as session:
            health = channel_health(session)
            session.rollback()
        now = utcnow()
        gauges = {
            "inbound_24h": GaugeMetricFamily(
                "unisono_channel_inbound_messages_24h",
                "Inbound messages stored in 24 h",
                labels=["channel"],
            ),
            "lag_p50": GaugeMetricFamily(
                "unisono_channel_ingestion_lag_p50_seconds",
                "Median delay from the provider's timestamp to the timeline",
                labels=["channel"],
            ),
            "lag_p95": GaugeMetricFamily(
                "unisono_channel_ingestion_lag_p95_seconds",
                "95th percentile delay from the provider's timestamp to the timeline",
                labels=["channel"],
            ),
            "silence": GaugeMetricFamily(
                "unisono_channel_seconds_since_last_inbound",
                "Seconds since the channel's last inbound message",
                labels=["channel"],
            ),
            "queued": GaugeMetricFamily(
                "unisono_channel_outbound_queued",
                "Outbound messages waiting to be sent",
                labels=["channel"],
            ),
            "failed": GaugeMetricFamily(
                "unisono_channel_outbound_failed_24h",
                "Outbound messages that failed in 24 h",
                labels=["channel"],
            ),
            "webhooks_failed": GaugeMetricFamily(
                "unisono_channel_webhook_deliveries_failed",
                "Stored webhook deliveries whose processing failed (replayable)",
                labels=["channel"],
            ),
            "webhooks_invalid": GaugeMetricFamily(
                "unisono_channel_webhook_deliveries_invalid_24h",
                "Webhook deliveries refused as malformed in 24 h",
                labels=["channel"],
            ),
        }
        for h in health:
            label = [h.channel]
            gauges["inbound_24h"].add_metric(label, h.inbound_24h)
            if h.lag_p50_seconds is not None:
                gauges["lag_p50"].add_metric(label, h.lag_p50_seconds)
            if h.lag_p95_seconds is not None:
                gauges["lag_p95"].add_metric(label, h.lag_p95_seconds)
            if h.last_inbound_at is not None:
                gauges["silence"].add_metric(label, (now - h.last_inbound_at).total_seconds())
            gauges["queued"].add_metric(label, h.outbound_queued)
            gauges["failed"].add_metric(label, h.outbound_failed_24h)
            gauges["webhooks_failed"].add_metric(label, h.webhooks_failed)
            gauges["webhooks_invalid"].add_metric(label, h.webhooks_invalid_24h)
        yield from gauges.values()


@router.get("/metrics")
def metrics(request: Request) -> Response:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ChannelHealthCollector(request.app.state.sessions))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
