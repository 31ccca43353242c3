"""Factories for API tests: ingesting interactions through the HTTP API."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

Ingest = Callable[..., dict[str, Any]]
_counter = itertools.count()

BASE_TIME = datetime(2026, 3, 2, 8, 10, tzinfo=UTC)


@pytest.fixture
def ingest(api: TestClient) -> Ingest:
    """``ingest(text=..., channel=..., kind=..., value=..., at=..., expect=201)`` -> the JSON."""

    def post(
        text: str = "la bolletta è sbagliata",
        *,
        channel: str = "whatsapp",
        kind: str = "phone",
        value: str = "+39 333 1234567",
        at: datetime | None = None,
        direction: str = "inbound",
        external_id: str | None = None,
        expect: int = 201,
        **extra: Any,
    ) -> dict[str, Any]:
        body = {
            "channel": channel,
            "identity": {"kind": kind, "value": value},
            "direction": direction,
            "text": text,
            "occurred_at": (at or BASE_TIME).isoformat(),
            "external_id": external_id or f"ext-{next(_counter)}",
            **extra,
        }
        response = api.post("/api/v1/interactions", json=body)
        assert response.status_code == expect, response.text
        result: dict[str, Any] = response.json()
        return result

    return post


def later(**delta: float) -> datetime:
    return BASE_TIME + timedelta(**delta)


def ago(**delta: float) -> datetime:
    """A moment before now (for rules that depend on the real clock, like service windows)."""
    return datetime.now(UTC) - timedelta(**delta)
