"""The FastAPI application: API, console pages, static files, error handling."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from unisono import __version__
from unisono.config import get_settings
from unisono.db import get_engine, session_factory
from unisono.inbox.channel_config import ConnectionCache
from unisono.inbox.webhook_writer import DeliveryWriter
from unisono.jobs.worker import Worker
from unisono.web.api import canned as canned_api
from unisono.web.api.router import api_router
from unisono.web.console.routes import install_console
from unisono.web.intake import WebhookIntake
from unisono.web.metrics import router as metrics_router
from unisono.web.problems import install_problem_handlers
from unisono.web.webchat import router as webchat_router
from unisono.web.webhooks import router as webhooks_router

STATIC = Path(__file__).parent / "static"


def create_app(engine: Engine | None = None, *, embedded_worker: bool | None = None) -> FastAPI:
    """A new app bound to ``engine`` (default: the configured database).

    With ``embedded_worker`` (default: ``UNISONO_EMBEDDED_WORKER``) a worker thread processes
    webhooks and sends messages inside this process; otherwise run ``unisono worker``.
    """
    engine = engine or get_engine()
    worker = Worker(engine)
    run_worker = get_settings().embedded_worker if embedded_worker is None else embedded_worker

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if run_worker:
            worker.start()
        try:
            yield
        finally:
            worker.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="Unisono",
        version=__version__,
        summary="One timeline per customer; one voice on every channel.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.engine = engine
    app.state.worker = worker
    app.state.sessions = session_factory(engine)
    app.state.connections = ConnectionCache(app.state.sessions)
    app.state.delivery_writer = DeliveryWriter(app.state.sessions)
    install_problem_handlers(app)
    # Added last, so outermost: providers' calls are answered before the rest of the stack.
    app.add_middleware(WebhookIntake, state=app.state, max_bytes=get_settings().webhook_max_bytes)
    app.include_router(webhooks_router)
    app.include_router(api_router)
    app.include_router(canned_api.router, prefix="/api/v1")
    app.include_router(webchat_router)
    app.include_router(metrics_router)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    install_console(app)
    return app
