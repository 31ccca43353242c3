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
