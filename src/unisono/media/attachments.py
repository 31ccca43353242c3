"""Attachments: recorded from inbound media, fetched from providers by the worker, downloaded."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from unisono.channels.base import Connection, MediaRef
from unisono.channels.errors import ChannelError
from unisono.clock import utcnow
from unisono.errors import Invalid, NotFound
from unisono.inbox.channel_config import connection_for
from unisono.media.store import MAX_MEDIA_BYTES, put_bytes, read_bytes
from unisono.models import Attachment, AttachmentStatus, Channel, Interaction
from unisono.security.actor import Actor
from unisono.security.audit import record_audit

log = logging.getLogger(__name__)

MAX_FETCH_ATTEMPTS = 6
LEASE = timedelta(minutes=5)


def store_attachment(
    session: Session,
    interaction: Interaction,
    data: bytes,
    *,
    content_type: str,
    filename: str | None = None,
    caption: str | None = None,
) -> Attachment:
    """Keep ``data`` as an attachment of ``interaction`` (uploads, email parts)."""
    if len(data) > MAX_MEDIA_BYTES:
        raise Invalid(f"attachments are at most {MAX_MEDIA_BYTES // (1024 * 1024)} MB")
    attachment = Attachment(
        interaction_id=interaction.id,
        status=AttachmentStatus.STORED,
        content_type=content_type or "application/octet-stream",
        filename=filename,
        caption=caption,
        size=len(data),
        sha256=put_bytes(data),
    )
    session.add(attachment)
    session.flush()
    return attachment


def record_media(session: Session, interaction: Interaction, refs: tuple[MediaRef, ...]) -> None:
    """Attachments for inbound media: stored now when inline, else pending a fetch."""
    for ref in refs:
        if ref.data is not None:
            store_attachment(
                session,
                interaction,
                ref.data,
                content_type=ref.content_type,
                filename=ref.filename,
                caption=ref.caption,
            )
        elif ref.provider_id or ref.url:
            session.add(
                Attachment(
                    interaction_id=interaction.id,
                    status=AttachmentStatus.PENDING,
                    content_type=ref.content_type,
                    filename=ref.filename,
                    caption=ref.caption,
                    provider_id=ref.provider_id,
                    source_url=ref.url,
                )
            )
    session.flush()


@dataclass(frozen=True, slots=True)
class FetchClaim:
    attachment_id: uuid.UUID
    attempt: int
    ref: MediaRef
    connection: Connection | None


def claim_pending_fetches(session: Session, now: datetime, limit: int = 10) -> list[FetchClaim]:
    """Reserve pending attachments that are due; the caller commits, then fetches."""
    rows = session.scalars(
        select(Attachment)
        .where(
            Attachment.status == AttachmentStatus.PENDING,
            or_(Attachment.next_attempt_at.is_(None), Attachment.next_attempt_at <= now),
        )
        .order_by(Attachment.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claims = []
    for attachment in rows:
        attachment.attempts += 1
        attachment.next_attempt_at = now + LEASE
        interaction = session.get(Interaction, attachment.interaction_id)
        channel = (
            session.get(Channel, interaction.channel_id)
            if interaction is not None and interaction.channel_id
            else None
        )
        connection = connection_for(channel) if channel is not None else None
        ref = MediaRef(
            content_type=attachment.content_type,
            provider_id=attachment.provider_id,
            url=attachment.source_url,
            filename=attachment.filename,
        )
        claims.append(FetchClaim(attachment.id, attachment.attempts, ref, connection))
    return claims


def fetch_due(sessions: sessionmaker[Session], limit: int = 10) -> int:
    """Fetch one batch of pending attachments from their providers; returns how many."""
    with sessions() as session, session.begin():
        claims = claim_pending_fetches(session, utcnow(), limit)
    for claim in claims:
        data: bytes | None = None
        content_type: str | None = None
        error: str | None = None
        transient = False
        if claim.connection is None:
            error = "the attachment's channel is gone; it cannot be fetched"
        else:
            try:
                data, content_type = claim.connection.fetch_media(claim.ref)
                if len(data) > MAX_MEDIA_BYTES:
                    data, error = None, "the file is larger than the storage limit"
            except ChannelError as exc:
                error, transient = exc.detail, exc.transient
            except Exception as exc:  # an adapter bug must not stop the worker
                log.exception("fetching attachment %s failed", claim.attachment_id)
                error, transient = f"unexpected adapter error: {exc}", True
        with sessions() as session, session.begin():
            attachment = session.get_one(Attachment, claim.attachment_id)
            if data is not None:
                attachment.sha256 = put_bytes(data)
                attachment.size = len(data)
                attachment.content_type = content_type or attachment.content_type
                attachment.status = AttachmentStatus.STORED
                attachment.error = None
                attachment.next_attempt_at = None
            elif transient and claim.attempt < MAX_FETCH_ATTEMPTS:
                attachment.error = f"{error} (attempt {claim.attempt}, will retry)"
                attachment.next_attempt_at = utcnow() + timedelta(seconds=5 * 4**claim.attempt)
            else:
                attachment.status = AttachmentStatus.FAILED
                attachment.error = error
                attachment.next_attempt_at = None
    return len(claims)


def download_attachment(
    session: Session, actor: Actor, attachment_id: uuid.UUID
) -> tuple[Attachment, bytes]:
    """The attachment and its bytes; the read is audited like any read of customer data."""
    attachment = session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound(f"no attachment {attachment_id}")
    if attachment.status != AttachmentStatus.STORED or attachment.sha256 is None:
        raise NotFound(f"attachment {attachment_id} is not stored ({attachment.status.value})")
    interaction = session.get(Interaction, attachment.interaction_id)
    record_audit(
        session,
        actor,
        "attachment.read",
        "attachment",
        attachment.id,
        customer_id=interaction.customer_id if interaction else None,
    )
    return attachment, read_bytes(attachment.sha256)
