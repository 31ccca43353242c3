"""bench/ingest.py in miniature: signed bodies, a 50-webhook run on SQLite, the JSON it prints.

Uses the Python load generator (wrk may be missing), one uvicorn worker and one queue worker;
a few seconds on an idle machine.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from bench.ingest import APP_SECRET, TARGETS, make_webhooks, run

from unisono.channels.signatures import meta_signature

LOAD_KEYS = {"accepted_per_s", "p50_ms", "p90_ms", "p99_ms", "errors", "requests", "accepted"}


def test_webhooks_are_distinct_signed_whatsapp_messages() -> None:
    hooks = make_webhooks(30, senders=7)
    assert len({h.wamid for h in hooks}) == 30
    senders = set()
    texts = set()
    for hook in hooks:
        assert hook.signature == meta_signature(APP_SECRET, hook.body)
        message = json.loads(hook.body)["entry"][0]["changes"][0]["value"]["messages"][0]
        assert message["id"] == hook.wamid
        assert message["type"] == "text"
        senders.add(message["from"])
        texts.add(message["text"]["body"])
    assert len(senders) == 7
    assert len(texts) == 30


def _sane_load(stats: dict[str, Any], n: int) -> None:
    assert stats.keys() >= LOAD_KEYS
    assert stats["requests"] == stats["accepted"] == n
    assert stats["errors"] == {}
    assert stats["accepted_per_s"] > 0
    assert 0 < stats["p50_ms"] <= stats["p90_ms"] <= stats["p99_ms"] < 60_000


def test_small_run_on_sqlite(tmp_path: Path) -> None:
    result = run(
        f"sqlite:///{tmp_path / 'ingest.db'}",
        requests=50,
        warmup=5,
        workers=1,
        queue_worker_count=1,
        concurrency=8,
        loader="python",
        lag_timeout=60,
    )
    json.dumps(result)  # serialisable as printed
    assert result["database"].startswith("sqlite")
    assert result["requests"] == 50
    assert result["uvicorn_workers"] == 1
    _sane_load(result["unisono"], 50)
    _sane_load(result["ceiling"], 50)
    assert result["ratio"] == pytest.approx(
        result["unisono"]["accepted_per_s"] / result["ceiling"]["accepted_per_s"], abs=1e-3
    )
    lag = result["lag"]
    assert lag["complete"] is True
    assert lag["on_timeline"] == lag["expected"] == 55
    assert 0 <= lag["p50_ms"] <= lag["p99_ms"]
    assert lag["all_on_timeline_s"] > 0
    assert result["targets"] == TARGETS
    assert set(result["met"]) == {"webhooks_per_s", "ratio"}
    assert len(result["load_average"]["start"]) == 3
    assert result["machine"]["cpus"] >= 1
