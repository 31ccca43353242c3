"""Group commit for webhook intake: concurrent requests share one INSERT and one commit.

A provider is answered only once its delivery is committed, so each request waits for a
transaction. Committing one row per request makes the database's commit the bottleneck; here
requests that arrive while a batch is being written wait for the next batch, which takes all of
them in one statement. Nothing is kept beyond the in-flight batch: every waiting request is
answered after its own row is committed, or fails (the provider retries).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from unisono.inbox.webhooks import do_store_webhooks

log = logging.getLogger(__name__)

# Enough to absorb every open connection of a busy provider in one transaction.
MAX_BATCH = 500


@dataclass(slots=True)
class _Waiting:
    row: dict[str, Any]
    stored: asyncio.Future[None]


class DeliveryWriter:
    """Stores webhook deliveries for one event loop's requests, in group commits."""

    def __init__(self, sessions: sessionmaker[Session], *, max_batch: int = MAX_BATCH) -> None:
        self._sessions = sessions
        self._max_batch = max_batch
        self._waiting: list[_Waiting] = []
        self._writing = False
        self._task: asyncio.Task[None] | None = None

    async def store(self, row: dict[str, Any]) -> None:
        """Return once ``row`` is committed; raise what the database raised otherwise."""
        loop = asyncio.get_running_loop()
        waiting = _Waiting(row, loop.create_future())
        self._waiting.append(waiting)
        if not self._writing:
            self._writing = True
            self._task = loop.create_task(self._write_batches())
        await waiting.stored

    async def _write_batches(self) -> None:
        while True:
            batch = self._waiting[: self._max_batch]
            del self._waiting[: self._max_batch]
            try:
                await run_in_threadpool(self._write, [w.row for w in batch])
                outcome: list[BaseException | None] = [None] * len(batch)
            except Exception:  # noqa: BLE001 - every waiter is answered, whatever failed
                log.warning(
                    "a batch of %d webhook deliveries failed; storing one by one", len(batch)
                )
                outcome = [await self._write_alone(w.row) for w in batch]
            # Cleared before the waiters resume, so a request of a later event loop (tests run
            # one per request) never finds a writer that will not run.
            if not self._waiting:
                self._writing = False
            for waiting, error in zip(batch, outcome, strict=True):
                if waiting.stored.done():  # the client went away; its row is stored anyway
                    continue
                if error is None:
                    waiting.stored.set_result(None)
                else:
                    waiting.stored.set_exception(error)
            if not self._writing:
                return

    async def _write_alone(self, row: dict[str, Any]) -> BaseException | None:
        """One row in its own transaction, so a row the database refuses fails only itself."""
        try:
            await run_in_threadpool(self._write, [row])
        except Exception as exc:  # noqa: BLE001 - handed to the waiting request
            return exc
        return None

    def _write(self, rows: list[dict[str, Any]]) -> None:
        with self._sessions() as session, session.begin():
            do_store_webhooks(session, rows)
