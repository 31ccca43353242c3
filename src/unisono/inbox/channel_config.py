"""Configured channels: creating them with encrypted credentials, and connecting to them."""

from __future__ import annotations

import time
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from unisono.channels.base import ChannelConfig, Connection
from unisono.channels.registry import provider_for
from unisono.errors import Invalid, NotFound
from unisono.models import Channel, ChannelKind
from unisono.security.actor import Actor
from unisono.security.audit import record_audit
from unisono.security.secrets import decrypt_credentials, encrypt_credentials

MAX_SETTINGS_SIZE = 50
# A bound on ConnectionCache: ids in webhook URLs come from outside.
MAX_CACHED_CONNECTIONS = 1000


def webhook_path(channel: Channel) -> str:
    """Where the provider must post this channel's events."""
    return f"/webhooks/{channel.kind}/{channel.id}"


def check_channel_input(
    kind: str, name: str, settings: dict[str, Any], credentials: dict[str, Any]
) -> tuple[str, dict[str, str]]:
    """Validate a channel definition against its provider; returns (kind, credentials)."""
    try:
        kind = ChannelKind(kind).value
    except ValueError as exc:
        raise Invalid(
            f"'{kind}' is not a channel kind; use one of {', '.join(ChannelKind)}"
        ) from exc
    provider = provider_for(kind)
    if not name.strip():
        raise Invalid("the channel needs a name")
    if len(settings) > MAX_SETTINGS_SIZE:
        raise Invalid(f"at most {MAX_SETTINGS_SIZE} settings")
    unknown = sorted(
        set(credentials) - set(provider.credential_keys) - set(provider.optional_credential_keys)
    )
    if unknown:
        raise Invalid(
            f"unknown credentials for {kind}: {', '.join(unknown)}; "
            f"expected {', '.join(provider.credential_keys + provider.optional_credential_keys)}"
        )
    missing = [k for k in provider.credential_keys if not str(credentials.get(k) or "").strip()]
    if missing:
        raise Invalid(f"missing credentials for {kind}: {', '.join(missing)}")
    unset = [k for k in provider.required_settings if not str(settings.get(k) or "").strip()]
    if unset:
        raise Invalid(f"missing settings for {kind}: {', '.join(unset)}")
    if not all(isinstance(v, str) for v in credentials.values()):
        raise Invalid("credential values are strings")
    base = settings.get("api_base_url")
    if base is not None and not (
        isinstance(base, str) and base.startswith(("http://", "https://"))
    ):
        raise Invalid("api_base_url is an http(s) URL")
    return kind, {k: str(v) for k, v in credentials.items()}


def do_create_channel(
    session: Session,
    actor: Actor,
    *,
    kind: str,
    name: str,
    settings: dict[str, Any] | None = None,
    credentials: dict[str, Any] | None = None,
) -> Channel:
    """A new configured channel; credentials are stored encrypted and never shown again."""
    settings = settings or {}
    kind, secrets = check_channel_input(kind, name, settings, credentials or {})
    channel = Channel(
        kind=kind,
        name=name.strip(),
        settings=settings,
        credentials_encrypted=encrypt_credentials(secrets) if secrets else None,
    )
    session.add(channel)
    session.flush()
    record_audit(session, actor, "channel.created", "channel", channel.id, details={"kind": kind})
    return channel


def get_channel(session: Session, channel_id: uuid.UUID, kind: str | None = None) -> Channel:
    """The channel ``channel_id`` (of ``kind`` when given); NotFound otherwise."""
    channel = session.get(Channel, channel_id)
    if channel is None or (kind is not None and channel.kind != kind):
        raise NotFound(f"no {kind or ''} channel {channel_id}".replace("  ", " "))
    return channel


def list_channels(session: Session) -> list[Channel]:
    return list(session.scalars(select(Channel).order_by(Channel.kind, Channel.name)))


def channel_config(channel: Channel) -> ChannelConfig:
    """What an adapter needs of ``channel``, with credentials decrypted."""
    return ChannelConfig(
        id=channel.id,
        kind=channel.kind,
        name=channel.name,
        settings=dict(channel.settings or {}),
        credentials=decrypt_credentials(channel.credentials_encrypted),
    )


def connection_for(channel: Channel) -> Connection:
    """A live connection to ``channel``'s provider."""
    return provider_for(channel.kind).connect(channel_config(channel))


def channel_for_kind(session: Session, kind: str) -> Channel | None:
    """The first active channel of ``kind`` (used to send when no channel was chosen)."""
    return session.scalar(
        select(Channel)
        .where(Channel.kind == kind, Channel.active.is_(True))
        .order_by(Channel.created_at)
        .limit(1)
    )


class ConnectionCache:
    """Connections to webhook channels, kept for a few seconds by one process.

    Without it every webhook costs a SELECT and a credentials decryption before its signature
    can be checked. The short lifetime bounds how long a changed credential or a deleted
    channel goes unnoticed by this process; the database stays the only state.
    """

    def __init__(self, sessions: sessionmaker[Session], ttl: float = 5.0) -> None:
        self._sessions = sessions
        self._ttl = ttl
        self._entries: dict[tuple[uuid.UUID, str], tuple[float, Connection]] = {}

    def cached(self, channel_id: uuid.UUID, kind: str) -> Connection | None:
        """The connection when this process loaded it recently, else None (no I/O)."""
        entry = self._entries.get((channel_id, kind))
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def load(self, channel_id: uuid.UUID, kind: str) -> Connection:
        """Read the channel and connect to it (blocking I/O); NotFound for an unknown one."""
        with self._sessions() as session:
            connection = connection_for(get_channel(session, channel_id, kind))
        if len(self._entries) > MAX_CACHED_CONNECTIONS:
            self._entries.clear()
        self._entries[(channel_id, kind)] = (time.monotonic() + self._ttl, connection)
        return connection
