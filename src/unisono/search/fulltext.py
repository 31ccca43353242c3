"""Ranked full-text search over interactions, bounded so common words stay fast.

Ranking every match of a common word pair over millions of messages is slow on both databases,
so we rank only the most recent ``RANK_WINDOW`` matches: an operator searching wants recent
conversations first, and the best of the last thousand hits is what they read.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from unisono.db import is_sqlite
from unisono.errors import Invalid
from unisono.models import Customer, Interaction
from unisono.pagination import Page, clamp_limit, decode_cursor, encode_cursor
from unisono.security.actor import Actor
from unisono.security.audit import record_audit

RANK_WINDOW = 1000
MAX_TERMS = 10
WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class SearchHit:
    interaction: Interaction
    customer: Customer
    rank: float


def search_terms(q: str) -> list[str]:
    """The words of ``q`` that the index can match, lower-cased, at most MAX_TERMS."""
    terms = [w.lower() for w in WORD.findall(q)]
    if not terms:
        raise Invalid("the search needs at least one word")
    return terms[:MAX_TERMS]


def _sqlite_ranked(
    session: Session, terms: list[str], customer_id: uuid.UUID | None, offset: int, size: int
) -> list[tuple[uuid.UUID, float]]:
    # Each term quoted: FTS5 operators typed by the user are searched as plain words.
    match = " ".join('"' + t.replace('"', '""') + '"' for t in terms)
    params: dict[str, Any] = {"match": match, "window": RANK_WINDOW}
    scope = ""
    if customer_id is not None:
        scope = "AND interaction_id IN (SELECT id FROM interactions WHERE customer_id = :cid)"
        params["cid"] = customer_id.hex
    floor = session.execute(
        text(
            "SELECT min(rowid) FROM (SELECT rowid FROM interactions_fts "
            f"WHERE interactions_fts MATCH :match {scope} ORDER BY rowid DESC LIMIT :window)"
        ),
        params,
    ).scalar()
    if floor is None:
        return []
    rows = session.execute(
        text(
            "SELECT interaction_id, bm25(interactions_fts) AS score FROM interactions_fts "
            f"WHERE interactions_fts MATCH :match AND rowid >= :floor {scope} "
            "ORDER BY score, rowid DESC LIMIT :size OFFSET :offset"
        ),
        {**params, "floor": floor, "size": size, "offset": offset},
    )
    # bm25 is lower-is-better and negative; expose higher-is-better.
    return [(uuid.UUID(str(r[0])), -float(r[1])) for r in rows]


def _postgres_ranked(
    session: Session, terms: list[str], customer_id: uuid.UUID | None, offset: int, size: int
) -> list[tuple[uuid.UUID, float]]:
    params: dict[str, Any] = {
        "q": " & ".join(terms),
        "window": RANK_WINDOW,
        "size": size,
        "offset": offset,
    }
    scope = ""
    if customer_id is not None:
        scope = "AND customer_id = :cid"
        params["cid"] = customer_id
    # No CTE for the query: the planner must see the terms to estimate the matches (with a
    # CTE it guessed 50,000 rows for every word, chose bitmap scans and paid for JIT).
    rows = session.execute(
        text(
            "SELECT id, ts_rank_cd(search_vector, to_tsquery('simple', :q)) AS score FROM "
            "(SELECT id, occurred_at, search_vector FROM interactions "
            f"WHERE search_vector @@ to_tsquery('simple', :q) {scope} "
            "ORDER BY occurred_at DESC LIMIT :window) AS hits "
            "ORDER BY score DESC, occurred_at DESC LIMIT :size OFFSET :offset"
        ),
        params,
    )
    return [(r[0], float(r[1])) for r in rows]


def search_interactions(
    session: Session,
    actor: Actor,
    q: str,
    *,
    customer_id: uuid.UUID | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[SearchHit]:
    """The interactions matching every word of ``q``, best first among the recent matches."""
    size = clamp_limit(limit)
    terms = search_terms(q)
    offset = 0
    if cursor:
        (position,) = decode_cursor(cursor, 1)
        if not position.isdigit():
            raise Invalid("the cursor is not valid; use next_cursor from a previous page")
        offset = int(position)
    ranked_fn = _sqlite_ranked if is_sqlite(session.get_bind().engine) else _postgres_ranked
    ranked = ranked_fn(session, terms, customer_id, offset, size + 1)
    page, more = ranked[:size], len(ranked) > size
    interactions = {
        i.id: i
        for i in session.scalars(
            select(Interaction).where(Interaction.id.in_([r[0] for r in page]))
        )
    }
    customers = {
        c.id: c
        for c in session.scalars(
            select(Customer).where(Customer.id.in_({i.customer_id for i in interactions.values()}))
        )
    }
    hits = [
        SearchHit(interactions[iid], customers[interactions[iid].customer_id], score)
        for iid, score in page
        if iid in interactions
    ]
    record_audit(
        session,
        actor,
        "interaction.search",
        "interaction",
        None,
        customer_id=customer_id,
        details={"q": q[:200], "count": len(hits)},
    )
    next_cursor = (
        encode_cursor(str(offset + size)) if more and offset + size < RANK_WINDOW else None
    )
    return Page(hits, next_cursor)
