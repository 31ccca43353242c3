"""GET /webhooks/{kind}/{channel_id}: providers verifying the endpoint.

Their POSTs (the deliveries) never reach this router: ``unisono.web.intake`` answers them.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from unisono.inbox.channel_config import connection_for, get_channel
from unisono.web.deps import SessionDep
from unisono.web.intake import webhook_request
from unisono.web.problems import problem

router = APIRouter(prefix="/webhooks", tags=["webhooks"], include_in_schema=True)


@router.get("/{kind}/{channel_id}")
def handshake(kind: str, channel_id: uuid.UUID, request: Request, session: SessionDep) -> Response:
    """A provider verifying the endpoint (Meta's hub.challenge, X's CRC)."""
    channel = get_channel(session, channel_id, kind)
    reply = connection_for(channel).handshake(webhook_request(request.scope, b""))
    if reply is None:
        return problem(
            400, "Not a verification request", "nothing to verify here", code="not_a_handshake"
        )
    return Response(reply.body, status_code=reply.status, media_type=reply.media_type)
