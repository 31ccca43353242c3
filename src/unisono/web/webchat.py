"""The webchat endpoints: ``GET /widget.js`` and the widget's socket ``/webchat/{id}/ws``.

The socket protocol, one JSON object per text frame:

* client ``{"type": "hello", "visitor_id", "user_id"?, "user_hash"?}`` first, then
  ``{"type": "message", "text", "client_id"}``, ``{"type": "history"}``,
  ``{"type": "identify", "email"?, "phone"?}`` and ``{"type": "ping"}``;
* server ``{"type": "ready"}``, ``{"type": "ack", "client_id", "id"}``,
  ``{"type": "message", ...}`` (history and live replies), ``{"type": "history", "messages"}``,
  ``{"type": "identified", "merged"}``, ``{"type": "pong"}`` and ``{"type": "error", "code",
  "detail"}``.

Everything the endpoint decides is in ``unisono.inbox.webchat``; here are only the socket, the
short database sessions (run off the event loop) and the poll that pushes replies.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketState

from unisono.errors import Conflict, UnisonoError
from unisono.inbox.channel_config import channel_config
from unisono.inbox.webchat import (
    MAX_FRAME_BYTES,
    Cursor,
    Refused,
    Visitor,
    check_identify,
    check_message,
    do_webchat_identify,
    do_webchat_message,
    history,
    new_messages,
    origin_allowed,
    start_cursor,
    visitor_from_hello,
)
from unisono.models import Channel, ChannelKind

log = logging.getLogger(__name__)

router = APIRouter(tags=["webchat"])

WIDGET = Path(__file__).parent / "static" / "webchat" / "widget.js"
# How often a socket looks for new replies (``app.state.webchat_poll_seconds`` overrides it).
POLL_SECONDS = 1.0
# A page that opens the socket and says nothing is not a visitor.
HELLO_TIMEOUT = 15.0
POLICY_VIOLATION = 1008

T = TypeVar("T")


@router.get("/widget.js", include_in_schema=False)
def widget() -> FileResponse:
    """The embeddable widget; cached briefly so a fix reaches every site within minutes."""
    return FileResponse(
        WIDGET,
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300"},
    )


class FrameError(Exception):
    """A frame the client must be told about; the socket stays open unless ``close``."""

    def __init__(self, code: str, detail: str, *, close: bool = False) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.close = close


def _transaction(sessions: sessionmaker[Session], work: Callable[[Session], T]) -> T:
    # One short transaction per frame: a socket lives for hours and must hold no connection.
    with sessions() as session, session.begin():
        return work(session)


async def _db(websocket: WebSocket, work: Callable[[Session], T]) -> T:
    sessions: sessionmaker[Session] = websocket.app.state.sessions
    return await run_in_threadpool(_transaction, sessions, work)


def _channel_settings(channel_id: uuid.UUID) -> Callable[[Session], tuple[Any, str] | None]:
    def load(session: Session) -> tuple[Any, str] | None:
        channel = session.get(Channel, channel_id)
        if channel is None or channel.kind != ChannelKind.WEBCHAT or not channel.active:
            return None
        config = channel_config(channel)
        return dict(config.settings), config.credentials.get("site_key", "")

    return load


def _decode(message: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON object in one received frame; FrameError when it is not one."""
    raw = message.get("text")
    if raw is None:
        data = message.get("bytes") or b""
        if len(data) > MAX_FRAME_BYTES:
            raise FrameError("too_large", f"frames are at most {MAX_FRAME_BYTES} bytes")
        try:
            raw = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FrameError("bad_frame", "frames are UTF-8 JSON") from exc
    if len(raw.encode("utf-8")) > MAX_FRAME_BYTES:
        raise FrameError("too_large", f"frames are at most {MAX_FRAME_BYTES} bytes")
    try:
        frame = json.loads(raw)
    except ValueError as exc:
        raise FrameError("bad_frame", "frames are JSON objects") from exc
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise FrameError("bad_frame", "frames are JSON objects with a 'type'")
    return frame


async def _receive_frame(websocket: WebSocket) -> dict[str, Any] | None:
    """The next frame, or None when the client went away."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        return None
    return _decode(message)


class WidgetConnection:
    """One widget connection after its hello: the visitor and the serialised sends."""

    def __init__(self, websocket: WebSocket, channel_id: uuid.UUID, visitor: Visitor) -> None:
        self.websocket = websocket
        self.channel_id = channel_id
        self.visitor = visitor
        self._lock = asyncio.Lock()

    async def send(self, frame: dict[str, Any]) -> None:
        # The reader and the poller both send; one frame at a time on the wire.
        async with self._lock:
            await self.websocket.send_json(frame)

    async def handle(self, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        visitor = self.visitor
        if kind == "message":
            text, client_id = check_message(frame)
            channel_id = self.channel_id

            def store(session: Session) -> str:
                channel = session.get_one(Channel, channel_id)
                interaction, _ = do_webchat_message(session, channel, visitor, text, client_id)
                return str(interaction.id)

            stored = await _db(self.websocket, store)
            await self.send({"type": "ack", "client_id": client_id, "id": stored})
        elif kind == "history":
            messages = await _db(self.websocket, lambda s: history(s, visitor))
            await self.send({"type": "history", "messages": messages})
        elif kind == "identify":
            handles = check_identify(frame)
            done = await _db(self.websocket, lambda s: do_webchat_identify(s, visitor, handles))
            await self.send({"type": "identified", "merged": done.merged})
        elif kind == "ping":
            await self.send({"type": "pong"})
        elif kind == "hello":
            raise FrameError("bad_frame", "hello was sent already")
        else:
            raise FrameError("bad_frame", f"unknown frame type '{kind[:40]}'")

    async def poll(self, interval: float, cursor: Cursor) -> None:
        """Push the visitor's new messages (operator replies, other tabs) after ``cursor``
        until cancelled."""
        visitor = self.visitor
        while True:
            await asyncio.sleep(interval)

            def read(session: Session, since: Cursor = cursor) -> tuple[list[Any], Cursor]:
                return new_messages(session, visitor, since)

            try:
                frames, cursor = await _db(self.websocket, read)
            except Exception:
                # A database hiccup delays replies; the cursor is unchanged, so none is lost.
                log.warning("webchat poll failed", exc_info=True)
                continue
            for frame in frames:
                await self.send(frame)


async def _error(websocket: WebSocket, code: str, detail: str) -> None:
    await websocket.send_json({"type": "error", "code": code, "detail": detail})


async def _hello(websocket: WebSocket, channel_id: uuid.UUID, site_key: str) -> Visitor | None:
    """The visitor of a valid hello; otherwise says why and closes."""
    try:
        frame = await asyncio.wait_for(_receive_frame(websocket), HELLO_TIMEOUT)
        if frame is None:
            return None
        return visitor_from_hello(channel_id, site_key, frame)
    except TimeoutError:
        detail, code = "no hello received", "timeout"
    except FrameError as exc:
        detail, code = exc.detail, exc.code
    except Refused as exc:
        detail, code = exc.detail, "refused"
    except UnisonoError as exc:
        detail, code = exc.detail, "bad_hello"
    await _error(websocket, code, detail)
    await websocket.close(code=POLICY_VIOLATION)
    return None


@router.websocket("/webchat/{channel_id}/ws")
async def webchat_socket(websocket: WebSocket, channel_id: str) -> None:
    """One widget: origin check, hello, then messages in and replies out until it goes."""
    try:
        cid = uuid.UUID(channel_id)
    except ValueError:
        await websocket.close(code=POLICY_VIOLATION)
        return
    loaded = await _db(websocket, _channel_settings(cid))
    # Browsers always send Origin on a WebSocket: a page elsewhere cannot pose as the site.
    if loaded is None or not origin_allowed(loaded[0], websocket.headers.get("origin")):
        await websocket.close(code=POLICY_VIOLATION)
        return
    await websocket.accept()
    visitor = await _hello(websocket, cid, loaded[1])
    if visitor is None:
        return
    conversation = WidgetConnection(websocket, cid, visitor)
    # Where the pushes start is settled before the widget hears "ready" and can send: a cursor
    # read concurrently with its first message could start after it, or after a reply.
    cursor = await _db(websocket, lambda s: start_cursor(s, visitor))
    await conversation.send({"type": "ready", "logged_in": visitor.logged_in})
    interval = float(getattr(websocket.app.state, "webchat_poll_seconds", POLL_SECONDS))
    poller = asyncio.create_task(conversation.poll(interval, cursor))
    try:
        while True:
            try:
                frame = await _receive_frame(websocket)
                if frame is None:
                    break
                await conversation.handle(frame)
            except FrameError as exc:
                await conversation.send({"type": "error", "code": exc.code, "detail": exc.detail})
            except UnisonoError as exc:
                code = "conflict" if isinstance(exc, Conflict) else "invalid"
                await conversation.send({"type": "error", "code": code, "detail": exc.detail})
    except WebSocketDisconnect:
        pass
    except Exception:
        log.exception("webchat socket failed")
        if websocket.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await websocket.close(code=1011)
    finally:
        poller.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await poller
