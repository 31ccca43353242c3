"""What changed in the inbox since a live page last looked: the console's cheap poll.

Two append-only records tell: new interactions (a message in, a reply or a note out) and the
audit trail of conversation changes (status, assignee, team, priority, labels), each written in
the transaction of its change, so a rolled-back change is never reported. Both have UUIDv7 ids
that begin with their creation time in milliseconds, so "since t" is a range scan of the
primary key.

Ids are made before their transaction commits: a change made at 10:00:00.100 may become visible
after one made at 10:00:00.200. Each poll therefore looks back ``LOOKBACK`` before the newest
id it has reported and skips the ids it already reported. The cursor (the newest time reported
plus those ids) lives in the stream, and its time goes to the browser as the event id, so a
reconnecting browser resumes on any API process; no process keeps state another would need.

On PostgreSQL, LISTEN/NOTIFY could wake streams instead of polling; the poll stays the
fallback that works on both databases.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from unisono.models import AuditEvent, Interaction
from unisono.security.actor import Actor

# Longer than any transaction that writes an interaction or changes a conversation.
LOOKBACK = timedelta(seconds=30)
# A burst larger than this (per poll) is reported as "something changed" without every id.
MAX_IDS = 200
# Audit actions about conversations that only read them.
READ_ACTIONS = ("conversation.read", "conversation.list")
# Customer-wide changes that move conversations between customers.
CUSTOMER_ACTIONS = ("customer.merged", "customer.unmerged", "customer.updated")
# How far back a browser may ask to resume; older cursors start from now.
MAX_RESUME = timedelta(hours=1)

_MS_MASK = (1 << 48) - 1


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def id_floor(ms: int) -> uuid.UUID:
    """The smallest UUIDv7 made at millisecond ``ms``."""
    return uuid.UUID(int=(max(ms, 0) & _MS_MASK) << 80)


def id_ms(ident: uuid.UUID) -> int:
    """The creation time in milliseconds of the UUIDv7 ``ident``."""
    return ident.int >> 80


@dataclass(frozen=True, slots=True)
class ChangeCursor:
    """How far a stream has reported: the newest change time and the ids reported around it."""

    since_ms: int
    seen: frozenset[uuid.UUID] = field(default_factory=frozenset)

    @property
    def token(self) -> str:
        """The cursor as a browser keeps it (the SSE event id)."""
        return str(self.since_ms)

    @classmethod
    def resume(cls, token: str | None, *, now: int | None = None) -> ChangeCursor:
        """The cursor of ``token`` (an event id or a page's render time); from now when
        missing, not a number, in the future or too old."""
        current = now_ms() if now is None else now
        try:
            since = int(token) if token else current
        except ValueError:
            since = current
        oldest = current - int(MAX_RESUME.total_seconds() * 1000)
        if since > current or since < oldest:
            since = current
        return cls(since)


@dataclass(frozen=True, slots=True)
class InboxChanges:
    """What a poll found: changed conversations (and whether something else changed too)."""

    conversation_ids: list[uuid.UUID]
    # A change without one conversation (a merge, a burst beyond MAX_IDS): refresh everything.
    other: bool
    cursor: ChangeCursor

    @property
    def any(self) -> bool:
        return bool(self.conversation_ids) or self.other


def inbox_changes(session: Session, actor: Actor, cursor: ChangeCursor) -> InboxChanges:
    """Conversations that changed after ``cursor`` as ``actor`` may see them, and the next
    cursor. Reads ids only: no customer data, so nothing to audit.

    Every operator sees every conversation today; a per-team visibility rule would filter
    here. Keep the caller's transaction short: the poll runs every second per open page.
    """
    del actor  # every operator sees every conversation (see the docstring)
    floor = id_floor(cursor.since_ms - int(LOOKBACK.total_seconds() * 1000))
    # Newest first: in a burst the ids past the limit are older, and "other" covers them.
    messages = list(
        session.execute(
            select(Interaction.id, Interaction.conversation_id)
            .where(Interaction.id > floor)
            .order_by(Interaction.id.desc())
            .limit(MAX_IDS + 1)
        ).tuples()
    )
    audited = list(
        session.execute(
            select(AuditEvent.id, AuditEvent.entity_type, AuditEvent.entity_id)
            .where(
                AuditEvent.id > floor,
                or_(
                    and_(
                        AuditEvent.entity_type == "conversation",
                        AuditEvent.action.not_in(READ_ACTIONS),
                    ),
                    AuditEvent.action.in_(CUSTOMER_ACTIONS),
                ),
            )
            .order_by(AuditEvent.id.desc())
            .limit(MAX_IDS + 1)
        ).tuples()
    )
    other = len(messages) > MAX_IDS or len(audited) > MAX_IDS
    changed: dict[uuid.UUID, None] = {}
    fresh: list[uuid.UUID] = []
    for ident, conversation_id in messages:
        if ident not in cursor.seen:
            fresh.append(ident)
            if conversation_id is not None:
                changed[conversation_id] = None
    for ident, entity_type, entity_id in audited:
        if ident not in cursor.seen:
            fresh.append(ident)
            target = _uuid(entity_id) if entity_type == "conversation" else None
            if target is None:
                other = True
            else:
                changed[target] = None
    newest = max([cursor.since_ms, *(id_ms(i) for i in fresh)])
    keep_from = id_floor(newest - int(LOOKBACK.total_seconds() * 1000))
    seen = frozenset(i for i in (*cursor.seen, *fresh) if i > keep_from)
    return InboxChanges(list(changed), other, ChangeCursor(newest, seen))


def _uuid(value: str | None) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
