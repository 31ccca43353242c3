"""The FastAPI application: API, console pages, static files, error handling."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from unisono import __version__
from unisono.db import get_engine, session_factory
from unisono.web.api.router import api_router
from unisono.web.console.routes import install_console
from unisono.web.problems import install_problem_handlers

STATIC = Path(__file__).parent / "static"


def create_app(engine: Engine | None = None) -> FastAPI:
    """A new app bound to ``engine`` (default: the configured database)."""
    app = FastAPI(
        title="Unisono",
        version=__version__,
        summary="One timeline per customer; one voice on every channel.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    engine = engine or get_engine()
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    install_problem_handlers(app)
    app.include_router(api_router)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    install_console(app)
    return app
