"""Per-channel health: is a channel still bringing messages in, how late, and what fails.

A channel going silent is the failure nobody sees: these figures (ingestion lag from the
provider's timestamp to the timeline, last message, failed sends and webhook deliveries) are
read from the database, so every API process reports the same numbers.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from unisono.clock import utcnow
from unisono.models import (
    DeliveryStatus,
    Direction,
    Interaction,
    WebhookDelivery,
    WebhookStatus,
)

# Enough recent messages for stable percentiles, few enough to stay cheap at any volume.
LAG_SAMPLE = 500
WINDOW = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class ChannelHealth:
    channel: str
    inbound_24h: int
    last_inbound_at: datetime | None
    lag_p50_seconds: float | None
    lag_p95_seconds: float | None
    outbound_queued: int
    outbound_failed_24h: int
    webhooks_failed: int
    webhooks_invalid_24h: int


def _percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(fraction * 100) - 1]


def channel_health(session: Session) -> list[ChannelHealth]:
    """Health figures for every channel kind that has seen traffic."""
    since = utcnow() - WINDOW
    kinds = set(session.scalars(select(Interaction.channel).distinct()))
    kinds |= set(session.scalars(select(WebhookDelivery.kind).distinct()))
    kinds.discard("internal")
    counts = dict(
        session.execute(
            select(Interaction.channel, func.count())
            .where(Interaction.direction == Direction.INBOUND, Interaction.created_at >= since)
            .group_by(Interaction.channel)
        ).all()
    )
    last = dict(
        session.execute(
            select(Interaction.channel, func.max(Interaction.occurred_at))
            .where(Interaction.direction == Direction.INBOUND)
            .group_by(Interaction.channel)
        ).all()
    )
    queued = dict(
        session.execute(
            select(Interaction.channel, func.count())
            .where(
                Interaction.delivery_status == DeliveryStatus.QUEUED,
                Interaction.direction == Direction.OUTBOUND,
            )
            .group_by(Interaction.channel)
        ).all()
    )
    failed = dict(
        session.execute(
            select(Interaction.channel, func.count())
            .where(
                Interaction.delivery_status == DeliveryStatus.FAILED,
                Interaction.direction == Direction.OUTBOUND,
                Interaction.created_at >= since,
            )
            .group_by(Interaction.channel)
        ).all()
    )
    webhook_failed = dict(
        session.execute(
            select(WebhookDelivery.kind, func.count())
            .where(WebhookDelivery.status == WebhookStatus.FAILED)
            .group_by(WebhookDelivery.kind)
        ).all()
    )
    webhook_invalid = dict(
        session.execute(
            select(WebhookDelivery.kind, func.count())
            .where(
                WebhookDelivery.status == WebhookStatus.INVALID, WebhookDelivery.created_at >= since
            )
            .group_by(WebhookDelivery.kind)
        ).all()
    )
    health = []
    for kind in sorted(kinds):
        recent = session.execute(
            select(Interaction.created_at, Interaction.occurred_at)
            .where(
                Interaction.channel == kind,
                Interaction.direction == Direction.INBOUND,
                Interaction.created_at >= since,
            )
            .order_by(Interaction.created_at.desc())
            .limit(LAG_SAMPLE)
        ).all()
        lags = sorted(max(0.0, (stored - said).total_seconds()) for stored, said in recent)
        health.append(
            ChannelHealth(
                channel=kind,
                inbound_24h=int(counts.get(kind, 0)),
                last_inbound_at=last.get(kind),
                lag_p50_seconds=_percentile(lags, 0.50),
                lag_p95_seconds=_percentile(lags, 0.95),
                outbound_queued=int(queued.get(kind, 0)),
                outbound_failed_24h=int(failed.get(kind, 0)),
                webhooks_failed=int(webhook_failed.get(kind, 0)),
                webhooks_invalid_24h=int(webhook_invalid.get(kind, 0)),
            )
        )
    return health
