"""Answer targets (SLA): how long a customer may wait for an answer, by priority.

A conversation's clock runs from ``waiting_since`` (set when the customer writes and nobody has
answered since) while the conversation is open: pending and snoozed cases wait on the customer
or on a date, so their clock is stopped. Before the first answer the target is the first
response; after it, the next response. Both use the per-priority targets of the settings
(``UNISONO_SLA_<PRIORITY>_MINUTES``: urgent 15 min, high 1 h, normal 4 h, low 24 h).

A clock is *due soon* when less than a quarter of its target is left and *breached* once its due
time has passed. The same rules exist as SQL conditions (``breaching``), so queues count breaches
in the database instead of loading every conversation.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, false, or_

from unisono.config import Settings, get_settings
from unisono.models import Conversation, ConversationStatus, Priority

# Less than this share of the target left: warn before the breach, not at it.
DUE_SOON_SHARE = 0.25


class SlaState(enum.StrEnum):
    OK = "ok"
    DUE_SOON = "due_soon"
    BREACHED = "breached"


class SlaClock(enum.StrEnum):
    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"


@dataclass(frozen=True, slots=True)
class SlaStatus:
    """Where one conversation's clock stands at ``now``."""

    clock: SlaClock
    state: SlaState
    due_at: datetime
    target: timedelta
    # Negative once overdue.
    remaining: timedelta


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """The answer target of each priority."""

    targets: Mapping[Priority, timedelta]

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> SlaPolicy:
        s = settings or get_settings()
        minutes = {
            Priority.URGENT: s.sla_urgent_minutes,
            Priority.HIGH: s.sla_high_minutes,
            Priority.NORMAL: s.sla_normal_minutes,
            Priority.LOW: s.sla_low_minutes,
        }
        return cls({priority: timedelta(minutes=m) for priority, m in minutes.items()})

    def target(self, priority: Priority) -> timedelta:
        return self.targets[priority]

    def status(self, conversation: Conversation, now: datetime) -> SlaStatus | None:
        """The clock of ``conversation`` at ``now``; None when nobody owes the customer an
        answer (answered, or not open)."""
        since = conversation.waiting_since
        if since is None or conversation.status != ConversationStatus.OPEN:
            return None
        target = self.target(conversation.priority)
        due_at = since + target
        remaining = due_at - now
        if remaining <= timedelta(0):
            state = SlaState.BREACHED
        elif remaining <= target * DUE_SOON_SHARE:
            state = SlaState.DUE_SOON
        else:
            state = SlaState.OK
        clock = (
            SlaClock.FIRST_RESPONSE
            if conversation.first_response_at is None
            else SlaClock.NEXT_RESPONSE
        )
        return SlaStatus(clock, state, due_at, target, remaining)

    def breaching(self, now: datetime) -> ColumnElement[bool]:
        """SQL: the conversation's clock has passed its due time at ``now``."""
        return and_(waiting(), self._waited_at_least(now, share=1.0))

    def due_soon(self, now: datetime) -> ColumnElement[bool]:
        """SQL: less than a quarter of the target left at ``now``, not yet breached."""
        return and_(
            waiting(),
            self._waited_at_least(now, share=1.0 - DUE_SOON_SHARE),
            ~self._waited_at_least(now, share=1.0),
        )

    def _waited_at_least(self, now: datetime, *, share: float) -> ColumnElement[bool]:
        # One condition per priority: the due time depends on the row's own priority, and
        # adding intervals to a column is spelled differently by every database.
        conditions = [
            and_(
                Conversation.priority == priority,
                Conversation.waiting_since <= now - target * share,
            )
            for priority, target in self.targets.items()
        ]
        return or_(*conditions) if conditions else false()


def waiting() -> ColumnElement[bool]:
    """SQL: an open conversation whose customer waits for an answer (its clock runs)."""
    return and_(
        Conversation.status == ConversationStatus.OPEN,
        Conversation.waiting_since.is_not(None),
    )


def sla_policy() -> SlaPolicy:
    """The policy of the current settings."""
    return SlaPolicy.from_settings()
