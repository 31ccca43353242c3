"""Retry delays: exponential with jitter, capped, or what the other side asked for."""

from __future__ import annotations

import random
from datetime import timedelta

BASE_DELAY = timedelta(seconds=2)
MAX_DELAY = timedelta(hours=1)


def backoff(attempt: int, retry_after: float | None = None) -> timedelta:
    """The wait before try ``attempt + 1``."""
    if retry_after is not None and retry_after > 0:
        return min(timedelta(seconds=retry_after), MAX_DELAY)
    seconds = BASE_DELAY.total_seconds() * 2 ** (attempt - 1)
    jitter = random.uniform(0.8, 1.2)  # noqa: S311 - spreading retries, not security
    return min(timedelta(seconds=seconds * jitter), MAX_DELAY)
