"""Channel kinds and configured channels (touchpoints with their settings and credentials)."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from unisono.models.base import Base, CreatedMixin, IdMixin


class ChannelKind(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"
    WHATSAPP = "whatsapp"
    MESSENGER = "messenger"
    FACEBOOK_COMMENTS = "facebook_comments"
    X = "x"
    WEBCHAT = "webchat"
    APP = "app"
    VOICE = "voice"
    LETTER = "letter"
    BRANCH_VISIT = "branch_visit"
    HOME_VISIT = "home_visit"


class Channel(IdMixin, CreatedMixin, Base):
    __tablename__ = "channels"

    kind: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(200))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Encrypted at rest by the security layer; never returned by the API.
    credentials_encrypted: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
