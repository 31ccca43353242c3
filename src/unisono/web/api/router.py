"""The /api/v1 router that gathers every resource router."""

from __future__ import annotations

from fastapi import APIRouter

from unisono.web.api import (
    attachments,
    channels,
    consents,
    conversations,
    customers,
    interactions,
    offline,
    search,
    subscriptions,
    template_sends,
    templates,
)

api_router = APIRouter(prefix="/api/v1")
for module in (
    interactions,
    customers,
    conversations,
    search,
    channels,
    attachments,
    subscriptions,
    offline,
    consents,
    templates,
    template_sends,
):
    api_router.include_router(module.router)
