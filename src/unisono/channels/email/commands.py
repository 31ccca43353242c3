"""The email commands of the ``unisono`` CLI: ``mail-gateway`` and ``mail-poll``.

``unisono.cli`` merges ``mail_app`` into its own commands. Imports of aiosmtpd and the database
happen inside the commands, so ``unisono --help`` stays fast.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

mail_app = typer.Typer(help="Email: the SMTP gateway and IMAP polling.")
err = Console(stderr=True)


@mail_app.command("mail-gateway")
def mail_gateway(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="SMTP port to listen on.", min=1, max=65535)] = 2525,
    hostname: Annotated[
        str, typer.Option(help="The name this server gives in its SMTP greeting.")
    ] = "localhost",
) -> None:
    """Receive mail for the email channels' addresses by SMTP and queue it for the worker."""
    import signal
    import threading

    from unisono.channels.email.gateway import mail_gateway as gateway
    from unisono.db import get_engine

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with gateway(get_engine(), host=host, port=port, hostname=hostname) as listener:
        bound_host, bound_port = listener.address
        err.print(f"mail gateway on smtp://{bound_host}:{bound_port}; Ctrl-C to stop")
        stop.wait()


@mail_app.command("mail-poll")
def mail_poll(
    channel: Annotated[
        list[str] | None, typer.Option("--channel", help="Poll only these channel ids.")
    ] = None,
) -> None:
    """Fetch new mail once from the channels' IMAP mailboxes and queue it for the worker.

    Run it from cron, or let the worker poll (each channel every ``imap_poll_seconds``).
    """
    from unisono.channels.email.imap import poll_channel
    from unisono.clock import utcnow
    from unisono.db import get_engine, session_factory
    from unisono.ids import parse_uuid
    from unisono.inbox.mail_intake import pollable_channels

    parsed = [parse_uuid(c) for c in channel or []]
    ids = [i for i in parsed if i is not None]
    if len(ids) != len(parsed):
        err.print("[red]error:[/red] --channel takes channel ids (UUIDs)")
        raise typer.Exit(code=1)
    sessions = session_factory(get_engine())
    if not ids:
        with sessions() as session:
            ids = [c.id for c in pollable_channels(session, utcnow(), due_only=False)]
    failed = False
    for channel_id in ids:
        result = poll_channel(sessions, channel_id)
        failed = failed or result.error is not None
        problem = f"  error: {result.error}" if result.error else ""
        sys.stdout.write(f"{channel_id}  {result.stored} stored{problem}\n")
    if failed:
        raise typer.Exit(code=1)
