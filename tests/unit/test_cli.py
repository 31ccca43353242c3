"""The ``unisono`` command, run as a user runs it: a real process with its environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from unisono.db import make_engine, session_factory
from unisono.models import Operator, Role
from unisono.web.app import create_app


def run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "UNISONO_DATABASE_URL": f"sqlite:///{db}", "UNISONO_ENV": "test"}
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "unisono", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "cli.db"
    assert run(path, "db", "upgrade").returncode == 0
    return path


def test_operator_and_token_creation_end_to_end(db: Path) -> None:
    made = run(
        db,
        "operator",
        "create",
        "Anna.Bianchi@EnergiaChiara.it",
        "--name",
        "Anna Bianchi",
        "--role",
        "supervisor",
        "--password",
        "una-password-lunga",
    )
    assert made.returncode == 0, made.stderr
    token = run(db, "token", "create", "anna.bianchi@energiachiara.it")
    assert token.returncode == 0, token.stderr
    # stdout holds the token and nothing else, so scripts can capture it.
    assert token.stdout.count("\n") == 1
    assert token.stdout.startswith("uns_")
    engine = make_engine(f"sqlite:///{db}")
    with session_factory(engine)() as session:
        operator = session.scalar(select(Operator))
        assert operator is not None
        assert operator.role == Role.SUPERVISOR
        assert operator.password_hash is not None
        assert operator.password_hash.startswith("$argon2id$")
    client = TestClient(create_app(engine))
    headers = {"Authorization": f"Bearer {token.stdout.strip()}"}
    assert client.get("/api/v1/customers", headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "boss", "--password", "abcdefghij"], "boss"),
        (["--role", "agent", "--password", "short"], "at least 8"),
    ],
)
def test_operator_create_refuses_bad_input_clearly(db: Path, args: list[str], message: str) -> None:
    result = run(db, "operator", "create", "x@energiachiara.it", "--name", "X", *args)
    assert result.returncode != 0
    assert message in result.stderr


def test_duplicate_operator_and_unknown_token_owner_fail_cleanly(db: Path) -> None:
    args = [
        "operator",
        "create",
        "x@energiachiara.it",
        "--name",
        "X",
        "--role",
        "agent",
        "--password",
        "abcdefghij",
    ]
    assert run(db, *args).returncode == 0
    again = run(db, *args)
    assert again.returncode == 1
    assert "exists already" in again.stderr
    missing = run(db, "token", "create", "nobody@energiachiara.it")
    assert missing.returncode == 1
    assert missing.stdout == ""
    assert "no operator" in missing.stderr


def test_serve_refuses_a_database_that_is_not_migrated(tmp_path: Path) -> None:
    result = run(tmp_path / "empty.db", "serve", "--port", "1")
    assert result.returncode == 1
    assert "unisono db upgrade" in result.stderr


def test_channel_create_list_and_replay(db: Path) -> None:
    made = run(
        db,
        "channel",
        "create",
        "whatsapp",
        "--name",
        "WhatsApp clienti",
        "--credential",
        "app_secret=s",
        "--credential",
        "verify_token=v",
        "--credential",
        "access_token=t",
        "--credential",
        "phone_number_id=1065",
        "--setting",
        "api_base_url=http://127.0.0.1:9/v21.0",
    )
    assert made.returncode == 0, made.stderr
    channel_id = made.stdout.strip()
    assert f"/webhooks/whatsapp/{channel_id}" in made.stderr
    listed = run(db, "channel", "list")
    assert channel_id in listed.stdout
    assert "t" not in listed.stdout.split()  # credentials are never printed
    missing = run(
        db, "channel", "create", "whatsapp", "--name", "x", "--credential", "app_secret=s"
    )
    assert missing.returncode == 1
    assert "missing credentials" in missing.stderr
    replay = run(db, "webhooks", "replay")
    assert replay.returncode == 0, replay.stderr
    assert "0 deliveries queued again" in replay.stderr


def test_a_worker_can_yield_the_cpu_to_intake(db: Path) -> None:
    env = {**os.environ, "UNISONO_DATABASE_URL": f"sqlite:///{db}", "UNISONO_ENV": "test"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "unisono", "worker", "--nice", "7"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stderr is not None
        assert "worker running" in worker.stderr.readline()
        ours = os.getpriority(os.PRIO_PROCESS, 0)
        assert os.getpriority(os.PRIO_PROCESS, worker.pid) == min(ours + 7, 19)
    finally:
        worker.terminate()
        assert worker.wait(timeout=30) == 0
    refused = run(db, "worker", "--nice", "25")
    assert refused.returncode == 2
    assert "--nice" in refused.stderr
