"""/webhooks/{kind}/{channel_id}: provider callbacks, answered once the raw body is stored."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, BackgroundTasks, Depends, Request, Response

from unisono.channels.base import WebhookRequest
from unisono.channels.errors import SignatureInvalid
from unisono.inbox.channel_config import connection_for, get_channel
from unisono.inbox.webhooks import do_receive_webhook
from unisono.web.deps import SessionDep
from unisono.web.problems import problem

router = APIRouter(prefix="/webhooks", tags=["webhooks"], include_in_schema=True)


async def raw_body(request: Request) -> bytes:
    """The body exactly as the provider sent it: signatures are computed over these bytes."""
    return await request.body()


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


@router.post("/{kind}/{channel_id}")
def receive(
    kind: str,
    channel_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    background: BackgroundTasks,
    body: bytes = Depends(raw_body),
) -> Response:
    """Verify, store, acknowledge; the worker turns the delivery into interactions afterwards."""
    channel = get_channel(session, channel_id, kind)
    try:
        receipt = do_receive_webhook(session, channel, _neutral(request, body))
    except SignatureInvalid as exc:
        return problem(401, "Invalid signature", exc.detail, code="invalid_signature")
    if receipt.malformed is not None:
        return problem(
            400,
            "Malformed payload",
            receipt.malformed,
            code="malformed_payload",
            delivery_id=str(receipt.delivery.id),
        )
    worker = getattr(request.app.state, "worker", None)
    if worker is not None:
        # Runs after the response, so after the commit: the worker finds the row.
        background.add_task(worker.wake)
    return Response(
        receipt.reply.body, status_code=receipt.reply.status, media_type=receipt.reply.media_type
    )
