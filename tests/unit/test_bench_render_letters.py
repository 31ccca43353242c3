"""bench/render_letters.py in miniature: a dozen letters both ways, the JSON it prints."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.render_letters import (
    PRINT_ENGINE_CLAIM,
    TARGET_PAGES_PER_MINUTE,
    make_letters,
    measure_letters,
)

from unisono.studio.letter_batch import simple_paragraphs

RATE_KEYS = {"pages", "cpu_seconds", "wall_seconds", "pages_per_minute", "ms_per_page"}


def test_letters_are_distinct_and_fit_the_fast_path() -> None:
    letters = make_letters(50)
    assert len({letter.reference for letter in letters}) == 50
    assert len({letter.body_html for letter in letters}) == 50
    assert all(simple_paragraphs(letter.body_html) is not None for letter in letters)
    assert make_letters(5) == make_letters(5)  # deterministic


def test_measure_letters_reports_both_paths() -> None:
    result = measure_letters(12, full_sample=2)
    json.dumps(result)
    assert result["letters"] == 12
    full, composed = result["full"], result["composed"]
    assert full.keys() >= RATE_KEYS
    assert full["letters"] == 2
    assert full["pages"] >= 2
    assert composed.keys() >= RATE_KEYS | {"layout_seconds", "fallbacks", "file_bytes"}
    assert composed["letters"] == 12
    assert composed["fallbacks"] == 0
    assert sum(int(n) * k for n, k in composed["pages_per_letter"].items()) == composed["pages"]
    assert composed["pages_per_minute"] > full["pages_per_minute"] > 0
    assert result["speedup"] > 1
    assert result["targets"] == {
        "composed_pages_per_minute_one_core": TARGET_PAGES_PER_MINUTE,
        "print_engine_claim": PRINT_ENGINE_CLAIM,
    }
    assert result["met"]["composed"] == (composed["pages_per_minute"] >= TARGET_PAGES_PER_MINUTE)
    assert len(result["machine"]["load_average_before"]) == 3


def test_runs_alone_and_prints_json(tmp_path: Path) -> None:
    script = Path(__file__).parents[2] / "bench" / "render_letters.py"
    output = tmp_path / "letters.json"
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [
            sys.executable,
            str(script),
            "--count",
            "5",
            "--full-sample",
            "0",
            "--output",
            str(output),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    result = json.loads(done.stdout)
    assert result["full"] is None
    assert result["composed"]["letters"] == 5
    assert json.loads(output.read_text()) == result
