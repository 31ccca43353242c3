"""Console pages of customers: search, the 360 panel, consents, merges, offline visits."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import HTMLResponse

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
