"""Canned responses: reply texts an operator inserts in the composer by typing ``/shortcut``.

A response belongs to one locale and either to every team (``team_id`` None) or to one team;
an operator is offered the responses of their own team and the shared ones. The shortcut is
unique per locale, so ``/bolletta`` means one text in Italian and one in English.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import or_, select, tuple_
from sqlalchemy.orm import Session

from unisono.errors import Conflict, Invalid, NotFound
from unisono.ids import parse_uuid
from unisono.inbox.ingest import MAX_TEXT_LENGTH
from unisono.models import CannedResponse, Role, Team
from unisono.pagination import Page, clamp_limit, decode_cursor, encode_cursor
from unisono.security.actor import Actor
from unisono.security.audit import record_audit
from unisono.security.permissions import require_role

SHORTCUT = re.compile(r"[a-z0-9-]{1,64}")
LOCALES = ("it", "en")
MAX_TITLE_LENGTH = 200
# How many matches the composer's list shows for a prefix.
SUGGESTIONS = 8
# Team-wide texts: the people who run a team write them, agents use them.
EDITORS = (Role.SUPERVISOR, Role.ADMIN)


@dataclass(frozen=True, slots=True)
class CannedChanges:
    """What an update changes; None leaves a field as it is (``team_set`` for the team)."""

    shortcut: str | None = None
    locale: str | None = None
    title: str | None = None
    body: str | None = None
    team: str | None = None
    team_set: bool = False


def _shortcut(value: str) -> str:
    value = value.strip().removeprefix("/")
    if not SHORTCUT.fullmatch(value):
        raise Invalid(
            "a shortcut is 1 to 64 lower-case letters, digits or dashes, e.g. 'bolletta-errata'",
            reason="invalid_shortcut",
        )
    return value


def _locale(value: str) -> str:
    if value not in LOCALES:
        raise Invalid(f"locale is one of {', '.join(LOCALES)}", reason="invalid_locale")
    return value


def _title(value: str) -> str:
    value = value.strip()
    if not value or len(value) > MAX_TITLE_LENGTH:
        raise Invalid(f"the title is 1 to {MAX_TITLE_LENGTH} characters", reason="invalid_title")
    return value


def _body(value: str) -> str:
    value = value.strip()
    if not value or len(value) > MAX_TEXT_LENGTH:
        raise Invalid(f"the text is 1 to {MAX_TEXT_LENGTH} characters", reason="invalid_body")
    return value


def _team_id(session: Session, ref: str | None) -> uuid.UUID | None:
    if not ref:
        return None
    team_id = parse_uuid(ref)
    team = (
        session.get(Team, team_id)
        if team_id
        else session.scalar(select(Team).where(Team.slug == ref))
    )
    if team is None:
        raise Invalid(f"no team '{ref}'", reason="unknown_team")
    return team.id


def _check_free(
    session: Session, shortcut: str, locale: str, current: uuid.UUID | None = None
) -> None:
    taken = session.scalar(
        select(CannedResponse.id).where(
            CannedResponse.shortcut == shortcut, CannedResponse.locale == locale
        )
    )
    if taken is not None and taken != current:
        raise Conflict(
            f"the shortcut /{shortcut} is already used in {locale}", reason="shortcut_taken"
        )


def get_canned(session: Session, canned_id: uuid.UUID) -> CannedResponse:
    """The canned response ``canned_id``, or NotFound."""
    canned = session.get(CannedResponse, canned_id)
    if canned is None:
        raise NotFound(f"no canned response {canned_id}")
    return canned


def do_create_canned(
    session: Session,
    actor: Actor,
    *,
    shortcut: str,
    title: str,
    body: str,
    locale: str = "it",
    team: str | None = None,
) -> CannedResponse:
    """A new canned response (supervisors and admins); the shortcut must be free in its locale."""
    require_role(actor, EDITORS, "write canned responses")
    canned = CannedResponse(
        shortcut=_shortcut(shortcut),
        locale=_locale(locale),
        title=_title(title),
        body=_body(body),
        team_id=_team_id(session, team),
        created_by_id=actor.operator_id,
    )
    _check_free(session, canned.shortcut, canned.locale)
    session.add(canned)
    session.flush()
    record_audit(
        session,
        actor,
        "canned.created",
        "canned_response",
        canned.id,
        details={"shortcut": canned.shortcut},
    )
    return canned


def do_update_canned(
    session: Session, actor: Actor, canned: CannedResponse, changes: CannedChanges
) -> list[str]:
    """Apply ``changes``; returns the names of the fields that changed."""
    require_role(actor, EDITORS, "write canned responses")
    wanted = {
        "shortcut": _shortcut(changes.shortcut) if changes.shortcut is not None else None,
        "locale": _locale(changes.locale) if changes.locale is not None else None,
        "title": _title(changes.title) if changes.title is not None else None,
        "body": _body(changes.body) if changes.body is not None else None,
    }
    changed = [
        name
        for name, value in wanted.items()
        if value is not None and value != getattr(canned, name)
    ]
    if "shortcut" in changed or "locale" in changed:
        _check_free(
            session,
            wanted["shortcut"] or canned.shortcut,
            wanted["locale"] or canned.locale,
            canned.id,
        )
    for name in changed:
        setattr(canned, name, wanted[name])
    if changes.team_set:
        team_id = _team_id(session, changes.team)
        if team_id != canned.team_id:
            canned.team_id = team_id
            changed.append("team")
    if changed:
        session.flush()
        record_audit(
            session,
            actor,
            "canned.updated",
            "canned_response",
            canned.id,
            details={"fields": changed},
        )
    return changed


def do_delete_canned(session: Session, actor: Actor, canned: CannedResponse) -> None:
    """Delete a canned response (texts already sent with it are unaffected)."""
    require_role(actor, EDITORS, "write canned responses")
    record_audit(
        session,
        actor,
        "canned.deleted",
        "canned_response",
        canned.id,
        details={"shortcut": canned.shortcut},
    )
    session.delete(canned)
    session.flush()


def list_canned(
    session: Session,
    *,
    locale: str | None = None,
    team: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[CannedResponse]:
    """Canned responses by shortcut (then id), optionally of one locale or team."""
    size = clamp_limit(limit)
    query = select(CannedResponse)
    if locale is not None:
        query = query.where(CannedResponse.locale == _locale(locale))
    if team:
        query = query.where(CannedResponse.team_id == _team_id(session, team))
    if cursor:
        shortcut, last = decode_cursor(cursor, 2)
        last_id = parse_uuid(last)
        if last_id is None:
            raise Invalid("the cursor is not valid; use next_cursor from a previous page")
        query = query.where(
            tuple_(CannedResponse.shortcut, CannedResponse.id) > tuple_(shortcut, last_id)
        )
    rows = list(
        session.scalars(query.order_by(CannedResponse.shortcut, CannedResponse.id).limit(size + 1))
    )
    page = rows[:size]
    next_cursor = (
        encode_cursor(page[-1].shortcut, str(page[-1].id)) if len(rows) > size and page else None
    )
    return Page(page, next_cursor)


def find_canned(
    session: Session, actor: Actor, prefix: str, *, locale: str | None = None
) -> list[CannedResponse]:
    """The responses whose shortcut starts with ``prefix`` that ``actor`` may use: shared ones
    and their team's, in their locale (default: the operator's console language)."""
    prefix = prefix.strip().removeprefix("/").lower()
    # A prefix that no shortcut can start with matches nothing (and needs no query).
    if prefix and not SHORTCUT.fullmatch(prefix):
        return []
    operator = actor.operator
    locale = locale if locale in LOCALES else (operator.locale if operator else LOCALES[0])
    team_id = operator.team_id if operator else None
    query = select(CannedResponse).where(
        CannedResponse.locale == locale,
        or_(CannedResponse.team_id.is_(None), CannedResponse.team_id == team_id)
        if team_id
        else CannedResponse.team_id.is_(None),
    )
    if prefix:
        # Shortcuts hold no LIKE wildcards (checked above), so the prefix is matched literally.
        query = query.where(CannedResponse.shortcut.startswith(prefix))
    return list(session.scalars(query.order_by(CannedResponse.shortcut).limit(SUGGESTIONS)))
