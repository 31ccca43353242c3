"""Sandbox of Facebook comment replies: ``POST /{version}/{comment_id}/comments``.

Accepts a reply as the Pages API does (page token as Bearer header or ``access_token``
parameter, ``message`` in a JSON or form body), answers ``{"id": new_comment_id}`` and, like
Meta, then posts the page's own new comment to the ``feed`` webhook (which Unisono must ignore).
Comment ids ending in 0000 have been deleted (100/33).

Customer comments are injected with ``POST /_sandbox/facebook_comments/{channel_id}/comments``.
"""

from __future__ import annotations

import random
import time
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from unisono.channels.base import ChannelConfig
from unisono.sandbox.messenger import (
    check_proof,
    graph_error,
    page_token,
    post_signed,
    request_fields,
)
from unisono.sandbox.state import SandboxState, SentCall

MAX_TEXT = 8000


def _digits(n: int = 16) -> str:
    return "".join(random.choices("0123456789", k=n))  # noqa: S311 - fake ids, not secrets


def feed_change(config: ChannelConfig, value: dict[str, Any]) -> dict[str, Any]:
    """The documented page ``feed`` webhook around one change value."""
    return {
        "object": "page",
        "entry": [
            {
                "id": config.credentials.get("page_id", ""),
                "time": int(time.time()),
                "changes": [{"field": "feed", "value": value}],
            }
        ],
    }


def comment_value(
    *,
    author: dict[str, str],
    message: str,
    post_id: str,
    comment_id: str,
    parent_id: str,
) -> dict[str, Any]:
    return {
        "from": author,
        "post": {
            "status_type": "added_photos",
            "is_published": True,
            "updated_time": time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime()),
            "permalink_url": f"https://www.facebook.com/{post_id}",
            "promotion_status": "inactive",
            "id": post_id,
        },
        "message": message,
        "post_id": post_id,
        "comment_id": comment_id,
        "created_time": int(time.time()),
        "item": "comment",
        "parent_id": parent_id,
        "verb": "add",
    }


class InboundComment(BaseModel):
    from_id: str = "7301942518237765"
    from_name: str = "Cliente Sandbox"
    message: str = "Siamo senza luce da un'ora, quando torna?"
    post_id: str | None = None
    parent_id: str | None = None  # a comment id to answer, else the post


def router(state: SandboxState) -> APIRouter:
    api = APIRouter()

    @api.post("/{version}/{comment_id}/comments")
    async def reply(version: str, comment_id: str, request: Request) -> JSONResponse:
        config = state.channel("facebook_comments", page_access_token=page_token(request) or "-")
        if config is None:
            return graph_error(400, 190, "Invalid OAuth access token - Cannot parse access token")
        wrong_proof = check_proof(config, request)
        if wrong_proof is not None:
            return wrong_proof
        fields = await request_fields(request)
        text = str(fields.get("message", "")) if fields is not None else ""
        if not text.strip():
            return graph_error(400, 100, "(#100) Missing message or attachment")
        if len(text) > MAX_TEXT:
            return graph_error(400, 100, f"(#100) message must be at most {MAX_TEXT} characters")
        if comment_id.endswith("0000"):
            return graph_error(
                400,
                100,
                f"Unsupported post request. Object with ID '{comment_id}' does not exist, cannot "
                "be loaded due to missing permissions, or does not support this operation.",
                subcode=33,
            )
        thread = comment_id.split("_", 1)[0]
        new_id = f"{thread}_{_digits()}"
        state.record(SentCall("facebook_comments", config.id, new_id, comment_id, fields))
        page_id = config.credentials.get("page_id", "")
        own = comment_value(
            author={"id": page_id, "name": config.name},
            message=text,
            post_id=f"{page_id}_{thread}",
            comment_id=new_id,
            parent_id=comment_id,
        )
        state.later([lambda: post_signed(state, config, feed_change(config, own))])
        return JSONResponse({"id": new_id})

    @api.post("/_sandbox/facebook_comments/{channel_id}/comments")
    def inject(channel_id: uuid.UUID, body: InboundComment) -> dict[str, Any]:
        """Pretend a person commented on a page post; returns Unisono's answer."""
        config = next((c for c in state.channels("facebook_comments") if c.id == channel_id), None)
        if config is None:
            return {"error": f"no facebook_comments channel {channel_id}"}
        post_id = body.post_id or f"{config.credentials.get('page_id', '')}_{_digits(15)}"
        comment_id = f"{post_id.rsplit('_', 1)[-1]}_{_digits()}"
        value = comment_value(
            author={"id": body.from_id, "name": body.from_name},
            message=body.message,
            post_id=post_id,
            comment_id=comment_id,
            parent_id=body.parent_id or post_id,
        )
        status = post_signed(state, config, feed_change(config, value))
        return {"comment_id": comment_id, "unisono_status": status}

    return api
