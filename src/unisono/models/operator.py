"""Operators (the people using the console), their teams and their API tokens."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from unisono.models.base import Base, CreatedMixin, IdMixin


class Role(enum.StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    DESIGNER = "designer"
    COMPLIANCE = "compliance"
    ADMIN = "admin"


class Team(IdMixin, CreatedMixin, Base):
    __tablename__ = "teams"

    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Operator(IdMixin, CreatedMixin, Base):
    __tablename__ = "operators"

    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )
    password_hash: Mapped[str | None] = mapped_column(String(200))
    team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("teams.id"), index=True)
    locale: Mapped[str] = mapped_column(String(10), default="it")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Rome")
    active: Mapped[bool] = mapped_column(default=True)

    team: Mapped[Team | None] = relationship(lazy="joined")


class ApiToken(IdMixin, CreatedMixin, Base):
    __tablename__ = "api_tokens"

    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    # Only a SHA-256 of the token is kept: a leaked table does not leak credentials.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    operator: Mapped[Operator] = relationship(lazy="joined")
