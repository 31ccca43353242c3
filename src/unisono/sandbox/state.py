"""What the sandbox knows: where Unisono listens, its channels, and every call it received."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import Engine

from unisono.channels.base import ChannelConfig
from unisono.db import session_factory
from unisono.inbox.channel_config import channel_config, list_channels

log = logging.getLogger(__name__)


@dataclass
class SentCall:
    """One outbound API call the sandbox accepted, as the provider would have logged it."""

    provider: str
    channel_id: uuid.UUID
    external_id: str
    recipient: str
    payload: Any
    at: float = field(default_factory=time.time)


@dataclass
class SandboxState:
    """Shared by the sandbox's routers. Process-local on purpose: it is a development tool."""

    engine: Engine
    unisono_url: str
    callback_delay: float = 0.05
    sent: list[SentCall] = field(default_factory=list)
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def channels(self, kind: str) -> list[ChannelConfig]:
        """Unisono's configured channels of ``kind``, credentials included (read from its DB)."""
        with session_factory(self.engine)() as session:
            return [channel_config(c) for c in list_channels(session) if c.kind == kind]

    def channel(self, kind: str, **credentials: str) -> ChannelConfig | None:
        """The channel of ``kind`` whose credentials include all of ``credentials``."""
        for config in self.channels(kind):
            if all(config.credentials.get(k) == v for k, v in credentials.items()):
                return config
        return None

    def record(self, call: SentCall) -> None:
        with self.lock:
            self.sent.append(call)

    def webhook_url(self, config: ChannelConfig) -> str:
        return f"{self.unisono_url.rstrip('/')}/webhooks/{config.kind}/{config.id}"

    def post_to_unisono(self, url: str, *, content: bytes, headers: Mapping[str, str]) -> int:
        """Deliver a callback like the provider would; returns Unisono's status code."""
        try:
            response = httpx.post(url, content=content, headers=dict(headers), timeout=10)
            status = response.status_code
        except httpx.HTTPError as exc:
            log.warning("sandbox callback to %s failed: %s", url, exc)
            status = 0
        with self.lock:
            self.callbacks.append({"url": url, "status": status, "at": time.time()})
        return status

    def later(self, steps: list[Callable[[], object]]) -> None:
        """Run ``steps`` one after another in the background, ``callback_delay`` apart."""

        def run() -> None:
            for step in steps:
                time.sleep(self.callback_delay)
                try:
                    step()
                except Exception:
                    log.exception("sandbox callback failed")

        threading.Thread(target=run, daemon=True, name="sandbox-callbacks").start()
