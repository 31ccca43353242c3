"""Console pages (placeholder until the console lands)."""

from __future__ import annotations

from fastapi import FastAPI


def install_console(app: FastAPI) -> None:
    """Add the console's pages and middleware to ``app``."""
