"""Provider webhooks: stored raw before they are answered, processed afterwards by a job.

In the request: ``check_webhook`` verifies the signature (a bad one stores nothing) and checks
that the payload can be read, without the database; ``do_store_webhooks`` stores raw deliveries
(a malformed one is kept as ``invalid`` and answered 400), several requests' at a time (see
``unisono.inbox.webhook_writer``). ``process_delivery`` runs in the worker: it turns the
delivery into interactions, status updates and updates of earlier interactions (a call's end,
its recording); a failure is kept with its error and can be replayed.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from unisono.channels.base import (
    Connection,
    HandshakeReply,
    InboundMessage,
    InteractionUpdate,
    ParsedDelivery,
    StatusUpdate,
    WebhookRequest,
)
from unisono.channels.errors import MalformedPayload
from unisono.clock import utcnow
from unisono.errors import NotFound, UnisonoError
from unisono.identity.normalize import CHANNEL_IDENTITY_KIND
from unisono.ids import uuid7
from unisono.inbox.channel_config import connection_for
from unisono.inbox.ingest import Lookahead, NewInteraction, do_ingest_interaction, look_ahead
from unisono.integrations.events import publish
from unisono.integrations.payloads import interaction_data
from unisono.media.attachments import record_media
from unisono.models import (
    Attachment,
    Channel,
    DeliveryStatus,
    Direction,
    Interaction,
    WebhookDelivery,
    WebhookStatus,
)
from unisono.security.actor import Actor

log = logging.getLogger(__name__)
WEBHOOK_TABLE = WebhookDelivery.metadata.tables[WebhookDelivery.__tablename__]

# Headers worth keeping with a stored delivery (signatures included, for later inspection).
KEPT_HEADERS = (
    "content-type",
    "user-agent",
    "x-hub-signature-256",
    "x-twilio-signature",
    "x-twitter-webhooks-signature",
    "x-unisono-signature",
    "x-unisono-timestamp",
)

# Later statuses win; a failure only overrides a message not yet delivered.
_STATUS_RANK = {
    DeliveryStatus.QUEUED: 0,
    DeliveryStatus.SENT: 1,
    DeliveryStatus.DELIVERED: 2,
    DeliveryStatus.READ: 3,
}


@dataclass(frozen=True, slots=True)
class CheckedWebhook:
    """A verified request: the provider's acknowledgement, or why its payload is unreadable."""

    reply: HandshakeReply
    malformed: str | None = None


def check_webhook(connection: Connection, request: WebhookRequest) -> CheckedWebhook:
    """Verify and try to read ``request``; SignatureInvalid on a bad signature. No database."""
    connection.verify(request)
    try:
        connection.parse(request)
    except MalformedPayload as exc:
        return CheckedWebhook(connection.ack(), exc.detail)
    except Exception:
        # Our parser's bug, not the provider's payload: the delivery is stored as received and
        # acknowledged; the worker meets the same error, keeps it as failed with the error, and
        # it can be replayed once the parser is fixed.
        log.exception("the %s parser failed on a signed delivery", type(connection).__name__)
    return CheckedWebhook(connection.ack())


def webhook_row(
    channel_id: uuid.UUID, kind: str, request: WebhookRequest, checked: CheckedWebhook
) -> dict[str, Any]:
    """The stored delivery of a checked request, as the row ``do_store_webhooks`` inserts."""
    return {
        "id": uuid7(),
        "created_at": utcnow(),
        "channel_id": channel_id,
        "kind": kind,
        "status": WebhookStatus.INVALID if checked.malformed else WebhookStatus.RECEIVED,
        "url": request.url,
        "headers": {k: v for k, v in request.headers.items() if k in KEPT_HEADERS},
        "body": request.body,
        "error": checked.malformed,
        "attempts": 0,
        "summary": {},
    }


def do_store_webhooks(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert deliveries (rows of ``webhook_row``) in one statement; the caller commits."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # COPY: several times cheaper per row than an INSERT's parameters (the intake's cost).
        _copy_rows(connection.connection.driver_connection, rows)
    else:
        # Core, not the ORM's bulk insert: the rows are complete, nothing to track afterwards.
        session.execute(insert(WEBHOOK_TABLE), rows)


_COPY_COLUMNS = tuple(column.name for column in WEBHOOK_TABLE.columns)
_JSON_COLUMNS = frozenset({"headers", "summary"})


def _copy_rows(psycopg_connection: Any, rows: list[dict[str, Any]]) -> None:
    statement = f"COPY {WEBHOOK_TABLE.name} ({', '.join(_COPY_COLUMNS)}) FROM STDIN"
    with psycopg_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            # JSON columns go as text, which the server reads as jsonb: cheaper per row than
            # psycopg's Jsonb wrapper, and this runs once per accepted webhook.
            copy.write_row(
                tuple(
                    json.dumps(row.get(name))
                    if name in _JSON_COLUMNS
                    else _copy_value(row.get(name))
                    for name in _COPY_COLUMNS
                )
            )


def _copy_value(value: Any) -> Any:
    return value.value if isinstance(value, WebhookStatus) else value


def stored_request(delivery: WebhookDelivery) -> WebhookRequest:
    """The request as it was received, rebuilt from the stored delivery."""
    return WebhookRequest(
        method="POST",
        url=delivery.url,
        headers=dict(delivery.headers or {}),
        query={},
        body=delivery.body,
        received_at=delivery.created_at,
    )


def _new_interaction(channel: Channel, message: InboundMessage) -> NewInteraction:
    metadata: dict[str, Any] = dict(message.metadata)
    if message.replies_to:
        metadata["replies_to"] = list(message.replies_to)
    return NewInteraction(
        channel=channel.kind,
        identity_kind=message.identity_kind
        or CHANNEL_IDENTITY_KIND.get(channel.kind, channel.kind),
        identity_value=message.identity_value,
        direction=Direction.INBOUND,
        text=message.text,
        occurred_at=message.occurred_at,
        external_id=message.external_id,
        customer_name=message.sender_name,
        metadata=metadata,
        channel_id=channel.id,
    )


def _ingest(
    session: Session,
    actor: Actor,
    channel: Channel,
    message: InboundMessage,
    lookahead: Lookahead | None = None,
) -> bool:
    interaction, created = do_ingest_interaction(
        session, actor, _new_interaction(channel, message), lookahead
    )
    if created and message.media:
        record_media(session, interaction, message.media)
    return created


def apply_status(session: Session, kind: str, status: StatusUpdate) -> bool:
    """Move our outbound interaction forward to the provider's status; False if unknown."""
    interaction = session.scalar(
        select(Interaction).where(
            Interaction.channel == kind,
            Interaction.external_id == status.external_id,
            Interaction.direction == Direction.OUTBOUND,
        )
    )
    if interaction is None:
        return False
    current = interaction.delivery_status
    if status.status == DeliveryStatus.FAILED:
        if current in (None, DeliveryStatus.QUEUED, DeliveryStatus.SENT):
            interaction.delivery_status = DeliveryStatus.FAILED
            interaction.delivery_error = status.error or "the provider reported a failure"
    elif current is None or _STATUS_RANK.get(current, -1) < _STATUS_RANK[status.status]:
        interaction.delivery_status = status.status
    if interaction.delivery_status != current:
        publish(session, "message.status_changed", interaction_data(interaction))
    timestamps = dict(interaction.meta.get("status_times", {}))
    timestamps[status.status.value] = status.occurred_at.isoformat()
    interaction.meta = {**interaction.meta, "status_times": timestamps}
    return True


def _interaction(session: Session, kind: str, external_id: str) -> Interaction | None:
    # Locked: two deliveries about the same call (its end, its recording) may be processed at
    # once by two workers, and each merges into the same metadata.
    return session.scalar(
        select(Interaction)
        .where(Interaction.channel == kind, Interaction.external_id == external_id)
        .with_for_update()
    )


def apply_update(
    session: Session, actor: Actor, channel: Channel, change: InteractionUpdate
) -> bool:
    """Merge ``change`` into the interaction it names (created from its fallback when missing);
    False when there is no such interaction and no fallback."""
    interaction = _interaction(session, channel.kind, change.external_id)
    if interaction is None and change.fallback is not None:
        _ingest(session, actor, channel, change.fallback)
        interaction = _interaction(session, channel.kind, change.external_id)
    if interaction is None:
        return False
    interaction.meta = {**interaction.meta, **change.metadata}
    if change.text is not None:
        interaction.text = change.text
    # Providers retry callbacks: media already attached (by URL or provider id) are not again.
    known: set[str | None] = set()
    for url, provider_id in session.execute(
        select(Attachment.source_url, Attachment.provider_id).where(
            Attachment.interaction_id == interaction.id
        )
    ):
        known |= {url, provider_id}
    known.discard(None)
    new = tuple(
        m for m in change.media if m.data is not None or not ({m.url, m.provider_id} & known)
    )
    if new:
        record_media(session, interaction, new)
    return True


class DeliveryBatch:
    """What the deliveries processed in one transaction share: each channel's row (read once;
    the session's identity map alone would forget it between deliveries), its connection
    (credentials are decrypted once per connection), once ``prepare``d, the deliveries read
    and what their messages need looked up together, and the outcomes to ``settle``."""

    def __init__(self) -> None:
        self._channels: dict[uuid.UUID, Channel] = {}
        self._connections: dict[uuid.UUID, Connection] = {}
        self._parsed: dict[uuid.UUID, ParsedDelivery] = {}
        self._outcomes: list[tuple[WebhookDelivery, dict[str, Any]]] = []
        self.lookahead: Lookahead | None = None

    def outcome(self, delivery: WebhookDelivery, **fields: Any) -> None:
        """What became of ``delivery``, written to it by ``settle``."""
        self._outcomes.append((delivery, fields))

    def settle(self) -> None:
        """Write every outcome to its delivery, after the last delivery's savepoint: the batch's
        updates then go out together (one executemany) instead of one flushed by each next
        savepoint. The caller's transaction commits them with the interactions or not at all."""
        for delivery, fields in self._outcomes:
            # Counted with the outcome rather than before the savepoint, which would flush it
            # on its own.
            delivery.attempts += 1
            for name, value in fields.items():
                setattr(delivery, name, value)
        self._outcomes.clear()

    def prepare(self, session: Session, deliveries: list[WebhookDelivery]) -> None:
        """Read ``deliveries`` and look up what their messages need (``look_ahead``: one query
        for all instead of a few per message). A delivery that cannot be read is left for
        ``process_delivery`` to fail; a lookahead that fails (say, a deadlock) is done without.
        """
        items: list[NewInteraction] = []
        for delivery in deliveries:
            channel = self.channel(session, delivery.channel_id)
            try:
                parsed = self.connection(channel).parse(stored_request(delivery))
            except Exception:  # noqa: BLE001, S112 - process_delivery fails it, with its error
                continue
            self._parsed[delivery.id] = parsed
            items.extend(_new_interaction(channel, message) for message in parsed.messages)
        try:
            with session.begin_nested():
                self.lookahead = look_ahead(session, items)
        except DBAPIError as exc:
            log.warning("looking ahead failed, processing without: %s", exc)

    def parse(self, channel: Channel, delivery: WebhookDelivery) -> ParsedDelivery:
        parsed = self._parsed.get(delivery.id)
        if parsed is None:
            parsed = self.connection(channel).parse(stored_request(delivery))
        return parsed

    def channel(self, session: Session, channel_id: uuid.UUID) -> Channel:
        channel = self._channels.get(channel_id)
        if channel is None:
            channel = self._channels[channel_id] = session.get_one(Channel, channel_id)
        return channel

    def connection(self, channel: Channel) -> Connection:
        connection = self._connections.get(channel.id)
        if connection is None:
            connection = self._connections[channel.id] = connection_for(channel)
        return connection


def process_delivery(
    session: Session, delivery: WebhookDelivery, batch: DeliveryBatch | None = None
) -> None:
    """Turn a stored delivery into interactions, status updates and updates of interactions.

    On failure the delivery is marked ``failed`` with its error (the caller commits), and every
    partial change of this delivery is rolled back. ``batch`` shares channels and connections
    between the deliveries of one transaction; with one, the outcome is written to the delivery
    when the caller calls ``batch.settle()``, without one at once.
    """
    if batch is None:
        own = DeliveryBatch()
        process_delivery(session, delivery, own)
        own.settle()
        return
    channel = batch.channel(session, delivery.channel_id)
    actor = Actor(operator=None, via=f"webhook:{channel.kind}")
    rejected: list[str] = []
    try:
        try:
            with session.begin_nested():
                parsed = batch.parse(channel, delivery)
                # A delivery's only message or update shares its savepoint (see _item).
                alone = len(parsed.messages) + len(parsed.updates) == 1 and not parsed.statuses
                created = 0
                for message in parsed.messages:
                    with _item(session, message.external_id, rejected, alone=alone):
                        created += _ingest(session, actor, channel, message, batch.lookahead)
                matched = sum(apply_status(session, channel.kind, s) for s in parsed.statuses)
                updated = 0
                for change in parsed.updates:
                    with _item(session, change.external_id, rejected, alone=alone):
                        updated += apply_update(session, actor, channel, change)
        except _RejectedAlone as exc:
            created = matched = updated = 0
            rejected = [exc.line]
    except Exception as exc:
        log.warning("webhook delivery %s failed: %s", delivery.id, exc, exc_info=True)
        batch.outcome(
            delivery, status=WebhookStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        return
    batch.outcome(
        delivery,
        status=WebhookStatus.PROCESSED,
        error=None,
        processed_at=utcnow(),
        summary={
            "messages": len(parsed.messages),
            "created": created,
            "statuses": len(parsed.statuses),
            "statuses_matched": matched,
            "updates": len(parsed.updates),
            "updates_matched": updated,
            "ignored": list(parsed.ignored),
            "rejected": rejected,
        },
    )


class _RejectedAlone(Exception):
    """The only message or update of a delivery was refused; the delivery's savepoint, its own,
    is rolled back."""

    def __init__(self, line: str) -> None:
        super().__init__(line)
        self.line = line


@contextmanager
def _item(
    session: Session, external_id: str, rejected: list[str], *, alone: bool
) -> Iterator[None]:
    """One message or update of a delivery, in a savepoint of its own: a refused one (say,
    stamped in the future) is named in ``rejected`` and does not hold back the others.

    The only item of a delivery needs no savepoint besides the delivery's (two statements
    fewer for most deliveries): its refusal is raised as ``_RejectedAlone`` to roll that back.
    """
    if alone:
        try:
            yield
        except UnisonoError as exc:
            raise _RejectedAlone(f"{external_id}: {exc.detail}") from exc
        return
    try:
        with session.begin_nested():
            yield
    except UnisonoError as exc:
        rejected.append(f"{external_id}: {exc.detail}")


def claim_pending_deliveries(session: Session, limit: int = 50) -> list[WebhookDelivery]:
    """Received deliveries to process, oldest first, locked against other workers (PostgreSQL)."""
    return list(
        session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.status == WebhookStatus.RECEIVED)
            .order_by(WebhookDelivery.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )


def do_replay(session: Session, delivery_ids: list[uuid.UUID] | None = None) -> int:
    """Queue failed deliveries (or the given ones) for processing again; returns how many."""
    query = update(WebhookDelivery).values(status=WebhookStatus.RECEIVED, error=None)
    if delivery_ids:
        found = set(
            session.scalars(select(WebhookDelivery.id).where(WebhookDelivery.id.in_(delivery_ids)))
        )
        missing = [str(i) for i in delivery_ids if i not in found]
        if missing:
            raise NotFound(f"no webhook deliveries {', '.join(missing)}")
        query = query.where(WebhookDelivery.id.in_(delivery_ids))
    else:
        query = query.where(WebhookDelivery.status == WebhookStatus.FAILED)
    result = session.execute(query.execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
