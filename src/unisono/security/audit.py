"""Writing audit events: every read or change of customer data leaves one."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from unisono.models import AuditEvent
from unisono.security.actor import Actor


def record_audit(
    session: Session,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: uuid.UUID | str | None = None,
    *,
    customer_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to ``session``; it commits with the caller's transaction."""
    event = AuditEvent(
        operator_id=actor.operator_id,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id) if entity_id is not None else None,
        customer_id=customer_id,
        via=actor.via,
        ip=actor.ip,
        details=details or {},
    )
    session.add(event)
    return event
