"""An aiosmtpd server in a background thread, on a socket bound before it starts.

aiosmtpd's ``Controller`` binds when its thread starts and then connects to ``(host, port)`` to
check it is up, so port 0 ("any free port") cannot work with it. Binding first, as
``unisono.sandbox.server`` does for HTTP, gives a free port with no window for another process
to take it, and tells us which port it is.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable
from types import TracebackType
from typing import Any, Self

from aiosmtpd.controller import Controller


class SMTPListener(Controller):
    """``handler``'s SMTP server on ``host:port`` (port 0: a free one), run in a thread."""

    def __init__(
        self,
        handler: Any,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        server_hostname: str = "localhost",
        **smtp_options: Any,
    ) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._socket = socket.socket(family, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self._socket.listen(100)
        # A fixed server_hostname: otherwise aiosmtpd asks DNS for this host's FQDN.
        super().__init__(
            handler,
            hostname=host,
            port=self._socket.getsockname()[1],
            server_hostname=server_hostname,
            **smtp_options,
        )

    def _create_server(self) -> Awaitable[asyncio.AbstractServer]:
        return self.loop.create_server(
            self._factory_invoker, sock=self._socket, ssl=self.ssl_context
        )

    @property
    def address(self) -> tuple[str, int]:
        return (self.hostname, self.port)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
        self._socket.close()
