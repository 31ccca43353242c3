"""Sandbox of the mobile app: the company's app backend and Firebase Cloud Messaging.

**App backend.** Configure the app channel with ``app_backend_url`` set to
``{sandbox}/_sandbox/mobile_app/backend``. In-app messages arrive at
``…/backend/unisono/messages``; the channel is the one whose app key signs the request. The
sandbox checks the signature and the shape, records the message, answers ``{"id", "status":
"accepted"}``, then reports ``delivered`` and ``read`` events to Unisono, signed like the real
backend would. User ids ending in 0000 are unknown to the backend (404), 0500 hit a backend
failure (503). ``GET …/backend/files/{name}`` serves sample attachments to a signed request.

**FCM.** ``POST /v1/projects/{project_id}/messages:send`` with the channel's ``fcm_project_id``
and ``fcm_access_token`` as Bearer: the message is checked as FCM HTTP v1 does (one target;
``notification`` title and body strings; ``data`` a string-to-string map without reserved
keys; ``android.priority`` normal or high; ``apns.headers`` strings) and answered
``{"name": "projects/{project_id}/messages/{id}"}``. Errors come in FCM's format, with the
``errorCode`` detail: device tokens containing ``unregistered`` are ``UNREGISTERED`` (404),
``quota`` are ``QUOTA_EXCEEDED`` (429), ``unavailable`` are ``UNAVAILABLE`` (503).

**Injection.** ``POST /_sandbox/mobile_app/{channel_id}/messages`` with ``{"user_id", "name",
"text"}`` signs an event with the channel's app key and posts it to Unisono.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from unisono.channels.app.signing import signed_headers, verify_signed
from unisono.channels.base import ChannelConfig
from unisono.channels.errors import SignatureInvalid
from unisono.sandbox.state import SandboxState, SentCall

FCM_RESERVED = ("from", "notification", "message_type")
FCM_RESERVED_PREFIXES = ("google", "gcm")
FCM_TARGETS = ("token", "topic", "condition")
MAX_FCM_BYTES = 4096
# Files the sandbox backend "holds" for attachments of injected messages.
SAMPLE_FILES: dict[str, tuple[bytes, str]] = {
    "contatore.jpg": (b"\xff\xd8\xff\xe0 sandbox jpeg: foto del contatore", "image/jpeg"),
    "bolletta_marzo.pdf": (b"%PDF-1.4 sandbox: bolletta di marzo", "application/pdf"),
}


def fcm_error(http: int, status: str, message: str, error_code: str | None = None) -> JSONResponse:
    """FCM's error body; ``error_code`` becomes the FcmError detail FCM adds for its own codes."""
    error: dict[str, Any] = {"code": http, "message": message, "status": status}
    if error_code:
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                "errorCode": error_code,
            }
        ]
    return JSONResponse({"error": error}, status_code=http)


def invalid(message: str) -> JSONResponse:
    return fcm_error(400, "INVALID_ARGUMENT", message, "INVALID_ARGUMENT")


def check_fcm_message(payload: Any) -> str | JSONResponse:
    """The target of a valid ``messages:send`` body, or FCM's answer to an invalid one."""
    message = payload.get("message") if isinstance(payload, dict) else None
    if not isinstance(message, dict):
        return invalid("Request contains an invalid argument: message is required")
    targets = [t for t in FCM_TARGETS if message.get(t)]
    if len(targets) != 1:
        return invalid("Exactly one of token, topic or condition must be specified")
    notification = message.get("notification", {})
    if not isinstance(notification, dict) or not all(
        isinstance(notification.get(k, ""), str) for k in ("title", "body")
    ):
        return invalid("Invalid value at 'message.notification' (title and body are strings)")
    data = message.get("data", {})
    if not isinstance(data, dict):
        return invalid("Invalid value at 'message.data' (a map of strings)")
    for n, (key, value) in enumerate(data.items()):
        if not isinstance(value, str):
            return invalid(f"Invalid value at 'message.data[{n}].value' (TYPE_STRING), {value}")
        if key in FCM_RESERVED or key.startswith(FCM_RESERVED_PREFIXES):
            return invalid(f"Invalid data payload key: {key}")
    android = message.get("android", {})
    if not isinstance(android, dict) or str(android.get("priority", "normal")).upper() not in (
        "NORMAL",
        "HIGH",
    ):
        return invalid("Invalid value at 'message.android.priority'")
    apns = message.get("apns", {})
    headers = apns.get("headers", {}) if isinstance(apns, dict) else None
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        return invalid("Invalid value at 'message.apns.headers' (a map of strings)")
    if len(json.dumps(message).encode()) > MAX_FCM_BYTES:
        return invalid("Message is too big")
    return str(message[targets[0]])


def post_events(state: SandboxState, config: ChannelConfig, events: list[dict[str, Any]]) -> int:
    """Deliver ``events`` to Unisono as the app backend does: signed with the app key."""
    body = json.dumps({"events": events}).encode()
    headers = signed_headers(config.credentials.get("app_key", ""), body)
    return state.post_to_unisono(
        state.webhook_url(config),
        content=body,
        headers={"Content-Type": "application/json", **headers},
    )


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class InboundAppMessage(BaseModel):
    user_id: str = Field(default="u-48213", min_length=1, max_length=255)
    name: str = "Cliente Sandbox"
    text: str = "Buongiorno"
    attachment: str | None = Field(default=None, description="one of the sample files' names")


def router(state: SandboxState) -> APIRouter:
    api = APIRouter()

    def app_channel(channel_id: uuid.UUID) -> ChannelConfig | None:
        return next((c for c in state.channels("app") if c.id == channel_id), None)

    def signer(request: Request, signed: bytes) -> ChannelConfig | None:
        """The app channel whose key signs ``signed`` with the request's headers."""
        headers = {k.lower(): v for k, v in request.headers.items()}
        for config in state.channels("app"):
            try:
                verify_signed(config.credentials.get("app_key", ""), headers, signed)
            except SignatureInvalid:
                continue
            return config
        return None

    @api.post("/v1/projects/{project_id}/messages:send")
    async def fcm_send(project_id: str, request: Request) -> JSONResponse:
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        config = next(
            (c for c in state.channels("app") if c.settings.get("fcm_project_id") == project_id),
            None,
        )
        if config is None:
            return fcm_error(403, "PERMISSION_DENIED", f"Permission denied on project {project_id}")
        if not token or token != config.credentials.get("fcm_access_token"):
            return fcm_error(
                401,
                "UNAUTHENTICATED",
                "Request had invalid authentication credentials. Expected OAuth 2 access token.",
            )
        try:
            payload = await request.json()
        except ValueError:
            return invalid("Invalid JSON payload received.")
        target = check_fcm_message(payload)
        if isinstance(target, JSONResponse):
            return target
        if "unregistered" in target:
            return fcm_error(404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED")
        if "quota" in target:
            return fcm_error(
                429, "RESOURCE_EXHAUSTED", "Quota exceeded for sending messages", "QUOTA_EXCEEDED"
            )
        if "unavailable" in target:
            return fcm_error(503, "UNAVAILABLE", "The service is currently unavailable.")
        name = f"projects/{project_id}/messages/0:{time.time_ns()}%{os.urandom(8).hex()}"
        state.record(SentCall("fcm", config.id, name, target, payload))
        return JSONResponse({"name": name})

    @api.post("/_sandbox/mobile_app/backend/unisono/messages")
    async def backend_receive(request: Request) -> JSONResponse:
        """The app backend receiving an in-app message from Unisono."""
        body = await request.body()
        config = signer(request, body)
        if config is None:
            return JSONResponse(
                {"error": "no app channel's key signs this request recently"}, status_code=401
            )
        try:
            payload = json.loads(body)
        except ValueError:
            return JSONResponse({"error": "the body is not JSON"}, status_code=400)
        fields = ("id", "user_id", "text", "sent_at")
        if not isinstance(payload, dict) or not all(
            isinstance(payload.get(k), str) and payload[k] for k in fields
        ):
            return JSONResponse({"error": f"{', '.join(fields)} are required"}, status_code=400)
        user = payload["user_id"]
        if user.endswith("0000"):
            return JSONResponse({"error": f"unknown user {user}"}, status_code=404)
        if user.endswith("0500"):
            return JSONResponse({"error": "backend temporarily unavailable"}, status_code=503)
        message_id = payload["id"]
        state.record(SentCall("mobile_app", config.id, message_id, user, payload))

        def report(kind: str) -> Callable[[], object]:
            event = {
                "id": f"evt-{kind}-{message_id}",
                "type": kind,
                "message_id": message_id,
                "at": now_iso(),
            }
            return lambda: post_events(state, config, [event])

        state.later([report("delivered"), report("read")])
        return JSONResponse({"id": message_id, "status": "accepted"})

    @api.get("/_sandbox/mobile_app/backend/files/{name}")
    def backend_file(name: str, request: Request) -> Response:
        """An attachment the backend holds, for a request signed over its URL."""
        data = SAMPLE_FILES.get(name)
        if data is None:
            return Response(status_code=404)
        if signer(request, str(request.url).encode()) is None:
            return Response(status_code=401)
        return Response(data[0], media_type=data[1])

    @api.post("/_sandbox/mobile_app/{channel_id}/messages")
    def inject(channel_id: uuid.UUID, body: InboundAppMessage, request: Request) -> dict[str, Any]:
        """Pretend a user wrote in the app; returns Unisono's answer."""
        config = app_channel(channel_id)
        if config is None:
            return {"error": f"no app channel {channel_id}"}
        event_id = f"evt-{uuid.uuid4().hex[:12]}"
        event: dict[str, Any] = {
            "id": event_id,
            "type": "message",
            "user_id": body.user_id,
            "user_name": body.name,
            "text": body.text,
            "sent_at": now_iso(),
        }
        if body.attachment in SAMPLE_FILES:
            base = str(request.base_url).rstrip("/")
            event["attachments"] = [
                {
                    "content_type": SAMPLE_FILES[body.attachment][1],
                    "filename": body.attachment,
                    "url": f"{base}/_sandbox/mobile_app/backend/files/{body.attachment}",
                }
            ]
        return {"id": event_id, "unisono_status": post_events(state, config, [event])}

    return api
