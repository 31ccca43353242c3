"""/webhooks/{kind}/{channel_id}: provider callbacks, answered once the raw body is stored."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.routing import Route

from unisono.channels.base import WebhookRequest
from unisono.channels.errors import SignatureInvalid
from unisono.errors import NotFound
from unisono.inbox.channel_config import ConnectionCache, connection_for, get_channel
from unisono.inbox.webhook_writer import DeliveryWriter
from unisono.inbox.webhooks import check_webhook, webhook_row
from unisono.web.deps import SessionDep
from unisono.web.problems import problem

router = APIRouter(prefix="/webhooks", tags=["webhooks"], include_in_schema=True)


def _neutral(request: Request, body: bytes) -> WebhookRequest:
    return WebhookRequest(
        method=request.method,
        url=str(request.url),
        headers={k.lower(): v for k, v in request.headers.items()},
        query=dict(request.query_params),
        body=body,
    )


@router.get("/{kind}/{channel_id}")
def handshake(kind: str, channel_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    """A provider verifying the endpoint (Meta's hub.challenge, X's CRC)."""
    channel = get_channel(session, channel_id, kind)
    reply = connection_for(channel).handshake(_neutral(request, b""))
    if reply is None:
        return problem(
            400, "Not a verification request", "nothing to verify here", code="not_a_handshake"
        )
    return Response(reply.body, status_code=reply.status, media_type=reply.media_type)


async def receive(request: Request) -> Response:
    """POST /webhooks/{kind}/{channel_id}: verify, store, acknowledge; the worker turns the
    delivery into interactions afterwards.

    The hot path of ingestion, so a plain Starlette endpoint (``webhook_route``) rather than a
    FastAPI one: no dependency solving or parameter models per request. The signature is checked
    on the event loop with a cached connection; the row joins the next group commit, and the
    answer waits for it (a 2xx means stored).
    """
    kind: str = request.path_params["kind"]
    channel_id: uuid.UUID = request.path_params["channel_id"]
    body = await request.body()
    cache: ConnectionCache = request.app.state.connections
    connection = cache.cached(channel_id, kind)
    if connection is None:
        try:
            connection = await run_in_threadpool(cache.load, channel_id, kind)
        except NotFound as exc:
            return problem(404, "Not found", exc.detail, code=exc.code)
    neutral = _neutral(request, body)
    try:
        checked = check_webhook(connection, neutral)
    except SignatureInvalid as exc:
        return problem(401, "Invalid signature", exc.detail, code="invalid_signature")
    row = webhook_row(channel_id, kind, neutral, checked)
    writer: DeliveryWriter = request.app.state.delivery_writer
    await writer.store(row)
    if checked.malformed is not None:
        return problem(
            400,
            "Malformed payload",
            checked.malformed,
            code="malformed_payload",
            delivery_id=str(row["id"]),
        )
    worker = getattr(request.app.state, "worker", None)
    if worker is not None:
        worker.wake()
    reply = checked.reply
    return Response(reply.body, status_code=reply.status, media_type=reply.media_type)


def webhook_route() -> Route:
    """The route of ``receive``; added first to the app, so providers' calls match at once."""
    return Route("/webhooks/{kind}/{channel_id:uuid}", receive, methods=["POST"])
