"""Console sign-in state: a signed session cookie and CSRF tokens bound to it.

The cookie holds a random session id, the operator id (None before login) and a stamp derived
from the operator's password hash, signed with the configured secret key. Nothing is kept in
process memory, so any number of API processes accept the same cookie. The operator is loaded
again on every request: a deactivated operator or a changed password ends the session at once.

The CSRF token of a form is an HMAC of the session id, so it needs no storage either; the login
form gets one too (from a session without an operator) against login CSRF. Logging in starts a
new session id, so a token or cookie planted before login is worthless after it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Form, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session
from starlette.responses import Response

from unisono.config import get_settings
from unisono.ids import parse_uuid
from unisono.models import Operator
from unisono.security.actor import Actor
from unisono.web.deps import SessionDep, client_ip

SESSION_COOKIE = "unisono_session"
# A working day and then some; after that the operator signs in again.
SESSION_MAX_AGE = 12 * 60 * 60
CSRF_FIELD = "csrf_token"
_SALT = "unisono.console.session"


class LoginRequired(Exception):
    """No valid operator session: the browser goes to the login page, then back to ``next``."""

    def __init__(self, next_path: str = "/") -> None:
        super().__init__("login required")
        self.next_path = next_path


class CsrfRejected(Exception):
    """A form came without the token of the browser's session (forged, or the session ended)."""


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    """What the session cookie says: who is signed in (if anyone) in which browser session."""

    sid: str
    operator_id: uuid.UUID | None = None
    stamp: str = ""

    @property
    def csrf_token(self) -> str:
        return _mac("csrf", self.sid)


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in operator as pages show them: plain values, usable after the session closes."""

    id: uuid.UUID
    name: str
    email: str
    role: str
    locale: str
    timezone: str

    @classmethod
    def of(cls, operator: Operator) -> Viewer:
        return cls(
            id=operator.id,
            name=operator.name,
            email=operator.email,
            role=operator.role.value,
            locale=operator.locale,
            timezone=operator.timezone,
        )


def _mac(purpose: str, value: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def _serializer() -> URLSafeTimedSerializer:
    # Read the key per call: settings are read once per process, but tests may override them.
    return URLSafeTimedSerializer(get_settings().secret_key, salt=_SALT)


def credential_stamp(operator: Operator) -> str:
    """Changes whenever the operator's password does, which ends every session they hold."""
    return _mac("stamp", f"{operator.id}:{operator.password_hash or ''}")[:32]


def new_session(operator: Operator | None = None) -> ConsoleSession:
    """A fresh browser session, signed in as ``operator`` or anonymous."""
    return ConsoleSession(
        sid=secrets.token_urlsafe(18),
        operator_id=operator.id if operator else None,
        stamp=credential_stamp(operator) if operator else "",
    )


def read_session(request: Request) -> ConsoleSession | None:
    """The session of the request's cookie; None when missing, forged, expired or malformed."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        data: Any = _serializer().loads(raw, max_age=SESSION_MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    sid, operator, stamp = data.get("sid"), data.get("op"), data.get("st", "")
    if not isinstance(sid, str) or not sid or not isinstance(stamp, str):
        return None
    if operator is not None and not isinstance(operator, str):
        return None
    operator_id = parse_uuid(operator) if operator else None
    if operator and operator_id is None:
        return None
    return ConsoleSession(sid=sid, operator_id=operator_id, stamp=stamp)


def store_session(response: Response, request: Request, state: ConsoleSession) -> None:
    """Set the session cookie on ``response``."""
    value = _serializer().dumps(
        {
            "sid": state.sid,
            "op": str(state.operator_id) if state.operator_id else None,
            "st": state.stamp,
        }
    )
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=SESSION_MAX_AGE,
        path="/",
        httponly=True,
        samesite="lax",
        # Behind a TLS proxy uvicorn's proxy headers make the scheme https.
        secure=request.url.scheme == "https",
    )


def clear_session(response: Response, request: Request) -> None:
    """Remove the session cookie."""
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def signed_in_operator(session: Session, state: ConsoleSession | None) -> Operator | None:
    """The active operator ``state`` is signed in as, if the cookie still speaks for them."""
    if state is None or state.operator_id is None:
        return None
    operator = session.get(Operator, state.operator_id)
    if operator is None or not operator.active:
        return None
    if not hmac.compare_digest(state.stamp, credential_stamp(operator)):
        return None
    return operator


def check_csrf(state: ConsoleSession | None, token: str) -> None:
    """Raise CsrfRejected unless ``token`` belongs to the browser session ``state``."""
    if state is None or not token or not hmac.compare_digest(token, state.csrf_token):
        raise CsrfRejected


def request_path(request: Request) -> str:
    """The path and query of ``request``: where to come back to."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def console_actor(request: Request, session: SessionDep) -> Actor:
    """The signed-in operator acting through the console; LoginRequired when there is none."""
    state = read_session(request)
    operator = signed_in_operator(session, state)
    if operator is None or state is None:
        raise LoginRequired(request_path(request) if request.method == "GET" else "/")
    # Error pages render after the database session is gone: keep plain values for them.
    request.state.console_session = state
    request.state.viewer = Viewer.of(operator)
    return Actor(operator=operator, via="console", ip=client_ip(request))


def require_csrf(request: Request, csrf_token: Annotated[str, Form()] = "") -> None:
    """Every console form posts the session's token; anything else is refused with a 403."""
    check_csrf(read_session(request), csrf_token)


ConsoleActor = Annotated[Actor, Depends(console_actor)]
CsrfChecked = Annotated[None, Depends(require_csrf)]
