"""GET /api/v1/search: ranked full-text search over interactions."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query

from unisono.search.fulltext import search_interactions
from unisono.web.api.schemas import CustomerSummaryOut, InteractionOut, PageOut, SearchHitOut
from unisono.web.deps import ApiActor, SessionDep

router = APIRouter(tags=["search"])


@router.get("/search")
def search(
    session: SessionDep,
    actor: ApiActor,
    q: str = Query(min_length=1, max_length=200),
    customer_id: uuid.UUID | None = None,
    cursor: str | None = Query(default=None, max_length=500),
    limit: int | None = Query(default=None, ge=1, le=200),
) -> PageOut[SearchHitOut]:
    """Interactions containing every word of ``q``, best first among the most recent matches."""
    page = search_interactions(
        session, actor, q, customer_id=customer_id, cursor=cursor, limit=limit
    )
    return PageOut(
        items=[
            SearchHitOut(
                interaction=InteractionOut.of(h.interaction),
                customer=CustomerSummaryOut.of(h.customer),
                rank=h.rank,
            )
            for h in page.items
        ],
        next_cursor=page.next_cursor,
    )
