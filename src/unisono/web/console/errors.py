"""Console errors as pages: sign-in redirects, 403 for a bad CSRF token, 404 and 500 pages.

The app's problem+json handlers stay in charge of the API and the webhooks; for every other path
(the console's) the same exceptions render an HTML page in the operator's language. The handlers
run after the request's database session has been rolled back and closed, so pages use only the
plain values the request state kept (never ORM objects).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from unisono.errors import NotFound, UnisonoError
from unisono.web.console.auth import (
    CsrfRejected,
    LoginRequired,
    Viewer,
    read_session,
    signed_in_operator,
)
from unisono.web.console.i18n import N_
from unisono.web.console.pages import Page, harden

log = logging.getLogger(__name__)

# Paths whose errors stay problem+json: machines read them, not people.
MACHINE_PREFIXES = ("/api/", "/webhooks/")
MACHINE_PATHS = frozenset({"/api", "/webhooks", "/healthz"})

Handler = Callable[[Request, Any], Response | Awaitable[Response]]

ERROR_TEXT: dict[int, tuple[str, str]] = {
    400: (
        N_("This link is not valid"),
        N_(
            "The page was asked for with values it does not understand. Start again from the inbox."
        ),
    ),
    403: (
        N_("The form has expired"),
        N_(
            "For your security the form could not be accepted: the page was open for too long "
            "or you signed out in another tab. Go back, reload the page and try again."
        ),
    ),
    404: (
        N_("Page not found"),
        N_("What you are looking for does not exist or is no longer available."),
    ),
    405: (
        N_("This page cannot be opened this way"),
        N_("Use the buttons and links of the console to get here."),
    ),
    409: (
        N_("Someone changed this at the same time"),
        N_("Reload the page to see the current state and try again."),
    ),
    500: (
        N_("Something went wrong"),
        N_("An unexpected error occurred and has been logged. Try again in a moment."),
    ),
}


def is_console_request(request: Request) -> bool:
    path = request.url.path
    return not (path in MACHINE_PATHS or path.startswith(MACHINE_PREFIXES))


def _recognise_viewer(request: Request) -> None:
    """Find the signed-in operator of a request that failed before any page looked for them.

    A 404 for an unknown path happens before the route's dependencies run; showing it inside
    the console frame (name, language, sign-out) needs the operator. Never for a 5xx: the
    database may be the very thing failing.
    """
    if getattr(request.state, "viewer", None) is not None:
        return
    state = read_session(request)
    if state is None or state.operator_id is None:
        return
    session: Session = request.app.state.sessions()
    try:
        operator = signed_in_operator(session, state)
        if operator is not None:
            request.state.viewer = Viewer.of(operator)
            request.state.console_session = state
    finally:
        session.rollback()
        session.close()


def error_page(request: Request, status_code: int) -> Response:
    """The HTML error page for ``status_code`` in the viewer's (or browser's) language.

    Blocking (it may read the operator): call it from the thread pool.
    """
    known = status_code if status_code in ERROR_TEXT else (500 if status_code >= 500 else 400)
    title, message = ERROR_TEXT[known]
    try:
        if status_code < 500:
            _recognise_viewer(request)
        page = Page.for_request(request)
        return page.render(
            "console/error.html",
            status_code=status_code,
            code=status_code,
            title=page.gettext(title),
            message=page.gettext(message),
        )
    except Exception:
        # The error page itself failed (e.g. a broken template): a plain page, never a trace.
        log.exception("rendering the error page failed")
        return harden(
            Response(
                f"Error {status_code}",
                status_code=status_code,
                media_type="text/plain; charset=utf-8",
            )
        )


def login_redirect(request: Request, exc: LoginRequired) -> Response:
    """Send the browser to the login page, remembering where it was going."""
    target = "/login"
    if exc.next_path and exc.next_path != "/":
        target += "?" + urlencode({"next": exc.next_path})
    return harden(RedirectResponse(target, status_code=303))


async def _call(handler: Handler, request: Request, exc: Exception) -> Response:
    result = handler(request, exc)
    return await result if inspect.isawaitable(result) else result


def install_error_pages(app: FastAPI) -> None:
    """Make console paths answer errors with pages; other paths keep the app's handlers.

    Call after the app's own handlers are installed: they are wrapped, not replaced.
    """

    def wrap(exc_class: type[Exception], page_status: Callable[[Request, Exception], int]) -> None:
        fallback: Handler | None = app.exception_handlers.get(exc_class)

        async def handle(request: Request, exc: Exception) -> Response:
            if is_console_request(request) or fallback is None:
                status_code = page_status(request, exc)
                if status_code >= 500:
                    log.error(
                        "unhandled error on %s %s",
                        request.method,
                        request.url.path,
                        exc_info=exc,
                    )
                return await run_in_threadpool(error_page, request, status_code)
            return await _call(fallback, request, exc)

        app.add_exception_handler(exc_class, handle)

    def unisono_status(_request: Request, exc: Exception) -> int:
        return exc.status if isinstance(exc, UnisonoError) else 500

    def invalid_request_status(request: Request, _exc: Exception) -> int:
        # The values of a page's URL are ids in the path and a cursor: a bad one is a link to
        # nothing. A bad form value is a bad request.
        return NotFound.status if request.method in ("GET", "HEAD") else 400

    def http_status(_request: Request, exc: Exception) -> int:
        return exc.status_code if isinstance(exc, StarletteHTTPException) else 500

    wrap(UnisonoError, unisono_status)
    wrap(RequestValidationError, invalid_request_status)
    wrap(StarletteHTTPException, http_status)
    wrap(Exception, lambda _request, _exc: 500)

    async def csrf_rejected(request: Request, _exc: Exception) -> Response:
        return await run_in_threadpool(error_page, request, 403)

    async def login_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        return login_redirect(request, exc)

    app.add_exception_handler(CsrfRejected, csrf_rejected)
    app.add_exception_handler(LoginRequired, login_required)
