"""Mail that reached us by SMTP or IMAP, stored like a webhook delivery before it is answered.

Email has no webhook: the mail gateway and the IMAP poller receive raw RFC 5322 messages. Each
is kept as a ``WebhookDelivery`` of kind ``email`` exactly as a provider's post would be (raw
bytes, ``received`` or ``invalid``), so the same worker turns it into an interaction, the same
replay fixes a failure, and "did we get it?" is answered from the database.

The poller's place in the mailbox (the IMAP UIDVALIDITY and the last UID stored) lives in the
channel's settings under ``imap_state`` and moves in the same transaction that stores the
message: a message is either stored and passed, or neither.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from unisono.channels.base import WebhookRequest
from unisono.channels.email.provider import RECEIVED_AT_HEADER, SOURCE_HEADER
from unisono.channels.errors import MalformedPayload
from unisono.clock import as_utc, utcnow
from unisono.errors import Invalid, NotFound
from unisono.identity.normalize import normalize_email
from unisono.inbox.channel_config import channel_config, connection_for
from unisono.models import Channel, ChannelKind, WebhookDelivery, WebhookStatus

STATE_KEY = "imap_state"
DEFAULT_POLL_INTERVAL = timedelta(seconds=60)


def _normalized(address: str) -> str | None:
    try:
        return normalize_email(address)
    except Invalid:
        return None


def find_mail_channel(session: Session, address: str) -> Channel | None:
    """The active email channel whose ``address`` credential is ``address`` (any case)."""
    wanted = _normalized(address.strip().strip("<>"))
    if wanted is None:
        return None
    channels = session.scalars(
        select(Channel)
        .where(Channel.kind == ChannelKind.EMAIL.value, Channel.active.is_(True))
        .order_by(Channel.created_at)
    )
    for channel in channels:
        own = channel_config(channel).credentials.get("address", "")
        if own and _normalized(own) == wanted:
            return channel
    return None


def do_store_raw_mail(
    session: Session,
    channel: Channel,
    raw: bytes,
    *,
    source: str = "smtp",
    url: str | None = None,
    received_at: datetime | None = None,
    envelope_from: str | None = None,
    envelope_to: Iterable[str] = (),
) -> WebhookDelivery:
    """Keep one raw message for ``channel``, ``received`` for the worker or ``invalid``.

    The caller commits before telling the sender the mail is accepted (SMTP 250, IMAP \\Seen).
    """
    if channel.kind != ChannelKind.EMAIL.value:
        raise Invalid(f"channel {channel.id} is a {channel.kind} channel, not email")
    at = received_at or utcnow()
    headers: dict[str, Any] = {
        "content-type": "message/rfc822",
        RECEIVED_AT_HEADER: at.isoformat(),
        SOURCE_HEADER: source,
    }
    if envelope_from is not None:
        headers["x-envelope-from"] = envelope_from[:320]
    recipients = [r[:320] for r in envelope_to]
    if recipients:
        headers["x-envelope-to"] = ", ".join(recipients)
    request = WebhookRequest(
        method="POST", url=url or f"{source}:", headers=headers, query={}, body=raw
    )
    malformed = None
    try:
        connection_for(channel).parse(request)
    except MalformedPayload as exc:
        malformed = exc.detail
    delivery = WebhookDelivery(
        channel_id=channel.id,
        kind=channel.kind,
        status=WebhookStatus.INVALID if malformed else WebhookStatus.RECEIVED,
        url=request.url,
        headers=headers,
        body=raw,
        error=malformed,
    )
    session.add(delivery)
    session.flush()
    return delivery


# -- IMAP bookkeeping -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImapState:
    """Where the poller is in a mailbox: UIDs are only comparable within one UIDVALIDITY."""

    uidvalidity: str | None = None
    last_uid: int = 0
    polled_at: datetime | None = None
    error: str | None = None


def imap_state(channel: Channel) -> ImapState:
    raw = (channel.settings or {}).get(STATE_KEY)
    if not isinstance(raw, dict):
        return ImapState()
    polled_at = None
    if isinstance(raw.get("polled_at"), str):
        try:
            polled_at = as_utc(datetime.fromisoformat(raw["polled_at"]))
        except ValueError:
            polled_at = None
    last_uid = raw.get("last_uid")
    return ImapState(
        uidvalidity=str(raw["uidvalidity"]) if raw.get("uidvalidity") is not None else None,
        last_uid=last_uid if isinstance(last_uid, int) and last_uid > 0 else 0,
        polled_at=polled_at,
        error=str(raw["error"]) if raw.get("error") else None,
    )


def _write_state(channel: Channel, state: ImapState) -> None:
    # A new dict, not a mutation: the JSON column only notices assignment.
    channel.settings = {
        **(channel.settings or {}),
        STATE_KEY: {
            "uidvalidity": state.uidvalidity,
            "last_uid": state.last_uid,
            "polled_at": state.polled_at.isoformat() if state.polled_at else None,
            "error": state.error,
        },
    }


def poll_interval(channel: Channel) -> timedelta:
    value = (channel.settings or {}).get("imap_poll_seconds")
    try:
        seconds = float(value) if value is not None else None
    except (TypeError, ValueError):
        seconds = None
    return timedelta(seconds=seconds) if seconds and seconds > 0 else DEFAULT_POLL_INTERVAL


def pollable_channels(session: Session, now: datetime, *, due_only: bool = True) -> list[Channel]:
    """Active email channels with an IMAP host, whose last poll is at least an interval ago."""
    found = []
    channels = session.scalars(
        select(Channel)
        .where(Channel.kind == ChannelKind.EMAIL.value, Channel.active.is_(True))
        .order_by(Channel.created_at)
    )
    for channel in channels:
        if not channel_config(channel).credentials.get("imap_host"):
            continue
        last = imap_state(channel).polled_at
        if not due_only or last is None or now - last >= poll_interval(channel):
            found.append(channel)
    return found


def _locked_channel(session: Session, channel_id: uuid.UUID) -> Channel:
    # The row lock serialises two pollers of one mailbox (PostgreSQL; SQLite locks the file).
    channel = session.get(Channel, channel_id, with_for_update=True, populate_existing=True)
    if channel is None or channel.kind != ChannelKind.EMAIL.value:
        raise NotFound(f"no email channel {channel_id}")
    return channel


def do_store_polled_mail(
    session: Session,
    channel_id: uuid.UUID,
    raw: bytes,
    *,
    uidvalidity: str,
    uid: int,
    url: str,
) -> WebhookDelivery | None:
    """Store the message at ``uid`` and move the poller past it, in the caller's transaction.

    None when this UID was already stored (another poller got there first): nothing changes.
    """
    channel = _locked_channel(session, channel_id)
    state = imap_state(channel)
    same_mailbox = state.uidvalidity == uidvalidity
    if same_mailbox and uid <= state.last_uid:
        return None
    delivery = do_store_raw_mail(session, channel, raw, source="imap", url=url)
    last = max(uid, state.last_uid) if same_mailbox else uid
    _write_state(
        channel,
        ImapState(uidvalidity=uidvalidity, last_uid=last, polled_at=state.polled_at, error=None),
    )
    return delivery


def do_record_poll(
    session: Session,
    channel_id: uuid.UUID,
    *,
    at: datetime,
    uidvalidity: str | None = None,
    last_uid: int | None = None,
    error: str | None = None,
) -> None:
    """Note a finished poll: when, any error, and (first poll) where the mailbox starts."""
    channel = _locked_channel(session, channel_id)
    state = imap_state(channel)
    if uidvalidity is not None and last_uid is not None:
        if state.uidvalidity == uidvalidity:
            last_uid = max(last_uid, state.last_uid)
        state = ImapState(uidvalidity=uidvalidity, last_uid=last_uid)
    _write_state(
        channel,
        ImapState(
            uidvalidity=state.uidvalidity,
            last_uid=state.last_uid,
            polled_at=at,
            error=error[:500] if error else None,
        ),
    )
