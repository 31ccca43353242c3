"""Opaque cursors for keyset pagination (``?cursor=&limit=``)."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from unisono.errors import Invalid

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(*values: str) -> str:
    """An opaque, URL-safe cursor holding ``values``."""
    raw = json.dumps(list(values), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[str]:
    """The ``arity`` values inside ``cursor``; Invalid when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid("the cursor is not valid; use next_cursor from a previous page") from exc
    if not isinstance(values, list) or len(values) != arity:
        raise Invalid("the cursor is not valid; use next_cursor from a previous page")
    if not all(isinstance(v, str) for v in values):
        raise Invalid("the cursor is not valid; use next_cursor from a previous page")
    return values


def time_id_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """A ``(time, id)`` keyset position decoded from ``cursor``."""
    at, ident = decode_cursor(cursor, 2)
    try:
        when = datetime.fromisoformat(at)
        return when, uuid.UUID(ident)
    except ValueError as exc:
        raise Invalid("the cursor is not valid; use next_cursor from a previous page") from exc


def clamp_limit(limit: int | None) -> int:
    """``limit`` within 1..MAX_LIMIT (DEFAULT_LIMIT when missing)."""
    if limit is None:
        return DEFAULT_LIMIT
    if limit < 1 or limit > MAX_LIMIT:
        raise Invalid(f"limit must be between 1 and {MAX_LIMIT}")
    return limit
