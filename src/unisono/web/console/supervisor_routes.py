"""The supervisor's view: live queues per team and channel, who handles what, SLA breaches."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import HTMLResponse

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
