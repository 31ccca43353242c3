"""Webhook intake: providers' POSTs to /webhooks/{kind}/{channel_id}, answered once stored.

The hot path of ingestion, so a plain ASGI layer in front of the application (``create_app``
adds it last, so outermost) rather than a route: a provider's call skips the middleware, exception
handlers, routing and request/response objects that the console and the API need and a webhook
does not. Every other request passes through untouched; a POST below /webhooks/ that names no
channel gets a 404 that says what the address should be.

Per request: the body is read (at most ``webhook_max_bytes``, else 413), the channel's connection
comes from a per-process cache, the signature is checked and the payload read on the event loop
(``check_webhook``: no database), the row joins the next group commit (``DeliveryWriter``), and
the answer waits for its commit: a 2xx means stored. Errors answer problem+json like the API;
a database that cannot store the row gets the provider a 503 (it retries), never a 2xx.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import URL, State
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from unisono.channels.base import WebhookRequest
from unisono.channels.errors import SignatureInvalid
from unisono.errors import NotFound
from unisono.inbox.channel_config import ConnectionCache
from unisono.inbox.webhook_writer import DeliveryWriter
from unisono.inbox.webhooks import check_webhook, webhook_row
from unisono.web.problems import problem

log = logging.getLogger(__name__)

PREFIX = "/webhooks/"


class _Disconnected(Exception):
    """The provider hung up before its body arrived: nothing stored, nobody to answer."""


class _TooLarge(Exception):
    pass


def webhook_target(path: str) -> tuple[str, uuid.UUID] | None:
    """``(kind, channel_id)`` when ``path`` is a webhook's, else None."""
    if not path.startswith(PREFIX):
        return None
    kind, slash, rest = path[len(PREFIX) :].partition("/")
    if not slash or not kind or "/" in rest:
        return None
    try:
        return kind, uuid.UUID(rest)
    except ValueError:
        return None


def route_path(scope: Scope) -> str:
    """The path below the application's mount point (``root_path``), as Starlette routes it."""
    path: str = scope["path"]
    root = scope.get("root_path") or ""
    if root and path.startswith(root + "/"):
        return path[len(root) :]
    return path


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body; _TooLarge past ``limit`` bytes, _Disconnected if the client left."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                raise _TooLarge
            chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def webhook_request(scope: Scope, body: bytes) -> WebhookRequest:
    """The provider-neutral request the adapters verify and parse."""
    query = scope.get("query_string") or b""
    return WebhookRequest(
        method=scope["method"],
        # The URL as the provider called it (Twilio signs it), exactly as Starlette spells it.
        url=str(URL(scope=scope)),
        headers={k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]},
        query=dict(parse_qsl(query.decode("latin-1"), keep_blank_values=True)) if query else {},
        body=body,
    )


class WebhookIntake:
    """Pure ASGI middleware: answers webhook POSTs itself, passes everything else on.

    ``state`` is the application's: its ``connections`` cache, ``delivery_writer`` and, when an
    embedded worker runs, ``worker`` (woken after each stored delivery).
    """

    def __init__(self, app: ASGIApp, *, state: State, max_bytes: int) -> None:
        self.app = app
        self.state = state
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            path = route_path(scope)
            # A NUL in the query string is left to the application, which refuses it (RefuseNul).
            query = scope.get("query_string") or b""
            if path.startswith(PREFIX) and b"\x00" not in query and b"%00" not in query:
                target = webhook_target(path)
                if target is None:
                    await self.problem(
                        scope,
                        receive,
                        send,
                        404,
                        "Not a webhook address",
                        "webhooks are posted to /webhooks/{kind}/{channel id}, the path that "
                        "creating the channel answered with",
                        "not_found",
                    )
                    return
                await self.receive(scope, receive, send, *target)
                return
        await self.app(scope, receive, send)

    async def receive(
        self, scope: Scope, receive: Receive, send: Send, kind: str, channel_id: uuid.UUID
    ) -> None:
        """Verify, store, acknowledge; the worker turns the delivery into interactions later."""
        try:
            body = await read_body(receive, self.max_bytes)
        except _Disconnected:
            return
        except _TooLarge:
            await self.problem(
                scope,
                receive,
                send,
                413,
                "Payload too large",
                f"a webhook body is at most {self.max_bytes} bytes",
                code="payload_too_large",
            )
            return
        cache: ConnectionCache = self.state.connections
        connection = cache.cached(channel_id, kind)
        if connection is None:
            try:
                connection = await run_in_threadpool(cache.load, channel_id, kind)
            except NotFound as exc:
                await self.problem(scope, receive, send, 404, "Not found", exc.detail, exc.code)
                return
            except Exception:
                log.exception("the %s channel %s could not be loaded", kind, channel_id)
                await self.unavailable(scope, receive, send)
                return
        request = webhook_request(scope, body)
        try:
            checked = check_webhook(connection, request)
        except SignatureInvalid as exc:
            await self.problem(
                scope, receive, send, 401, "Invalid signature", exc.detail, "invalid_signature"
            )
            return
        row = webhook_row(channel_id, kind, request, checked)
        writer: DeliveryWriter = self.state.delivery_writer
        try:
            await writer.store(row)
        except Exception:
            log.exception("a %s webhook for channel %s could not be stored", kind, channel_id)
            await self.unavailable(scope, receive, send)
            return
        if checked.malformed is not None:
            await self.problem(
                scope,
                receive,
                send,
                400,
                "Malformed payload",
                checked.malformed,
                "malformed_payload",
                delivery_id=str(row["id"]),
            )
            return
        worker = getattr(self.state, "worker", None)
        if worker is not None:
            worker.wake()
        reply = checked.reply
        response = Response(reply.body, status_code=reply.status, media_type=reply.media_type)
        await response(scope, receive, send)

    @classmethod
    async def unavailable(cls, scope: Scope, receive: Receive, send: Send) -> None:
        """Our database failed, not the provider: 503, so that it sends the delivery again."""
        await cls.problem(
            scope,
            receive,
            send,
            503,
            "Not stored",
            "the delivery could not be stored now; nothing was kept, send it again",
            "not_stored",
            headers={"Retry-After": "5"},
        )

    @staticmethod
    async def problem(
        scope: Scope,
        receive: Receive,
        send: Send,
        status: int,
        title: str,
        detail: str,
        code: str,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        response = problem(status, title, detail, code=code, headers=headers, **extra)
        await response(scope, receive, send)
