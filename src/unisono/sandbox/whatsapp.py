"""Sandbox of the WhatsApp Cloud API: ``POST /{version}/{phone_number_id}/messages``.

Accepts text and template messages as Meta does, answers with a ``wamid``, then posts
``sent``/``delivered``/``read`` statuses to Unisono signed with the app secret. Recipients whose
number ends in 0000 fail delivery (131026), 0429 are rate limited, 0500 hit a server error.
Inbound messages are injected with ``POST /_sandbox/whatsapp/{channel_id}/messages``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from unisono.channels.base import ChannelConfig
from unisono.channels.signatures import meta_signature
from unisono.sandbox.state import SandboxState, SentCall


def wamid() -> str:
    return "wamid." + base64.b64encode(os.urandom(24)).decode().rstrip("=")


def graph_error(status: int, code: int, message: str, details: str | None = None) -> JSONResponse:
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": uuid.uuid4().hex[:20],
    }
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return JSONResponse({"error": error}, status_code=status)


def envelope(config: ChannelConfig, value: dict[str, Any]) -> dict[str, Any]:
    """The documented webhook envelope around one change value."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": config.settings.get("waba_id", "102290129340398"),
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": config.settings.get(
                                    "display_phone_number", "390212345678"
                                ),
                                "phone_number_id": config.credentials.get("phone_number_id", ""),
                            },
                            **value,
                        },
                    }
                ],
            }
        ],
    }


def post_webhook(state: SandboxState, config: ChannelConfig, payload: dict[str, Any]) -> int:
    body = json.dumps(payload).encode()
    signature = meta_signature(config.credentials.get("app_secret", ""), body)
    return state.post_to_unisono(
        state.webhook_url(config),
        content=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
    )


def status_value(
    message_id: str, recipient: str, status: str, error: dict[str, Any] | None = None
) -> dict[str, Any]:
    value: dict[str, Any] = {
        "id": message_id,
        "status": status,
        "timestamp": str(int(time.time())),
        "recipient_id": recipient,
    }
    if status != "failed":
        value["pricing"] = {"billable": True, "pricing_model": "PMP", "category": "service"}
    if error:
        value["errors"] = [error]
    return {"statuses": [value]}


# Media the sandbox "holds" for inbound messages: a photo of a meter and a bill, as bytes.
SAMPLE_MEDIA: dict[str, tuple[bytes, str]] = {
    "1003383421387256": (b"\xff\xd8\xff\xe0 sandbox jpeg: foto del contatore", "image/jpeg"),
    "786413510164346": (b"%PDF-1.4 sandbox: bolletta di marzo", "application/pdf"),
}


class InboundText(BaseModel):
    from_number: str = Field(alias="from", examples=["393331234567"])
    name: str = "Cliente Sandbox"
    text: str = "Buongiorno"


def router(state: SandboxState) -> APIRouter:
    api = APIRouter()

    @api.post("/{version}/{phone_number_id}/messages")
    async def send(version: str, phone_number_id: str, request: Request) -> JSONResponse:
        config = state.channel("whatsapp", phone_number_id=phone_number_id)
        if config is None:
            return graph_error(
                400,
                100,
                f"Unsupported post request. Object with ID '{phone_number_id}' does not exist",
            )
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if token != config.credentials.get("access_token"):
            return graph_error(401, 190, "Invalid OAuth access token - Cannot parse access token")
        try:
            payload = await request.json()
        except ValueError:
            return graph_error(400, 100, "Invalid parameter", "the body is not JSON")
        to = str(payload.get("to", "")) if isinstance(payload, dict) else ""
        kind = payload.get("type", "text") if isinstance(payload, dict) else None
        if payload.get("messaging_product") != "whatsapp" or not to.isdigit():
            return graph_error(
                400,
                100,
                "Invalid parameter",
                "messaging_product must be whatsapp and to a phone number",
            )
        if kind == "text" and not str(payload.get("text", {}).get("body", "")).strip():
            return graph_error(400, 100, "Invalid parameter", "text.body is required")
        if kind == "template" and not payload.get("template", {}).get("name"):
            return graph_error(400, 132001, "Template name does not exist in the translation")
        if kind not in ("text", "template"):
            return graph_error(400, 100, "Invalid parameter", f"type {kind} is not supported here")
        if to.endswith("0429"):
            return graph_error(
                429, 130429, "Rate limit hit", "Cloud API message throughput has been reached."
            )
        if to.endswith("0500"):
            return graph_error(500, 131000, "Something went wrong")
        message_id = wamid()
        state.record(SentCall("whatsapp", config.id, message_id, to, payload))
        if to.endswith("0000"):
            failure = {
                "code": 131026,
                "title": "Message undeliverable",
                "message": "Message undeliverable",
                "error_data": {"details": "The recipient is not a WhatsApp user"},
            }
            steps = ["failed"]
        else:
            failure, steps = None, ["sent", "delivered", "read"]

        def callback(status: str) -> Callable[[], object]:
            error = failure if status == "failed" else None
            value = status_value(message_id, to, status, error)
            return lambda: post_webhook(state, config, envelope(config, value))

        state.later([callback(s) for s in steps])
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": message_id}],
            }
        )

    @api.get("/{version}/{media_id}")
    def media_info(version: str, media_id: str, request: Request) -> JSONResponse:
        """Graph's media lookup: a download URL for a media id sent with an inbound message."""
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if state.channel("whatsapp", access_token=token) is None:
            return graph_error(401, 190, "Invalid OAuth access token - Cannot parse access token")
        data = SAMPLE_MEDIA.get(media_id)
        if data is None:
            return graph_error(404, 100, f"Object with ID '{media_id}' does not exist")
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "id": media_id,
                "mime_type": data[1],
                "sha256": hashlib.sha256(data[0]).hexdigest(),
                "file_size": len(data[0]),
                "url": f"{str(request.base_url).rstrip('/')}/_sandbox/whatsapp/media/{media_id}",
            }
        )

    @api.get("/_sandbox/whatsapp/media/{media_id}")
    def media_bytes(media_id: str, request: Request) -> Response:
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        data = SAMPLE_MEDIA.get(media_id)
        if data is None or state.channel("whatsapp", access_token=token) is None:
            return Response(status_code=404)
        return Response(data[0], media_type=data[1])

    @api.post("/_sandbox/whatsapp/{channel_id}/messages")
    def inject(channel_id: uuid.UUID, body: InboundText) -> dict[str, Any]:
        """Pretend a customer wrote to the business number; returns Unisono's answer."""
        config = next((c for c in state.channels("whatsapp") if c.id == channel_id), None)
        if config is None:
            return {"error": f"no whatsapp channel {channel_id}"}
        number = body.from_number.lstrip("+")
        message_id = wamid()
        value = {
            "contacts": [{"profile": {"name": body.name}, "wa_id": number}],
            "messages": [
                {
                    "from": number,
                    "id": message_id,
                    "timestamp": str(int(time.time())),
                    "type": "text",
                    "text": {"body": body.text},
                }
            ],
        }
        status = post_webhook(state, config, envelope(config, value))
        return {"id": message_id, "unisono_status": status}

    return api
