"""Operators and API tokens: creating them, and authenticating a password or a bearer token."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from unisono.clock import utcnow
from unisono.errors import Conflict, Invalid, NotFound, Unauthenticated
from unisono.identity.normalize import normalize_email
from unisono.models import ApiToken, Operator, Role, Team
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


def authenticate_password(session: Session, email: str, password: str) -> Operator:
    """The active operator with these credentials, or Unauthenticated (same error for both)."""
    try:
        operator = get_operator_by_email(session, email)
    except (NotFound, Invalid):
        operator = None
    if (
        operator is None
        or not operator.active
        or not verify_password(operator.password_hash, password)
    ):
        raise Unauthenticated("wrong email or password")
    return operator


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
