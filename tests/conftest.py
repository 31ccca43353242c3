"""Test fixtures: every database test runs on SQLite and on a real PostgreSQL server.

PostgreSQL is found at UNISONO_TEST_POSTGRES_URL, else on 127.0.0.1:5432 as user postgres.
When no server answers the PostgreSQL variants skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

os.environ.setdefault("UNISONO_ENV", "test")
# Tests run the worker explicitly (``app.state.worker.drain()``) so they can assert in between.
os.environ.setdefault("UNISONO_EMBEDDED_WORKER", "false")
os.environ.setdefault("UNISONO_MEDIA_DIR", tempfile.mkdtemp(prefix="unisono-media-"))

from unisono.config import get_settings
from unisono.db import make_engine, session_factory
from unisono.migrate import upgrade
from unisono.models import Base, Operator, Role
from unisono.security.actor import Actor
from unisono.security.operators import do_create_operator, do_create_token
from unisono.web.app import create_app

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: Any) -> Any:
    # Tests never reach the internet: providers are reached only through the local sandbox.
    if isinstance(address, tuple) and self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            local = ipaddress.ip_address(host).is_loopback
        except ValueError:
            local = host == "localhost"
        if not local:
            raise ConnectionRefusedError(f"tests may not connect to {host}: use the sandbox")
    return _real_connect(self, address)


socket.socket.connect = _loopback_only  # type: ignore[method-assign]

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
IN_CI = os.environ.get("CI", "").lower() == "true"


def _postgres_admin_url() -> str:
    return os.environ.get("UNISONO_TEST_POSTGRES_URL", DEFAULT_PG)


def _postgres_reachable(url: str) -> str | None:
    """None when the server answers, else why not."""
    try:
        engine = make_engine(url)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies (faster than migrating every time)."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    # Closing the last connection checkpoints the WAL into the file we copy.
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database(worker_id: str) -> Iterator[str]:
    """A migrated PostgreSQL database of this test session's own, dropped at the end."""
    admin_url = _postgres_admin_url()
    problem = _postgres_reachable(admin_url)
    if problem is not None:
        message = f"PostgreSQL not reachable at {make_url(admin_url).render_as_string()}: {problem}"
        if IN_CI:
            pytest.fail(f"{message} (CI=true requires PostgreSQL)")
        pytest.skip(message)
    name = f"unisono_test_{worker_id}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def engine(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh, migrated, empty database of the test's backend."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "unisono.db"
        shutil.copyfile(template, path)
        engine = make_engine(f"sqlite:///{path}")
    else:
        url: str = request.getfixturevalue("postgres_database")
        engine = make_engine(url)
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with engine.begin() as connection:
            connection.exec_driver_sql(f"TRUNCATE {tables} CASCADE")
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    db = session_factory(engine)()
    yield db
    db.rollback()
    db.close()


@pytest.fixture
def make_operator(session: Session) -> Callable[..., Operator]:
    """A factory of operators: ``make_operator(role="agent")``."""

    def make(role: Role | str = Role.ADMIN, email: str | None = None, **kw: Any) -> Operator:
        operator = do_create_operator(
            session,
            email or f"op-{uuid.uuid4().hex[:8]}@energiachiara.it",
            name=kw.pop("name", "Operatore di prova"),
            role=role,
            password=kw.pop("password", "password-di-prova"),
            **kw,
        )
        session.commit()
        return operator

    return make


@pytest.fixture
def operator(make_operator: Callable[..., Operator]) -> Operator:
    return make_operator(Role.ADMIN, email="admin@energiachiara.it", name="Anna Admin")


@pytest.fixture
def actor(operator: Operator) -> Actor:
    return Actor(operator=operator, via="test")


@pytest.fixture
def app(engine: Engine) -> Any:
    return create_app(engine)


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient, session: Session, operator: Operator) -> TestClient:
    """The test client carrying an admin's bearer token."""
    token = do_create_token(session, operator, "tests")
    session.commit()
    client.headers["Authorization"] = f"Bearer {token}"
    return client


@pytest.fixture
def settings_override() -> Iterator[Callable[..., None]]:
    """Change settings for one test: ``settings_override(thread_window_days=1)``."""
    settings = get_settings()
    saved = settings.model_dump()

    def override(**values: Any) -> None:
        for key, value in values.items():
            setattr(settings, key, value)

    yield override
    for key, value in saved.items():
        setattr(settings, key, value)
