"""The ``unisono`` command: database, server, demo data, operators and API tokens."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

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
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(operator_app, name="operator")
app.add_typer(token_app, name="token")

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
) -> None:
    """Serve the API and the console."""
    import uvicorn

    from unisono.migrate import is_current

    if not is_current(get_engine()):
        raise fail("the database schema is not current; run 'unisono db upgrade' first")
    uvicorn.run(
        "unisono.web.asgi:app",
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        proxy_headers=True,
    )


@demo_app.command("seed")
def demo_seed(
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data.")] = 7,
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
    err.print(summary.describe())


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
