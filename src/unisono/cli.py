"""The ``unisono`` command: database, server, demo data, operators and API tokens."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

from unisono.channels.email.commands import mail_app
from unisono.db import get_engine, session_scope
from unisono.errors import UnisonoError
from unisono.models import Role

app = typer.Typer(
    help="Unisono: one timeline per customer, one voice on every channel.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data.", no_args_is_help=True)
operator_app = typer.Typer(help="Operators.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
channel_app = typer.Typer(
    help="Channels (touchpoints) and their credentials.", no_args_is_help=True
)
webhooks_app = typer.Typer(help="Stored provider webhook deliveries.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(operator_app, name="operator")
app.add_typer(token_app, name="token")
app.add_typer(channel_app, name="channel")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(mail_app)

err = Console(stderr=True)


def fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code=1)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the newest version."""
    from unisono.migrate import upgrade

    engine = get_engine()
    upgrade(engine)
    err.print(f"database at {engine.url.render_as_string(hide_password=True)} is up to date")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1)] = 1,
    sandbox_port: Annotated[
        int | None,
        typer.Option(help="Also run the sandbox providers on this port (demos, development)."),
    ] = None,
) -> None:
    """Serve the API and the console."""
    import contextlib

    import uvicorn

    from unisono.migrate import is_current

    if not is_current(get_engine()):
        raise fail("the database schema is not current; run 'unisono db upgrade' first")
    sandbox_running: contextlib.AbstractContextManager[object] = contextlib.nullcontext()
    if sandbox_port is not None:
        from unisono.sandbox.app import create_sandbox_app
        from unisono.sandbox.server import serve_in_thread

        callback_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
        sandbox_app = create_sandbox_app(get_engine(), f"http://{callback_host}:{port}")
        sandbox_running = serve_in_thread(sandbox_app, port=sandbox_port)
        err.print(f"sandbox providers on http://127.0.0.1:{sandbox_port}/_sandbox/docs")
    with sandbox_running:
        uvicorn.run(
            "unisono.web.asgi:app",
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            proxy_headers=True,
            # The console's live streams stay open for minutes; a restart should not wait on
            # them (browsers reconnect on their own).
            timeout_graceful_shutdown=5,
        )


@demo_app.command("seed")
def demo_seed(
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data.")] = 7,
    sandbox_url: Annotated[
        str, typer.Option(help="Point the demo's channels at these sandbox providers.")
    ] = "http://127.0.0.1:8100",
) -> None:
    """Load the Energia Chiara demo: customers, conversations across all channels, operators."""
    from unisono.demo.seed import seed_demo
    from unisono.migrate import upgrade

    engine = get_engine()
    upgrade(engine)
    try:
        summary = seed_demo(engine, seed=seed)
    except UnisonoError as exc:
        raise fail(exc.detail) from exc
    from unisono.demo.sandbox_wiring import wire_demo_channels

    with session_scope() as session:
        wired = wire_demo_channels(session, sandbox_url)
    err.print(summary.describe())
    if wired:
        err.print(f"channels wired to the sandbox providers at {sandbox_url}: {', '.join(wired)}")


@operator_app.command("create")
def operator_create(
    email: str,
    name: Annotated[str, typer.Option(help="Full name shown to colleagues.")],
    role: Annotated[Role, typer.Option(help="What the operator may do.")],
    password: Annotated[str, typer.Option(help="At least 8 characters.")],
) -> None:
    """Create an operator who can log in to the console."""
    from unisono.security.operators import do_create_operator

    try:
        with session_scope() as session:
            operator = do_create_operator(session, email, name=name, role=role, password=password)
            err.print(f"operator {operator.email} ({operator.role.value}) created")
    except UnisonoError as exc:
        raise fail(exc.detail) from exc


@token_app.command("create")
def token_create(
    email: str,
    name: Annotated[str, typer.Option(help="What the token is for.")] = "",
) -> None:
    """Print a new API token for the operator EMAIL (and nothing else) on stdout."""
    from unisono.security.operators import do_create_token, get_operator_by_email

    try:
        with session_scope() as session:
            token = do_create_token(session, get_operator_by_email(session, email), name)
    except UnisonoError as exc:
        raise fail(exc.detail) from exc
    sys.stdout.write(token + "\n")


def _pairs(values: list[str], what: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key.strip():
            raise fail(f"{what} '{value}' is not KEY=VALUE")
        pairs[key.strip()] = text
    return pairs


@channel_app.command("create")
def channel_create(
    kind: str,
    name: Annotated[str, typer.Option(help="Shown to operators, e.g. 'WhatsApp clienti'.")],
    setting: Annotated[
        list[str] | None, typer.Option(help="KEY=VALUE, e.g. api_base_url=https://...")
    ] = None,
    credential: Annotated[
        list[str] | None, typer.Option(help="KEY=VALUE with the provider's own key names.")
    ] = None,
) -> None:
    """Configure a channel; prints its id and the webhook path to register with the provider."""
    from unisono.inbox.channel_config import do_create_channel, webhook_path
    from unisono.security.actor import Actor

    try:
        with session_scope() as session:
            channel = do_create_channel(
                session,
                Actor(operator=None, via="cli"),
                kind=kind,
                name=name,
                settings=dict(_pairs(setting or [], "setting")),
                credentials=_pairs(credential or [], "credential"),
            )
            sys.stdout.write(f"{channel.id}\n")
            err.print(f"{channel.kind} channel created; webhook path: {webhook_path(channel)}")
    except UnisonoError as exc:
        raise fail(exc.detail) from exc


@channel_app.command("list")
def channel_list() -> None:
    """The configured channels (credentials are never shown)."""
    from unisono.inbox.channel_config import list_channels, webhook_path

    with session_scope() as session:
        for channel in list_channels(session):
            state = "active" if channel.active else "inactive"
            sys.stdout.write(
                f"{channel.id}  {channel.kind:<18} {state:<8} {channel.name}  "
                f"{webhook_path(channel)}\n"
            )


@webhooks_app.command("replay")
def webhooks_replay(
    delivery_id: Annotated[
        list[str] | None, typer.Option("--id", help="Replay these deliveries (default: failed).")
    ] = None,
) -> None:
    """Process failed deliveries (or the given ones) again."""
    from unisono.ids import parse_uuid
    from unisono.inbox.webhooks import do_replay
    from unisono.jobs.worker import Worker

    ids = [parse_uuid(i) for i in delivery_id or []]
    if any(i is None for i in ids):
        raise fail("--id takes delivery ids (UUIDs)")
    try:
        with session_scope() as session:
            count = do_replay(session, [i for i in ids if i is not None] or None)
    except UnisonoError as exc:
        raise fail(exc.detail) from exc
    handled = Worker(get_engine()).drain()
    err.print(f"{count} deliveries queued again; {handled} items processed")


@app.command()
def worker(
    once: Annotated[bool, typer.Option(help="Drain the queues once and exit.")] = False,
    nice: Annotated[
        int,
        typer.Option(
            min=0,
            max=19,
            envvar="UNISONO_WORKER_NICE",
            help=(
                "Lower this worker's CPU priority by this much (like nice(1)): on a machine it "
                "shares with the HTTP processes, webhooks are then accepted first in a burst "
                "and processed as the CPU frees up."
            ),
        ),
    ] = 0,
) -> None:
    """Process webhooks, send queued messages and fetch media (run any number of these)."""
    import os
    import signal
    import threading

    from unisono.jobs.worker import Worker

    if nice:
        os.nice(nice)
    runner = Worker(get_engine())
    if once:
        err.print(f"{runner.drain()} items handled")
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    runner.start()
    err.print("worker running; Ctrl-C to stop")
    stop.wait()
    runner.stop()


@app.command()
def sandbox(
    port: Annotated[int, typer.Option(help="Port of the sandbox providers.")] = 8100,
    unisono_url: Annotated[
        str, typer.Option(help="Where Unisono listens, for callbacks.")
    ] = "http://127.0.0.1:8000",
) -> None:
    """Run the sandbox providers: local stand-ins for WhatsApp, Twilio, Meta, X, FCM, SMTP."""
    import uvicorn

    from unisono.sandbox.app import create_sandbox_app

    err.print(f"sandbox providers on http://127.0.0.1:{port} (calling back {unisono_url})")
    uvicorn.run(
        create_sandbox_app(get_engine(), unisono_url), host="127.0.0.1", port=port, log_level="info"
    )
