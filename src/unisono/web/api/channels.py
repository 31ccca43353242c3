"""Configured channels: create one (credentials encrypted, never returned), list, read."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from unisono.inbox.channel_config import (
    do_create_channel,
    get_channel,
    list_channels,
    webhook_path,
)
from unisono.insight.channel_health import channel_health
from unisono.models import Channel, Role
from unisono.security.permissions import require_role
from unisono.web.api.schemas import StrictIn
from unisono.web.deps import ApiActor, SessionDep

router = APIRouter(prefix="/channels", tags=["channels"])


class ChannelCreate(StrictIn):
    kind: str = Field(min_length=1, max_length=32, examples=["whatsapp"])
    name: str = Field(min_length=1, max_length=200, examples=["WhatsApp Energia Chiara"])
    settings: dict[str, Any] = Field(default_factory=dict)
    credentials: dict[str, str] = Field(default_factory=dict)


class ChannelOut(BaseModel):
    id: uuid.UUID
    kind: str
    name: str
    settings: dict[str, Any]
    active: bool
    webhook_path: str
    has_credentials: bool
    created_at: datetime

    @classmethod
    def of(cls, c: Channel) -> ChannelOut:
        return cls(
            id=c.id,
            kind=c.kind,
            name=c.name,
            settings=c.settings or {},
            active=c.active,
            webhook_path=webhook_path(c),
            has_credentials=bool(c.credentials_encrypted),
            created_at=c.created_at,
        )


@router.post("", status_code=status.HTTP_201_CREATED)
def create_channel(body: ChannelCreate, session: SessionDep, actor: ApiActor) -> ChannelOut:
    """Configure a channel; the answer says which webhook path to register with the provider."""
    require_role(actor, [Role.ADMIN], "configure channels")
    channel = do_create_channel(
        session,
        actor,
        kind=body.kind,
        name=body.name,
        settings=body.settings,
        credentials=body.credentials,
    )
    return ChannelOut.of(channel)


@router.get("")
def list_all(session: SessionDep, actor: ApiActor) -> list[ChannelOut]:
    """Every configured channel (credentials never included)."""
    return [ChannelOut.of(c) for c in list_channels(session)]


class ChannelHealthOut(BaseModel):
    channel: str
    inbound_24h: int
    last_inbound_at: datetime | None
    lag_p50_seconds: float | None
    lag_p95_seconds: float | None
    outbound_queued: int
    outbound_failed_24h: int
    webhooks_failed: int
    webhooks_invalid_24h: int


@router.get("/health")
def health(session: SessionDep, actor: ApiActor) -> list[ChannelHealthOut]:
    """Per channel kind: traffic, ingestion lag, queued and failed sends, failed webhooks."""
    return [ChannelHealthOut(**dataclasses.asdict(h)) for h in channel_health(session)]


@router.get("/{channel_id}")
def get_one(channel_id: uuid.UUID, session: SessionDep, actor: ApiActor) -> ChannelOut:
    return ChannelOut.of(get_channel(session, channel_id))
