"""The sandbox application: every provider's stand-in under one local server."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine

import unisono.sandbox
from unisono.sandbox.state import SandboxState

# Every module of this package with a ``router(state)`` function is a provider's stand-in.
INFRASTRUCTURE = {"app", "server", "state"}


def provider_modules() -> list[ModuleType]:
    modules = []
    for info in pkgutil.iter_modules(unisono.sandbox.__path__):
        if info.name not in INFRASTRUCTURE:
            module = importlib.import_module(f"unisono.sandbox.{info.name}")
            if hasattr(module, "router"):
                modules.append(module)
    return sorted(modules, key=lambda m: m.__name__)


def create_sandbox_app(
    engine: Engine, unisono_url: str, *, callback_delay: float = 0.05
) -> FastAPI:
    """The sandbox, reading Unisono's channels from ``engine`` and calling back ``unisono_url``."""
    state = SandboxState(engine=engine, unisono_url=unisono_url, callback_delay=callback_delay)
    app = FastAPI(
        title="Unisono sandbox providers",
        docs_url="/_sandbox/docs",
        openapi_url="/_sandbox/openapi.json",
    )
    app.state.sandbox = state

    @app.get("/_sandbox/sent")
    def sent() -> list[dict[str, Any]]:
        """Every message the sandbox accepted, oldest first."""
        return [
            {
                "provider": c.provider,
                "channel_id": str(c.channel_id),
                "id": c.external_id,
                "recipient": c.recipient,
                "payload": c.payload,
                "at": c.at,
            }
            for c in state.sent
        ]

    # After the sandbox's own /_sandbox routes: provider paths such as /{version}/{id} are
    # catch-alls that would otherwise shadow them.
    for module in provider_modules():
        app.include_router(module.router(state))

    return app
