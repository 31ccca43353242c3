"""Rendering console pages: one Jinja2 environment per language, security headers, the context.

Each language has its own environment with its catalog installed: the gettext functions are
environment globals, so sharing one environment between requests in different languages (the
thread pool serves them at the same time) would mix languages.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Protocol, cast

from fastapi import Depends, Request
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse, Response

from unisono.web.console.auth import (
    ConsoleActor,
    ConsoleSession,
    Viewer,
    read_session,
    request_path,
)
from unisono.web.console.i18n import SUPPORTED_LOCALES, Localizer, choose_locale, localizer
from unisono.web.console.views import ROLES, initials

WEB = Path(__file__).resolve().parents[1]
TEMPLATES = WEB / "templates"
STATIC = WEB / "static"
STYLESHEET = STATIC / "console" / "console.css"

# Pages show customer data: no caching, no framing, nothing loaded from elsewhere.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class _GettextEnvironment(Protocol):
    """What ``jinja2.ext.i18n`` adds to an environment (the extension adds it at run time)."""

    def install_gettext_translations(self, translations: Any, newstyle: bool | None = None) -> None:
        """Install ``translations`` as the environment's gettext functions."""


@lru_cache(maxsize=len(SUPPORTED_LOCALES))
def environment(locale: str) -> Environment:
    """The template environment of ``locale``, with its catalog and the console's globals."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # newstyle: translated strings are escaped and %-formatted by Jinja, never by hand.
    cast(_GettextEnvironment, env).install_gettext_translations(
        localizer(locale, None).translations, newstyle=True
    )
    env.globals["asset_version"] = asset_version()
    return env


@lru_cache(maxsize=1)
def asset_version() -> str:
    """A short hash of the console's own CSS and JS, so browsers fetch them again after an
    upgrade (vendored files carry their version in their names)."""
    digest = hashlib.sha256()
    for path in sorted(STYLESHEET.parent.glob("*.[cj]s*")):
        try:
            digest.update(path.read_bytes())
        except OSError:
            continue
    return digest.hexdigest()[:10]


def harden(response: Response) -> Response:
    """Add the console's security headers to ``response``."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


class Page:
    """Everything a console template needs about the request: language, viewer, CSRF token."""

    def __init__(
        self, request: Request, viewer: Viewer | None, state: ConsoleSession | None
    ) -> None:
        self.request = request
        self.viewer = viewer
        self.state = state
        self.locale = choose_locale(request, viewer.locale if viewer else None)
        self.l10n: Localizer = localizer(self.locale, viewer.timezone if viewer else None)

    @classmethod
    def for_request(cls, request: Request) -> Page:
        """The page context of any request, signed in or not (used by error pages too)."""
        viewer = getattr(request.state, "viewer", None)
        state = getattr(request.state, "console_session", None) or read_session(request)
        return cls(request, viewer if isinstance(viewer, Viewer) else None, state)

    @property
    def csrf_token(self) -> str:
        return self.state.csrf_token if self.state else ""

    def gettext(self, message: str) -> str:
        return self.l10n.gettext(message)

    @property
    def viewer_role(self) -> str:
        if self.viewer is None:
            return ""
        role = ROLES.get(self.viewer.role)
        return self.gettext(role) if role else self.viewer.role

    @property
    def viewer_initials(self) -> str:
        return initials(self.viewer.name) if self.viewer else ""

    def html(self, template: str, context: dict[str, Any]) -> str:
        """The text of ``template`` rendered with ``context`` and the page's globals."""
        values = {
            "page": self,
            "viewer": self.viewer,
            "locale": self.locale,
            "locales": SUPPORTED_LOCALES,
            "csrf_token": self.csrf_token,
            "current_path": request_path(self.request),
            "nav": None,
            **context,
        }
        return environment(self.locale).get_template(template).render(values)

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        """An HTML response of ``template``, with the security headers."""
        response = HTMLResponse(self.html(template, context), status_code=status_code)
        harden(response)
        response.headers["Content-Language"] = self.locale
        return response


def signed_in_page(request: Request, actor: ConsoleActor) -> Page:
    """The page context of a signed-in operator (``actor`` makes sure there is one)."""
    del actor  # only required: console_actor stored the viewer on the request
    return Page.for_request(request)


def any_page(request: Request) -> Page:
    """The page context of a page anyone may see (the login page)."""
    return Page.for_request(request)


SignedInPage = Annotated[Page, Depends(signed_in_page)]
AnyPage = Annotated[Page, Depends(any_page)]
