"""POST /api/v1/interactions: the generic ingestion endpoint for any channel or system."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from unisono.inbox.ingest import NewInteraction, do_ingest_interaction
from unisono.web.api.schemas import InteractionCreate, InteractionOut
from unisono.web.deps import ApiActor, SessionDep

router = APIRouter(prefix="/interactions", tags=["interactions"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": InteractionOut, "description": "Already ingested; nothing new"}},
)
def ingest_interaction(
    body: InteractionCreate, session: SessionDep, actor: ApiActor, response: Response
) -> InteractionOut:
    """Put one interaction on its customer's timeline; idempotent on (channel, external_id)."""
    interaction, created = do_ingest_interaction(
        session,
        actor,
        NewInteraction(
            channel=body.channel,
            identity_kind=body.identity.kind,
            identity_value=body.identity.value,
            direction=body.direction,
            text=body.text,
            occurred_at=body.occurred_at,
            external_id=body.external_id,
            customer_name=body.customer_name,
            metadata=body.metadata,
        ),
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return InteractionOut.of(interaction)
