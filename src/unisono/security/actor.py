"""Who is acting on a request: the operator, through which surface, from where."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from unisono.models import Operator, Role


@dataclass(frozen=True, slots=True)
class Actor:
    """The operator behind a service call, or the system itself when ``operator`` is None."""

    operator: Operator | None
    via: str = "api"
    ip: str | None = None

    @property
    def operator_id(self) -> uuid.UUID | None:
        return self.operator.id if self.operator else None

    @property
    def role(self) -> Role | None:
        return self.operator.role if self.operator else None


SYSTEM = Actor(operator=None, via="system")
