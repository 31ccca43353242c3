"""RFC 9457 problem+json responses for every error the API can answer with."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from unisono.errors import UnisonoError

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    code: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem+json response."""
    body = {
        "type": f"https://unisono.dev/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return JSONResponse(
        jsonable_encoder(body), status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


def _describe(error: dict[str, Any]) -> str:
    where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
    return f"{where}: {error.get('msg', 'invalid')}"


class RefuseNul:
    """Refuse NUL in paths and query strings up front: PostgreSQL cannot store or compare it.

    A plain ASGI middleware: ``@app.middleware("http")`` wraps every request in extra tasks and
    streams, a cost paid by every webhook.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope.get("raw_path") or b""
            query = scope.get("query_string") or b""
            if any(b"%00" in part or b"\x00" in part for part in (path, query)):
                response = problem(
                    422,
                    "Invalid request",
                    "the URL must not contain NUL (%00) characters",
                    code="invalid_request",
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error, expected or not, leave the API as problem+json."""

    app.add_middleware(RefuseNul)

    @app.exception_handler(UnisonoError)
    async def _domain(_request: Request, exc: UnisonoError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return problem(
            exc.status, exc.title, exc.detail, code=exc.code, headers=headers, **exc.extra
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")}
            for e in exc.errors()
        ]
        detail = "; ".join(_describe(e) for e in errors[:5]) or "the request is not valid"
        return problem(422, "Invalid request", detail, code="invalid_request", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else "request failed"
        headers = dict(exc.headers) if exc.headers else None
        return problem(
            exc.status_code, detail, detail, code=f"http_{exc.status_code}", headers=headers
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(
            500,
            "Internal error",
            "an unexpected error occurred; it has been logged",
            code="internal",
        )
