"""Serving the app for a real browser: uvicorn in a background thread on a free local port."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from unisono.sandbox.server import serve_in_thread
from unisono.web.app import create_app


@contextmanager
def running_app(engine: Engine) -> Iterator[str]:
    """The app on ``engine`` served at the yielded base URL until the block ends."""
    with serve_in_thread(create_app(engine, embedded_worker=False)) as url:
        yield url
