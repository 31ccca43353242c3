"""Canned responses: the reply texts operators insert with ``/shortcut`` in the composer."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from unisono.inbox.canned import (
    CannedChanges,
    do_create_canned,
    do_delete_canned,
    do_update_canned,
    get_canned,
    list_canned,
)
from unisono.models import CannedResponse
from unisono.web.api.schemas import PageOut, StrictIn
from unisono.web.deps import ApiActor, SessionDep

router = APIRouter(prefix="/canned-responses", tags=["canned responses"])

SHORTCUT_PATTERN = r"^/?[a-z0-9-]{1,64}$"


class CannedResponseCreate(StrictIn):
    shortcut: str = Field(
        pattern=SHORTCUT_PATTERN, examples=["bolletta-errata"], description="typed after /"
    )
    locale: str = Field(default="it", pattern=r"^(it|en)$")
    title: str = Field(min_length=1, max_length=200, examples=["Bolletta errata: verifica"])
    body: str = Field(min_length=1, max_length=100_000)
    team: str | None = Field(
        default=None, max_length=64, description="team id or slug; null: every team"
    )


class CannedResponseUpdate(StrictIn):
    shortcut: str | None = Field(default=None, pattern=SHORTCUT_PATTERN)
    locale: str | None = Field(default=None, pattern=r"^(it|en)$")
    title: str | None = Field(default=None, min_length=1, max_length=200)
    body: str | None = Field(default=None, min_length=1, max_length=100_000)
    team: str | None = Field(
        default=None, max_length=64, description="team id or slug; null: every team"
    )


class CannedResponseOut(BaseModel):
    id: uuid.UUID
    shortcut: str
    locale: str
    title: str
    body: str
    team_id: uuid.UUID | None
    created_by_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, c: CannedResponse) -> CannedResponseOut:
        return cls(
            id=c.id,
            shortcut=c.shortcut,
            locale=c.locale,
            title=c.title,
            body=c.body,
            team_id=c.team_id,
            created_by_id=c.created_by_id,
            created_at=c.created_at,
            updated_at=c.updated_at,
        )


@router.get("")
def list_all(
    session: SessionDep,
    actor: ApiActor,
    locale: str | None = Query(default=None, pattern=r"^(it|en)$"),
    team: str | None = Query(default=None, max_length=64, description="team id or slug"),
    cursor: str | None = Query(default=None, max_length=500),
    limit: int | None = Query(default=None, ge=1, le=200),
) -> PageOut[CannedResponseOut]:
    """Canned responses by shortcut."""
    del actor  # any operator may read them
    page = list_canned(session, locale=locale, team=team, cursor=cursor, limit=limit)
    return PageOut(
        items=[CannedResponseOut.of(c) for c in page.items], next_cursor=page.next_cursor
    )


@router.post("", status_code=status.HTTP_201_CREATED)
def create(body: CannedResponseCreate, session: SessionDep, actor: ApiActor) -> CannedResponseOut:
    """A new canned response (supervisors and admins); the shortcut is unique per locale."""
    canned = do_create_canned(
        session,
        actor,
        shortcut=body.shortcut,
        title=body.title,
        body=body.body,
        locale=body.locale,
        team=body.team,
    )
    return CannedResponseOut.of(canned)


@router.get("/{canned_id}")
def get_one(canned_id: uuid.UUID, session: SessionDep, actor: ApiActor) -> CannedResponseOut:
    del actor  # any operator may read them
    return CannedResponseOut.of(get_canned(session, canned_id))


@router.patch("/{canned_id}")
def update(
    canned_id: uuid.UUID, body: CannedResponseUpdate, session: SessionDep, actor: ApiActor
) -> CannedResponseOut:
    """Change the shortcut, locale, title, text or team (null team: every team)."""
    canned = get_canned(session, canned_id)
    do_update_canned(
        session,
        actor,
        canned,
        CannedChanges(
            shortcut=body.shortcut,
            locale=body.locale,
            title=body.title,
            body=body.body,
            team=body.team,
            team_set="team" in body.model_fields_set,
        ),
    )
    return CannedResponseOut.of(canned)


@router.delete("/{canned_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete(canned_id: uuid.UUID, session: SessionDep, actor: ApiActor) -> None:
    do_delete_canned(session, actor, get_canned(session, canned_id))
