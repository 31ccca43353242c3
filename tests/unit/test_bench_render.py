"""bench/render.py in miniature: a few customers per channel, valid JSON on stdout."""

from __future__ import annotations

import json

import pytest
from bench.render import (
    BLOCKS,
    LOCALE,
    SCHEMA,
    SOURCES,
    bare_renderer,
    ceiling_data,
    customers,
    main,
    run,
)

from unisono.studio.data import coerce
from unisono.studio.render import render_variant

CHANNEL_KEYS = {"renders_per_second", "ceiling_renders_per_second", "ratio", "met"}


def test_bench_render_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--customers", "30", "--no-letters"])
    result = json.loads(capsys.readouterr().out)
    assert result["customers"] == 30
    assert set(result["channels"]) == {kind.value for kind in SOURCES}
    for figures in result["channels"].values():
        assert figures.keys() == CHANNEL_KEYS
        assert figures["renders_per_second"] > 0
        assert figures["ceiling_renders_per_second"] > 0
        assert figures["ratio"] > 0
    assert result["letters"] is None
    assert result["data_checks_per_second"] > 0
    assert len(result["machine"]["load_average"]) == 3


def test_the_ceiling_renders_the_same_text() -> None:
    # The bare loop does the same work: the same sources give the same text per customer.
    for raw in customers(3):
        typed = coerce(SCHEMA, raw)
        for kind, sources in SOURCES.items():
            ours = render_variant(kind, LOCALE, sources, typed, BLOCKS).fields
            bare = bare_renderer(kind)(ceiling_data(typed))
            assert bare
            for name, text in bare.items():
                if name != "html":  # ours has its CSS inlined
                    assert text == ours[name], (kind, name)


def test_run_without_letters() -> None:
    result = run(5, letters=False)
    json.dumps(result)
    assert result["target_ratio"] == 0.5
    assert result["email_css_inline_microseconds"] > 0
