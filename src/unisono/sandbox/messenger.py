"""Sandbox of the Messenger Send API: ``POST /{version}/me/messages``.

Accepts text messages as Meta does (page token as Bearer header or ``access_token`` parameter,
``appsecret_proof`` checked when sent), answers ``{"recipient_id", "message_id"}``, then posts a
``delivery`` and a ``read`` event to Unisono signed with the app secret. PSIDs ending in 0000
are unavailable (551), 0024 are outside the 24-hour window (10/2018278), 0429 hit a rate limit
(613) and 0500 a temporary failure (2), each answered in Graph's error format; a page token
containing "revoked" has been invalidated (190/460).

Inbound messages are injected with ``POST /_sandbox/messenger/{channel_id}/messages``; with
``"attachment": "image"`` or ``"file"`` the message carries a CDN-style URL this sandbox serves.

Routing: ``/{version}/me/messages`` and WhatsApp's ``/{version}/{phone_number_id}/messages`` have
the same shape. Routers are included in module-name order and Starlette takes the first match,
so this literal ``me`` route (messenger < whatsapp) is tried before WhatsApp's and takes only
``me``; every other id still reaches WhatsApp.
"""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from collections.abc import Callable
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from unisono.channels.base import ChannelConfig
from unisono.channels.signatures import hmac_sha256_hex, meta_signature
from unisono.sandbox.state import SandboxState, SentCall

# What Graph says of a page token invalidated by a password change (the sandbox: "revoked").
REVOKED = (
    "Error validating access token: The session has been invalidated because the user changed "
    "their password or Facebook has changed the session for security reasons."
)
MESSAGING_TYPES = ("RESPONSE", "UPDATE", "MESSAGE_TAG")
MAX_TEXT = 2000
# Files the sandbox "holds" on its CDN for injected attachments.
SAMPLE_MEDIA: dict[str, tuple[bytes, str]] = {
    "contatore.jpg": (b"\xff\xd8\xff\xe0 sandbox jpeg: foto del contatore", "image/jpeg"),
    "bolletta_marzo.pdf": (b"%PDF-1.4 sandbox: bolletta di marzo", "application/pdf"),
}
ATTACHMENT_FILES = {"image": "contatore.jpg", "file": "bolletta_marzo.pdf"}


def new_mid() -> str:
    return "m_" + base64.urlsafe_b64encode(os.urandom(30)).decode().rstrip("=")


def now_ms() -> int:
    return int(time.time() * 1000)


def graph_error(
    status: int, code: int, message: str, *, subcode: int | None = None
) -> JSONResponse:
    """An error as Graph writes it (the Messenger and Pages APIs share the format)."""
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": uuid.uuid4().hex[:20],
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return JSONResponse({"error": error}, status_code=status)


def page_token(request: Request) -> str:
    """The page access token, from the Authorization header or the ``access_token`` parameter."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith(("bearer ", "oauth ")):
        return header.split(" ", 1)[1].strip()
    return request.query_params.get("access_token", "")


def check_proof(config: ChannelConfig, request: Request) -> JSONResponse | None:
    """Graph's answer to a wrong ``appsecret_proof``, or None when absent or right."""
    proof = request.query_params.get("appsecret_proof")
    if proof is None:
        return None
    secret = config.credentials.get("app_secret", "")
    token = config.credentials.get("page_access_token", "")
    if proof != hmac_sha256_hex(secret, token.encode()):
        return graph_error(400, 100, "Invalid appsecret_proof provided in the API argument")
    return None


async def request_fields(request: Request) -> dict[str, Any] | None:
    """The call's parameters: a JSON body, or a form whose object values are JSON (curl style)."""
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = await request.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) else None
    fields: dict[str, Any] = {}
    for key, value in (await request.form()).items():
        text = str(value)
        try:
            fields[key] = json.loads(text) if text[:1] in "{[" else text
        except ValueError:
            return None
    return fields


def post_signed(state: SandboxState, config: ChannelConfig, payload: dict[str, Any]) -> int:
    """Post a page webhook to the channel's URL, signed with its app secret as Meta does."""
    body = json.dumps(payload).encode()
    signature = meta_signature(config.credentials.get("app_secret", ""), body)
    return state.post_to_unisono(
        state.webhook_url(config),
        content=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
    )


def page_envelope(config: ChannelConfig, key: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    """``{"object": "page", "entry": [{"id", "time", key: events}]}`` for the channel's page."""
    page_id = config.credentials.get("page_id", "")
    return {"object": "page", "entry": [{"id": page_id, "time": now_ms(), key: events}]}


def _event(config: ChannelConfig, psid: str, **body: Any) -> dict[str, Any]:
    return {
        "sender": {"id": psid},
        "recipient": {"id": config.credentials.get("page_id", "")},
        "timestamp": now_ms(),
        **body,
    }


def _refusal(psid: str) -> JSONResponse | None:
    """The failures the sandbox plays for special PSIDs."""
    if psid.endswith("0000"):
        return graph_error(400, 551, "This person isn't available right now.", subcode=1545041)
    if psid.endswith("0024"):
        return graph_error(
            400, 10, "(#10) This message is sent outside of allowed window.", subcode=2018278
        )
    if psid.endswith("0429"):
        return graph_error(400, 613, "Calls to this api have exceeded the rate limit.")
    if psid.endswith("0500"):
        return graph_error(
            500, 2, "An unexpected error has occurred. Please retry your request later."
        )
    return None


class InboundMessenger(BaseModel):
    psid: str = "6245148112174353"
    text: str = "Buongiorno"
    attachment: Literal["image", "file"] | None = None


def router(state: SandboxState) -> APIRouter:
    api = APIRouter()

    @api.post("/{version}/me/messages")
    async def send(version: str, request: Request) -> JSONResponse:
        token = page_token(request)
        config = state.channel("messenger", page_access_token=token or "-")
        if config is None:
            return graph_error(400, 190, "Invalid OAuth access token - Cannot parse access token")
        if "revoked" in token:
            return graph_error(400, 190, REVOKED, subcode=460)
        wrong_proof = check_proof(config, request)
        if wrong_proof is not None:
            return wrong_proof
        fields = await request_fields(request)
        if fields is None:
            return graph_error(400, 100, "(#100) The request body could not be read")
        recipient = fields.get("recipient")
        psid = str(recipient.get("id", "")) if isinstance(recipient, dict) else ""
        message = fields.get("message")
        text = str(message.get("text", "")) if isinstance(message, dict) else ""
        kind = fields.get("messaging_type")
        if not psid:
            return graph_error(400, 100, "(#100) The parameter recipient is required")
        if kind not in MESSAGING_TYPES or (kind == "MESSAGE_TAG" and not fields.get("tag")):
            return graph_error(
                400, 100, "(#100) param messaging_type must be RESPONSE, UPDATE or MESSAGE_TAG"
            )
        if not text.strip():
            return graph_error(400, 100, "(#100) The parameter message[text] is required")
        if len(text) > MAX_TEXT:
            return graph_error(
                400, 100, f"(#100) Length of param message[text] must be <= {MAX_TEXT}"
            )
        refusal = _refusal(psid)
        if refusal is not None:
            return refusal
        message_id = new_mid()
        state.record(SentCall("messenger", config.id, message_id, psid, fields))

        def receipt(name: str) -> Callable[[], object]:
            def post() -> object:
                stamp = now_ms()
                body = {"mids": [message_id]} if name == "delivery" else {}
                event = _event(config, psid, **{name: {**body, "watermark": stamp}})
                return post_signed(state, config, page_envelope(config, "messaging", [event]))

            return post

        state.later([receipt("delivery"), receipt("read")])
        return JSONResponse({"recipient_id": psid, "message_id": message_id})

    @api.get("/_sandbox/messenger/media/{name}")
    def media(name: str) -> Response:
        """The sandbox CDN: signed URLs need no token, like Meta's."""
        data = SAMPLE_MEDIA.get(name)
        if data is None:
            return Response(status_code=404)
        return Response(data[0], media_type=data[1])

    @api.post("/_sandbox/messenger/{channel_id}/messages")
    def inject(channel_id: uuid.UUID, body: InboundMessenger, request: Request) -> dict[str, Any]:
        """Pretend a person wrote to the page on Messenger; returns Unisono's answer."""
        config = next((c for c in state.channels("messenger") if c.id == channel_id), None)
        if config is None:
            return {"error": f"no messenger channel {channel_id}"}
        message: dict[str, Any] = {"mid": new_mid(), "text": body.text}
        if body.attachment:
            name = ATTACHMENT_FILES[body.attachment]
            url = f"{str(request.base_url).rstrip('/')}/_sandbox/messenger/media/{name}"
            message = {
                "mid": message["mid"],
                "attachments": [{"type": body.attachment, "payload": {"url": url}}],
            }
        event = _event(config, body.psid, message=message)
        status = post_signed(state, config, page_envelope(config, "messaging", [event]))
        return {"mid": message["mid"], "unisono_status": status}

    return api
