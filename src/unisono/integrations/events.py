"""Publishing events to subscribers through an outbox, and delivering them signed.

``publish`` writes one delivery row per matching subscription in the caller's transaction, so a
rolled-back change notifies nobody and a committed one is never forgotten. The worker posts
each delivery with ``X-Unisono-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>``,
``X-Unisono-Event`` and ``X-Unisono-Delivery`` (the id, the same on every retry, for dedup),
retrying with exponential backoff; ``410 Gone`` switches the subscription off.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

import httpx
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from unisono.backoff import backoff
from unisono.clock import utcnow
from unisono.errors import Invalid, NotFound
from unisono.ids import uuid7
from unisono.models import EventDelivery, EventDeliveryStatus, WebhookSubscription
from unisono.security.actor import Actor
from unisono.security.audit import record_audit
from unisono.security.secrets import decrypt_credentials, encrypt_credentials

EVENT_TYPES = (
    "message.created",
    "message.status_changed",
    "conversation.created",
    "conversation.updated",
    "conversation.status_changed",
    "customer.updated",
    "customer.merged",
    "customer.unmerged",
)
MAX_ATTEMPTS = 10
LEASE = timedelta(minutes=2)
TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Unisono-Signature`` value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def check_subscription(url: str, events: list[str]) -> list[str]:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise Invalid("the subscription URL must be an absolute http(s) URL")
    unknown = sorted(set(events) - set(EVENT_TYPES) - {"*"})
    if unknown:
        raise Invalid(f"unknown event types: {', '.join(unknown)}; use {', '.join(EVENT_TYPES)}")
    if not events:
        raise Invalid("subscribe to at least one event type (or '*')")
    return sorted(set(events))


def do_create_subscription(
    session: Session,
    actor: Actor,
    *,
    url: str,
    events: list[str],
    description: str = "",
    secret: str | None = None,
) -> tuple[WebhookSubscription, str]:
    """A new subscription and its signing secret (shown once; stored encrypted)."""
    events = check_subscription(url, events)
    secret = secret or "whsec_" + uuid.uuid4().hex + uuid.uuid4().hex
    if len(secret) < 16:
        raise Invalid("the signing secret needs at least 16 characters")
    subscription = WebhookSubscription(
        url=url,
        events=events,
        description=description,
        secret_encrypted=encrypt_credentials({"secret": secret}),
    )
    session.add(subscription)
    session.flush()
    record_audit(session, actor, "subscription.created", "webhook_subscription", subscription.id)
    return subscription, secret


def do_delete_subscription(session: Session, actor: Actor, subscription_id: uuid.UUID) -> None:
    subscription = session.get(WebhookSubscription, subscription_id)
    if subscription is None:
        raise NotFound(f"no subscription {subscription_id}")
    subscription.active = False
    record_audit(session, actor, "subscription.disabled", "webhook_subscription", subscription.id)


def list_subscriptions(session: Session) -> list[WebhookSubscription]:
    return list(
        session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.created_at))
    )


def recent_deliveries(
    session: Session, subscription_id: uuid.UUID, limit: int = 50
) -> list[EventDelivery]:
    """The subscription's most recent deliveries, newest first."""
    if session.get(WebhookSubscription, subscription_id) is None:
        raise NotFound(f"no subscription {subscription_id}")
    return list(
        session.scalars(
            select(EventDelivery)
            .where(EventDelivery.subscription_id == subscription_id)
            .order_by(EventDelivery.created_at.desc())
            .limit(limit)
        )
    )


_CACHED_SUBSCRIBERS = "unisono.events.subscribers"


def cache_subscribers(session: Session) -> None:
    """Let ``publish`` read the active subscriptions once for the rest of ``session``'s life.

    For a session that publishes many events in one transaction and changes no subscription
    (a batch of the webhook worker): its events go to the subscriptions active when it first
    published, as if they were all published at that moment.
    """
    session.info[_CACHED_SUBSCRIBERS] = None


def _active_subscribers(session: Session) -> list[tuple[uuid.UUID, list[str]]]:
    if _CACHED_SUBSCRIBERS in session.info:
        cached: list[tuple[uuid.UUID, list[str]]] | None = session.info[_CACHED_SUBSCRIBERS]
        if cached is None:
            cached = session.info[_CACHED_SUBSCRIBERS] = _query_subscribers(session)
        return cached
    return _query_subscribers(session)


def _query_subscribers(session: Session) -> list[tuple[uuid.UUID, list[str]]]:
    rows = session.execute(
        select(WebhookSubscription.id, WebhookSubscription.events).where(
            WebhookSubscription.active.is_(True)
        )
    )
    return [(subscription_id, events) for subscription_id, events in rows]


def publish(session: Session, event_type: str, data: dict[str, Any]) -> int:
    """Queue ``event_type`` for every active subscriber of it; returns how many."""
    subscribers = [
        subscription_id
        for subscription_id, events in _active_subscribers(session)
        if "*" in events or event_type in events
    ]
    for subscription_id in subscribers:
        event_id = uuid7()
        session.add(
            EventDelivery(
                id=event_id,
                subscription_id=subscription_id,
                event_type=event_type,
                payload={
                    "id": str(event_id),
                    "type": event_type,
                    "created_at": utcnow().isoformat(),
                    "data": data,
                },
            )
        )
    return len(subscribers)


@dataclass(frozen=True, slots=True)
class EventClaim:
    delivery_id: uuid.UUID
    attempt: int
    url: str
    secret: str
    event_type: str
    body: bytes


def claim_due_events(session: Session, limit: int = 20) -> list[EventClaim]:
    now = utcnow()
    rows = session.scalars(
        select(EventDelivery)
        .where(
            EventDelivery.status == EventDeliveryStatus.PENDING,
            or_(EventDelivery.next_attempt_at.is_(None), EventDelivery.next_attempt_at <= now),
        )
        .order_by(EventDelivery.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claims = []
    for delivery in rows:
        subscription = session.get_one(WebhookSubscription, delivery.subscription_id)
        delivery.attempts += 1
        delivery.next_attempt_at = now + LEASE
        claims.append(
            EventClaim(
                delivery.id,
                delivery.attempts,
                subscription.url,
                decrypt_credentials(subscription.secret_encrypted)["secret"],
                delivery.event_type,
                json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode(),
            )
        )
    return claims


def _post(claim: EventClaim) -> tuple[int | None, str | None]:
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Unisono-Webhooks/1",
        "X-Unisono-Event": claim.event_type,
        "X-Unisono-Delivery": str(claim.delivery_id),
        "X-Unisono-Signature": sign(claim.secret, timestamp, claim.body),
    }
    try:
        response = httpx.post(claim.url, content=claim.body, headers=headers, timeout=TIMEOUT)
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"
    return response.status_code, None if response.is_success else response.text[:300]


def deliver_due_events(sessions: sessionmaker[Session], limit: int = 20) -> int:
    """Post one batch of due events; returns how many were tried."""
    with sessions() as session, session.begin():
        claims = claim_due_events(session, limit)
    for claim in claims:
        status, error = _post(claim)
        with sessions() as session, session.begin():
            delivery = session.get_one(EventDelivery, claim.delivery_id)
            delivery.last_status_code = status
            delivery.last_error = error
            if status is not None and 200 <= status < 300:
                delivery.status = EventDeliveryStatus.DELIVERED
                delivery.delivered_at = utcnow()
                delivery.next_attempt_at = None
            elif status == 410 or claim.attempt >= MAX_ATTEMPTS:
                delivery.status = EventDeliveryStatus.FAILED
                delivery.next_attempt_at = None
                if status == 410:
                    # The subscriber told us the endpoint is gone for good.
                    session.get_one(WebhookSubscription, delivery.subscription_id).active = False
            else:
                delivery.next_attempt_at = utcnow() + backoff(claim.attempt)
    return len(claims)
