"""Mentions of colleagues in internal notes: ``@giulia.marchetti`` or ``@Giulia Marchetti``.

A note that mentions an operator leaves a ``Mention`` row for them; the console shows each
operator how many they have not seen yet and lists them, and opening the conversation marks
its mentions seen. An ``@`` counts only at the start of a word (``luca@example.it`` mentions
nobody), followed by an active operator's email local part or full name, case-insensitively;
when several match, the longest wins (``@anna.rossi`` over ``@anna``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.orm import Session

from unisono.clock import utcnow
from unisono.errors import Invalid
from unisono.ids import parse_uuid
from unisono.models import Customer, Interaction, Mention, Operator
from unisono.pagination import Page, clamp_limit, decode_cursor, encode_cursor
from unisono.security.actor import Actor
from unisono.security.audit import record_audit

# An ``@`` that starts a word: not inside an email address or a handle.
_AT = re.compile(r"(?<![\w.+\-@])@")
# What may not follow a mention: a letter or digit, or a dot or dash that continues a word.
_CONTINUES = re.compile(r"\w|[.\-]\w")


@dataclass(frozen=True, slots=True)
class Colleague:
    """An active operator as mentions and pickers need them."""

    id: uuid.UUID
    name: str
    email: str

    @property
    def handles(self) -> tuple[str, ...]:
        """What may follow ``@`` to name them, folded for comparison."""
        local = self.email.partition("@")[0]
        return tuple(h.casefold() for h in (local, " ".join(self.name.split())) if h)


@dataclass(frozen=True, slots=True)
class MentionItem:
    """A note that mentions the operator, with what a list of them shows."""

    mention_id: uuid.UUID
    note: Interaction
    customer_name: str
    seen: bool
    created_at: datetime


def active_colleagues(session: Session) -> list[Colleague]:
    """Every active operator, by name (mention targets, assignees)."""
    rows = session.execute(
        select(Operator.id, Operator.name, Operator.email)
        .where(Operator.active.is_(True))
        .order_by(Operator.name, Operator.id)
    )
    return [Colleague(id=i, name=n, email=e) for i, n, e in rows]


def _match_at(
    text: str, start: int, colleagues: Sequence[Colleague]
) -> tuple[int, Colleague] | None:
    """The longest mention of one of ``colleagues`` right after the ``@`` at ``start - 1``:
    its length and who it names; None when it names nobody."""
    best: tuple[int, Colleague] | None = None
    folded = text[start : start + 250].casefold()
    for colleague in colleagues:
        for handle in colleague.handles:
            if not folded.startswith(handle) or (best and len(handle) <= best[0]):
                continue
            if _CONTINUES.match(text, start + len(handle)):
                continue
            best = (len(handle), colleague)
    return best


def find_mentions(text: str, colleagues: Sequence[Colleague]) -> list[Colleague]:
    """The colleagues ``text`` mentions, each once, in order of first mention."""
    found: dict[uuid.UUID, Colleague] = {}
    for at in _AT.finditer(text):
        match = _match_at(text, at.end(), colleagues)
        if match:
            found.setdefault(match[1].id, match[1])
    return list(found.values())


def mention_segments(text: str, colleagues: Sequence[Colleague]) -> list[tuple[str, bool]]:
    """``text`` cut into pieces, each flagged when it is a mention of one of ``colleagues``
    (``@`` included), for showing mentions highlighted."""
    segments: list[tuple[str, bool]] = []
    done = 0
    for at in _AT.finditer(text):
        match = _match_at(text, at.end(), colleagues) if at.start() >= done else None
        if match:
            if at.start() > done:
                segments.append((text[done : at.start()], False))
            done = at.end() + match[0]
            segments.append((text[at.start() : done], True))
    if done < len(text):
        segments.append((text[done:], False))
    return segments


def do_record_mentions(session: Session, actor: Actor, note: Interaction) -> list[Colleague]:
    """A Mention for every colleague ``note`` mentions; the author's own is seen already."""
    if "@" not in note.text or note.conversation_id is None:
        return []
    mentioned = find_mentions(note.text, active_colleagues(session))
    now = utcnow()
    for colleague in mentioned:
        session.add(
            Mention(
                interaction_id=note.id,
                operator_id=colleague.id,
                conversation_id=note.conversation_id,
                seen_at=now if colleague.id == actor.operator_id else None,
            )
        )
    if mentioned:
        session.flush()
        record_audit(
            session,
            actor,
            "note.mentioned",
            "interaction",
            note.id,
            customer_id=note.customer_id,
            details={"operators": [str(c.id) for c in mentioned]},
        )
    return mentioned


def mentioned_in(
    session: Session, note_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[Colleague]]:
    """Who each of ``note_ids`` mentions (one query for a page of timeline)."""
    ids = set(note_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(Mention.interaction_id, Operator.id, Operator.name, Operator.email)
        .join(Operator, Operator.id == Mention.operator_id)
        .where(Mention.interaction_id.in_(ids))
    )
    found: dict[uuid.UUID, list[Colleague]] = {}
    for note_id, operator_id, name, email in rows:
        found.setdefault(note_id, []).append(Colleague(operator_id, name, email))
    return found


def unseen_mentions(session: Session, actor: Actor) -> int:
    """How many mentions of the acting operator they have not seen yet."""
    if actor.operator_id is None:
        return 0
    count = session.scalar(
        select(func.count())
        .select_from(Mention)
        .where(Mention.operator_id == actor.operator_id, Mention.seen_at.is_(None))
    )
    return int(count or 0)


def do_mark_mentions_seen(session: Session, actor: Actor, conversation_id: uuid.UUID) -> int:
    """Mark the acting operator's mentions in a conversation seen; returns how many."""
    if actor.operator_id is None:
        return 0
    result = session.execute(
        update(Mention)
        .where(
            Mention.operator_id == actor.operator_id,
            Mention.conversation_id == conversation_id,
            Mention.seen_at.is_(None),
        )
        .values(seen_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def list_mentions(
    session: Session, actor: Actor, *, cursor: str | None = None, limit: int | None = None
) -> Page[MentionItem]:
    """The notes that mention the acting operator, newest first; the read is audited."""
    size = clamp_limit(limit)
    query = (
        select(Mention, Interaction, Customer.display_name)
        .join(Interaction, Interaction.id == Mention.interaction_id)
        .join(Customer, Customer.id == Interaction.customer_id)
        .where(Mention.operator_id == actor.operator_id)
    )
    if cursor:
        at, last = decode_cursor(cursor, 2)
        last_id = parse_uuid(last)
        try:
            when = datetime.fromisoformat(at)
        except ValueError:
            last_id = None
        if last_id is None:
            raise Invalid("the cursor is not valid; use next_cursor from a previous page")
        query = query.where(tuple_(Mention.created_at, Mention.id) < tuple_(when, last_id))
    rows = list(
        session.execute(
            query.order_by(Mention.created_at.desc(), Mention.id.desc()).limit(size + 1)
        )
    )
    items = [
        MentionItem(m.id, note, name, m.seen_at is not None, m.created_at)
        for m, note, name in rows[:size]
    ]
    next_cursor = (
        encode_cursor(items[-1].created_at.isoformat(), str(items[-1].mention_id))
        if len(rows) > size and items
        else None
    )
    record_audit(session, actor, "mention.list", "mention", None, details={"count": len(items)})
    return Page(items, next_cursor)
