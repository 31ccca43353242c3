"""The worker: processes stored webhook deliveries and sends due messages, in a loop.

In the embedded mode one worker thread runs inside the API process; in production any number of
``unisono worker`` processes run it against PostgreSQL, where ``SKIP LOCKED`` keeps two workers
off the same row. Everything it does is driven by database rows, so a lost wake-up or a crash is
only a delay: the next pass finds the work again.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from unisono.channels.email.imap import poll_due
from unisono.db import session_factory
from unisono.inbox.webhooks import DeliveryBatch, claim_pending_deliveries, process_delivery
from unisono.integrations.events import cache_subscribers, deliver_due_events
from unisono.media.attachments import fetch_due
from unisono.outbound.sender import send_due

log = logging.getLogger(__name__)


def process_webhooks(sessions: sessionmaker[Session], limit: int = 200, batch: int = 25) -> int:
    """Process up to ``limit`` received deliveries, ``batch`` per transaction.

    Each delivery runs in a savepoint of its own (a failing one is marked failed without undoing
    the others); one commit per batch instead of one per delivery is what keeps the timeline
    close behind a burst of webhooks.
    """
    done = 0
    while done < limit:
        with sessions() as session, session.begin():
            claimed = claim_pending_deliveries(session, limit=min(batch, limit - done))
            if not claimed:
                break
            # Nothing in a batch changes a subscription: publish reads them once per batch.
            cache_subscribers(session)
            shared = DeliveryBatch()
            shared.prepare(session, claimed)
            for delivery in claimed:
                process_delivery(session, delivery, shared)
            shared.settle()
        done += len(claimed)
    return done


class Worker:
    """A background thread that runs passes until stopped; ``wake`` starts the next one now."""

    def __init__(self, engine: Engine, *, idle_seconds: float = 1.0) -> None:
        self.sessions = session_factory(engine)
        self.idle_seconds = idle_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """One pass over all kinds of work; returns how many items were handled."""
        return (
            process_webhooks(self.sessions)
            + send_due(self.sessions)
            + fetch_due(self.sessions)
            + deliver_due_events(self.sessions)
            + poll_due(self.sessions)
        )

    def drain(self, max_passes: int = 100) -> int:
        """Run passes until nothing is left (tests and the CLI use this)."""
        total = 0
        for _ in range(max_passes):
            handled = self.run_once()
            total += handled
            if not handled:
                break
        return total

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="unisono-worker", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                handled = self.run_once()
            except Exception:
                log.exception("worker pass failed; retrying after a pause")
                handled = 0
            if not handled:
                self._wake.wait(self.idle_seconds)
                self._wake.clear()
