"""The JSON shapes of event data sent to integrators (stable, documented in docs/channels.md)."""

from __future__ import annotations

from typing import Any

from unisono.models import Conversation, Interaction


def interaction_data(i: Interaction) -> dict[str, Any]:
    return {
        "id": str(i.id),
        "customer_id": str(i.customer_id),
        "conversation_id": str(i.conversation_id) if i.conversation_id else None,
        "channel": i.channel,
        "direction": i.direction.value,
        "author": i.author.value,
        "text": i.text,
        "occurred_at": i.occurred_at.isoformat(),
        "external_id": i.external_id,
        "delivery_status": i.delivery_status.value if i.delivery_status else None,
        "delivery_error": i.delivery_error,
    }


def conversation_data(c: Conversation) -> dict[str, Any]:
    return {
        "id": str(c.id),
        "customer_id": str(c.customer_id),
        "status": c.status.value,
        "priority": c.priority.value,
        "assignee_id": str(c.assignee_id) if c.assignee_id else None,
        "team_id": str(c.team_id) if c.team_id else None,
        "labels": list(c.labels or []),
    }
