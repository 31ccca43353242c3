"""Letters and visits recorded by operators: uploads of scans, visits and their outcomes."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile, status
from pydantic import AwareDatetime, BaseModel, Field

from unisono.inbox import offline
from unisono.inbox.offline import (
    LetterUpload,
    Visit,
    VisitChanges,
    VisitFilter,
    VisitKind,
    VisitStatus,
    do_record_visit,
    do_update_visit,
    do_upload_letter,
    list_visits,
)
from unisono.models import Direction
from unisono.web.api.schemas import CustomerSummaryOut, InteractionOut, StrictIn
from unisono.web.deps import ApiActor, SessionDep

router = APIRouter(tags=["letters and visits"])


class VisitCreate(StrictIn):
    kind: VisitKind = Field(examples=["home_visit"])
    status: VisitStatus = Field(examples=["scheduled"])
    scheduled_for: AwareDatetime | None = Field(
        default=None, description="required when scheduled", examples=["2026-03-05T09:00:00+01:00"]
    )
    occurred_at: AwareDatetime | None = Field(
        default=None, description="when it took place (done, no_show); default: now"
    )
    branch: str | None = Field(
        default=None, min_length=1, max_length=200, examples=["Milano Centrale"]
    )
    address: str | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="home visits; default: the customer's address attribute",
    )
    staff: str | None = Field(default=None, min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=2_000, examples=["lettura del contatore"])
    outcome: str | None = Field(default=None, min_length=1, max_length=5_000)
    notes: str | None = Field(default=None, min_length=1, max_length=10_000)


class VisitUpdate(StrictIn):
    """What changes; a field left out stays as it is."""

    status: VisitStatus | None = Field(default=None, examples=["done"])
    scheduled_for: AwareDatetime | None = None
    occurred_at: AwareDatetime | None = None
    branch: str | None = Field(default=None, min_length=1, max_length=200)
    address: str | None = Field(default=None, min_length=1, max_length=500)
    staff: str | None = Field(default=None, min_length=1, max_length=200)
    reason: str | None = Field(default=None, min_length=1, max_length=2_000)
    outcome: str | None = Field(default=None, min_length=1, max_length=5_000)
    notes: str | None = Field(default=None, min_length=1, max_length=10_000)


class VisitOut(BaseModel):
    visit: InteractionOut
    customer: CustomerSummaryOut


@router.post("/customers/{customer_id}/letters", status_code=status.HTTP_201_CREATED)
def upload_letter(
    customer_id: uuid.UUID,
    session: SessionDep,
    actor: ApiActor,
    file: Annotated[UploadFile, File(description="the scan: PDF, PNG, JPEG or TIFF")],
    text: Annotated[str | None, Form(max_length=100_000, description="a summary")] = None,
    direction: Annotated[Literal["inbound", "outbound"], Form()] = "inbound",
    received_at: Annotated[AwareDatetime | None, Form()] = None,
    sent_at: Annotated[AwareDatetime | None, Form()] = None,
) -> InteractionOut:
    """Put a scanned letter on the customer's timeline (413 above the size limit)."""
    # One byte past the limit is enough to know the scan is too large.
    data = file.file.read(offline.MAX_LETTER_BYTES + 1)
    upload = LetterUpload(
        data=data,
        filename=file.filename,
        text=text,
        direction=Direction(direction),
        received_at=received_at,
        sent_at=sent_at,
    )
    return InteractionOut.of(do_upload_letter(session, actor, customer_id, upload))


@router.post("/customers/{customer_id}/visits", status_code=status.HTTP_201_CREATED)
def record_visit(
    customer_id: uuid.UUID, body: VisitCreate, session: SessionDep, actor: ApiActor
) -> InteractionOut:
    """Record a branch or home visit: scheduled, or already done, cancelled or missed."""
    visit = Visit(**body.model_dump())
    return InteractionOut.of(do_record_visit(session, actor, customer_id, visit))


@router.patch("/visits/{interaction_id}")
def update_visit(
    interaction_id: uuid.UUID, body: VisitUpdate, session: SessionDep, actor: ApiActor
) -> InteractionOut:
    """Record a visit's outcome, a new date or its cancellation on the same interaction."""
    changes = VisitChanges(**body.model_dump())
    return InteractionOut.of(do_update_visit(session, actor, interaction_id, changes))


@router.get("/visits")
def list_all(
    session: SessionDep,
    actor: ApiActor,
    status_: VisitStatus | None = Query(default=None, alias="status"),
    kind: VisitKind | None = None,
    due_before: AwareDatetime | None = None,
    customer_id: uuid.UUID | None = None,
    limit: int | None = Query(default=None, ge=1, le=offline.MAX_LIST_LIMIT),
) -> list[VisitOut]:
    """Visits, vulnerable customers first, then the earliest due (one list of at most 500)."""
    found = list_visits(
        session,
        actor,
        VisitFilter(status=status_, kind=kind, due_before=due_before, customer_id=customer_id),
        limit=limit,
    )
    return [
        VisitOut(visit=InteractionOut.of(i), customer=CustomerSummaryOut.of(c)) for i, c in found
    ]
