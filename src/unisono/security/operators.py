"""Operators and API tokens: creating them, and authenticating a password or a bearer token."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from unisono.clock import utcnow
from unisono.errors import Conflict, Invalid, NotFound, Unauthenticated
from unisono.identity.normalize import normalize_email
from unisono.models import ApiToken, Operator, Role, Team
from unisono.security.actor import Actor
from unisono.security.audit import record_audit
from unisono.security.passwords import MIN_PASSWORD_LENGTH, hash_password, verify_password

TOKEN_PREFIX = "uns_"  # noqa: S105 - a public prefix, not a secret


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def do_create_operator(
    session: Session,
    email: str,
    *,
    name: str,
    role: Role | str,
    password: str,
    team: Team | None = None,
    locale: str = "it",
) -> Operator:
    """A new operator; the email must be free and the password long enough."""
    address = normalize_email(email)
    try:
        role = Role(role)
    except ValueError as exc:
        raise Invalid(f"'{role}' is not a role; use one of {', '.join(Role)}") from exc
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if not name.strip():
        raise Invalid("the operator needs a name")
    if session.scalar(select(Operator.id).where(Operator.email == address)):
        raise Conflict(f"an operator with email {address} exists already")
    operator = Operator(
        email=address,
        name=name.strip(),
        role=role,
        password_hash=hash_password(password),
        team_id=team.id if team else None,
        locale=locale,
    )
    session.add(operator)
    session.flush()
    return operator


def get_operator_by_email(session: Session, email: str) -> Operator:
    """The operator with ``email``, or NotFound."""
    operator = session.scalar(select(Operator).where(Operator.email == normalize_email(email)))
    if operator is None:
        raise NotFound(f"no operator with email {email.strip()}")
    return operator


# Checked when the email is unknown, so a failed login takes as long whoever was asked for.
_DUMMY_HASH = hash_password("unisono-timing-equaliser")


def authenticate_password(session: Session, email: str, password: str) -> Operator:
    """The active operator with these credentials, or Unauthenticated (same error for both)."""
    try:
        operator: Operator | None = get_operator_by_email(session, email)
    except (NotFound, Invalid):
        operator = None
    valid = verify_password(operator.password_hash if operator else _DUMMY_HASH, password)
    if operator is None or not operator.active or not valid:
        raise Unauthenticated("wrong email or password")
    return operator


def do_login(session: Session, email: str, password: str, *, ip: str | None) -> Operator:
    """Authenticate for the console; successes and failures both leave an audit event."""
    try:
        operator = authenticate_password(session, email, password)
    except Unauthenticated:
        record_audit(
            session,
            Actor(operator=None, via="console", ip=ip),
            "operator.login_failed",
            "operator",
            None,
            details={"email": email.strip()[:320]},
        )
        raise
    record_audit(
        session,
        Actor(operator=operator, via="console", ip=ip),
        "operator.login",
        "operator",
        operator.id,
    )
    return operator


SUPPORTED_LOCALES = ("it", "en")


def do_update_preferences(
    session: Session, actor: Actor, *, locale: str | None = None, timezone: str | None = None
) -> list[str]:
    """Change the acting operator's language or time zone; returns what changed."""
    operator = actor.operator
    if operator is None:
        raise Unauthenticated("only an operator has preferences")
    changed = []
    if locale is not None:
        if locale not in SUPPORTED_LOCALES:
            raise Invalid(
                f"'{locale}' is not a console language; use {', '.join(SUPPORTED_LOCALES)}"
            )
        if operator.locale != locale:
            operator.locale = locale
            changed.append("locale")
    if timezone is not None:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise Invalid(f"'{timezone}' is not a time zone such as Europe/Rome") from exc
        if operator.timezone != timezone:
            operator.timezone = timezone
            changed.append("timezone")
    if changed:
        record_audit(
            session,
            actor,
            "operator.preferences",
            "operator",
            operator.id,
            details={"fields": changed},
        )
    return changed


def do_create_token(session: Session, operator: Operator, name: str = "") -> str:
    """A new API token for ``operator``; only its hash is stored, so show it now or never."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            operator_id=operator.id,
            name=name,
            token_hash=_token_hash(token),
            prefix=token[: len(TOKEN_PREFIX) + 6],
        )
    )
    session.flush()
    return token


def authenticate_token(session: Session, token: str) -> Operator:
    """The active operator who owns the unrevoked ``token``, or Unauthenticated."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        raise Unauthenticated("the bearer token is not an Unisono API token")
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if row is None or row.revoked_at is not None or not row.operator.active:
        raise Unauthenticated("the bearer token is unknown or revoked")
    now = utcnow()
    # Writing on every request would serialise SQLite; a minute's precision is enough.
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        row.last_used_at = now
    return row.operator


def operator_names(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The names of the operators ``ids`` (for showing who wrote a reply or a note)."""
    if not ids:
        return {}
    rows = session.execute(select(Operator.id, Operator.name).where(Operator.id.in_(ids)))
    return dict(rows.tuples().all())
