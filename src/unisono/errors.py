"""The one error base of the domain: a stable code, an HTTP status and a user-safe message."""

from __future__ import annotations

from typing import Any


class UnisonoError(Exception):
    """A failure the caller can understand and act on; the web layer turns it into problem+json."""

    code = "error"
    status = 400
    title = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(UnisonoError):
    code = "not_found"
    status = 404
    title = "Not found"


class Invalid(UnisonoError):
    code = "invalid"
    status = 422
    title = "Invalid input"


class Conflict(UnisonoError):
    code = "conflict"
    status = 409
    title = "Conflict"


class Unauthenticated(UnisonoError):
    code = "unauthenticated"
    status = 401
    title = "Authentication required"


class Forbidden(UnisonoError):
    code = "forbidden"
    status = 403
    title = "Forbidden"
