"""Settings read once at start-up from ``UNISONO_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_KEY = "development-only-secret-key-do-not-use-in-production"  # noqa: S105


class Settings(BaseSettings):
    """Everything an Unisono process needs to know about its environment."""

    model_config = SettingsConfigDict(env_prefix="UNISONO_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///./var/unisono.db"
    secret_key: str = DEV_SECRET_KEY
    default_region: str = Field(default="IT", min_length=2, max_length=2)
    thread_window_days: float = Field(default=7.0, gt=0)
    default_locale: Literal["it", "en"] = "it"
    default_timezone: str = "Europe/Rome"
    sql_echo: bool = False
    # Older secret keys that still decrypt stored credentials while they are re-encrypted.
    previous_secret_keys: list[str] = Field(default_factory=list)
    # Where fetched media (recordings, attachments, scanned letters) are kept.
    media_dir: str = "./var/media"
    # Run the in-process worker inside each API process (embedded mode).
    embedded_worker: bool = True
    # The largest webhook body accepted (Meta's deliveries stay under 3 MB); larger ones get 413.
    webhook_max_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    # Answer targets (SLA) by conversation priority, in minutes: for the first answer and for
    # each next one after the customer writes again.
    sla_urgent_minutes: float = Field(default=15, gt=0)
    sla_high_minutes: float = Field(default=60, gt=0)
    sla_normal_minutes: float = Field(default=4 * 60, gt=0)
    sla_low_minutes: float = Field(default=24 * 60, gt=0)
    # Live console updates: how often an open page's stream looks for changes, how often it
    # sends a heartbeat, and how long it lives before the browser reconnects.
    live_poll_seconds: float = Field(default=1.0, gt=0)
    live_heartbeat_seconds: float = Field(default=15.0, gt=0)
    live_lifetime_seconds: float = Field(default=300.0, gt=0)
    # The most parts an SMS from a template may take per recipient, checked at send time after
    # personalisation (a long name or one accented letter can add parts or switch to UCS-2).
    studio_max_sms_segments: int = Field(default=3, ge=1, le=10)
    # The domains templates may link to (a JSON list, e.g. ["energiachiara.it"]); links
    # elsewhere are lint errors. Empty: any https link.
    studio_link_domains: list[str] = Field(default_factory=list)

    @property
    def link_allowlist(self) -> list[str] | None:
        """``studio_link_domains`` as the linter takes it (None when every domain is allowed)."""
        return self.studio_link_domains or None

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        # A development secret in production would let anyone forge console sessions.
        if self.env == "production" and (
            self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32
        ):
            raise ValueError(
                "UNISONO_SECRET_KEY must be set to a random value of at least 32 characters "
                "when UNISONO_ENV=production"
            )
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return Settings()
