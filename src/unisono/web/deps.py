"""Typed request dependencies: the database session and the authenticated operator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from unisono.errors import Unauthenticated
from unisono.security.actor import Actor
from unisono.security.operators import authenticate_token


def get_session(request: Request) -> Iterator[Session]:
    """A session committed before the response is sent, rolled back on any error."""
    session: Session = request.app.state.sessions()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": commit runs before the response, so a 2xx means the data is stored.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def get_api_actor(request: Request, session: SessionDep) -> Actor:
    """The operator behind the request's ``Authorization: Bearer`` token."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("send an API token as 'Authorization: Bearer <token>'")
    operator = authenticate_token(session, token.strip())
    return Actor(operator=operator, via="api", ip=client_ip(request))


ApiActor = Annotated[Actor, Depends(get_api_actor)]
