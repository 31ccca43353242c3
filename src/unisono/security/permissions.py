"""Role checks: which roles may configure what."""

from __future__ import annotations

from collections.abc import Iterable

from unisono.errors import Forbidden
from unisono.models import Role
from unisono.security.actor import Actor


def require_role(actor: Actor, roles: Iterable[Role], doing: str) -> None:
    """Forbidden unless ``actor`` is an operator with one of ``roles`` (the system may always)."""
    allowed = set(roles)
    if actor.operator is None:
        return
    if actor.role not in allowed:
        names = " or ".join(sorted(r.value for r in allowed))
        raise Forbidden(f"only {names} operators may {doing}")
