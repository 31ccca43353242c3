"""bench/timeline.py in miniature: generate a tiny data set, serve the app, time both endpoints.

Runs on SQLite and on PostgreSQL (through the ``engine`` fixture, which skips PostgreSQL when no
server answers, except under CI=true). A few seconds per database.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from bench.timeline import (
    META_TABLE,
    QUERY_CLASSES,
    TARGETS,
    Formats,
    build_vocabulary,
    run,
    summarize,
)
from sqlalchemy import Engine, text

LATENCY_KEYS = {"count", "errors", "p50_ms", "p90_ms", "p99_ms", "max_ms", "requests_per_second"}


def _sane_latency(stats: dict[str, Any], count: int) -> None:
    assert stats.keys() >= LATENCY_KEYS
    assert stats["count"] == count
    assert stats["errors"] == 0
    assert 0 < stats["p50_ms"] <= stats["p90_ms"] <= stats["p99_ms"] <= stats["max_ms"] < 60_000
    assert stats["requests_per_second"] > 0


def test_formats_spell_what_the_orm_stores() -> None:
    pg, lite = Formats("postgresql"), Formats("sqlite")
    ms = 1_780_000_000_123
    value = uuid.UUID(pg.uid(ms, (1 << 74) - 1))
    assert value.version == 7
    assert value.variant == uuid.RFC_4122
    assert int(value.hex[:12], 16) == ms
    assert uuid.UUID(lite.uid(ms, 5)).hex == lite.uid(ms, 5)  # CHAR(32) hex on SQLite
    us = ms * 1000 + 456
    assert datetime.fromisoformat(pg.ts(us)).timestamp() == us / 1_000_000
    assert datetime.fromisoformat(lite.ts(us)).tzinfo is None  # naive UTC on SQLite
    assert pg.ts(us).startswith(lite.ts(us))


def test_vocabulary_is_zipf_with_common_words_first() -> None:
    vocab = build_vocabulary(size=1000)
    assert len(vocab.words) == len(set(vocab.words)) == 1000
    assert vocab.common[0] == "bolletta"
    gaps = [b - a for a, b in zip([0.0, *vocab.cum_weights], vocab.cum_weights, strict=False)]
    assert gaps == sorted(gaps, reverse=True)


def test_summarize_percentiles() -> None:
    stats = summarize([float(i) for i in range(1, 101)], wall_seconds=2.0)
    assert stats["p50_ms"] == 50.5
    assert stats["p99_ms"] == 99.01
    assert stats["max_ms"] == 100.0
    assert stats["requests_per_second"] == 50.0


def test_bench_timeline_smoke(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    try:
        result = run(
            url,
            customers=200,
            interactions=2000,
            requests=20,
            warmup=2,
            index_strategy="drop",
            in_process_server=True,
        )
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"DROP TABLE IF EXISTS {META_TABLE}"))
    json.dumps(result)
    assert result["database"].split()[0] == engine.dialect.name
    assert result["customers"] == 200
    assert result["interactions"] == 2000
    assert result["identities"] >= 200
    assert 200 <= result["conversations"] <= 1000
    assert result["generation_seconds"] > 0
    assert result["generation"]["reused"] is False
    assert result["machine"]["cpus"] >= 1
    assert result["targets"] == TARGETS
    assert set(result["met"]) == {"timeline_p99", "search_p99"}

    _sane_latency(result["timeline"], 20)
    assert result["timeline"]["mean_items"] > 0
    _sane_latency(result["search"]["overall"], 20)
    by_class = result["search"]["by_class"]
    assert set(by_class) == set(QUERY_CLASSES)
    assert sum(c["count"] for c in by_class.values()) == 20
    assert by_class["common_word"]["matches_median"] > 0
    assert by_class["rare_pair"]["matches_median"] >= 1
    assert by_class["no_hit"]["matches_max"] == 0
    if by_class["no_hit"]["count"]:
        assert by_class["no_hit"]["mean_items"] == 0
