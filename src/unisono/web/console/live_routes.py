"""Live updates for the console over server-sent events.

``GET /live`` streams, to a signed-in operator, an ``inbox-changed`` event naming the
conversations that changed (a message in or out, a status, an assignee...), found by polling
``unisono.inbox.changes`` about once a second. Pages (the inbox, the supervisor's queues) fetch
their list again when told. Each poll opens and closes its own short session: no transaction is
held across the sleeps (SQLite's writers would wait for it).

The stream carries its cursor as the event id (heartbeats carry it too) and ends after a few
minutes; the browser reconnects with ``Last-Event-ID`` to any API process and resumes, so no
process keeps state that another would need. A stream also ends when the browser goes away.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Header, Query, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.responses import HTMLResponse, StreamingResponse

from unisono.config import get_settings
from unisono.inbox.changes import ChangeCursor, InboxChanges, inbox_changes
from unisono.security.actor import Actor
from unisono.web.console.auth import ConsoleActor
from unisono.web.console.pages import harden

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

# How soon the browser reconnects after a stream ends, in milliseconds.
RECONNECT_MS = 1000
EVENT = "inbox-changed"


def _poll(sessions: sessionmaker[Session], actor: Actor, cursor: ChangeCursor) -> InboxChanges:
    with sessions() as session:
        try:
            return inbox_changes(session, actor, cursor)
        finally:
            session.rollback()


def _event(changes: InboxChanges) -> str:
    data = {
        "conversations": [str(i) for i in changes.conversation_ids],
        "other": changes.other,
    }
    return f"event: {EVENT}\nid: {changes.cursor.token}\ndata: {json.dumps(data)}\n\n"


async def _stream(
    request: Request, actor: Actor, cursor: ChangeCursor, *, poll: float, heartbeat: float
) -> AsyncIterator[str]:
    sessions: sessionmaker[Session] = request.app.state.sessions
    lifetime = get_settings().live_lifetime_seconds
    yield f"retry: {RECONNECT_MS}\nid: {cursor.token}\n\n"
    started = last_write = time.monotonic()
    while True:
        changes = await anyio.to_thread.run_sync(_poll, sessions, actor, cursor)
        cursor = changes.cursor
        now = time.monotonic()
        if changes.any:
            yield _event(changes)
            last_write = now
        elif now - last_write >= heartbeat:
            # A comment keeps proxies from closing an idle stream; the id keeps the cursor.
            yield f": keep-alive\nid: {cursor.token}\n\n"
            last_write = now
        if now - started >= lifetime:
            return
        await anyio.sleep(poll)
        if await request.is_disconnected():
            return


@router.get("/live")
def live(
    request: Request,
    actor: ConsoleActor,
    since: Annotated[str, Query(max_length=20)] = "",
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
) -> StreamingResponse:
    """Changes to the inbox as server-sent events, from ``Last-Event-ID`` (a reconnect) or
    ``since`` (the page's render time, in milliseconds)."""
    settings = get_settings()
    cursor = ChangeCursor.resume(last_event_id or since)
    response = StreamingResponse(
        _stream(
            request,
            actor,
            cursor,
            poll=settings.live_poll_seconds,
            heartbeat=settings.live_heartbeat_seconds,
        ),
        media_type="text/event-stream",
        # Proxies such as nginx would otherwise buffer the stream.
        headers={"X-Accel-Buffering": "no"},
    )
    harden(response)
    return response
