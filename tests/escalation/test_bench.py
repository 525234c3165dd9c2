"""The escalation benchmark: its labelled set is sound, and it runs end to end."""

import subprocess
import sys
from collections import Counter
from pathlib import Path

from bench.escalation.__main__ import HALVES, load_cases
from escalation.config_schema import CHANNELS

ROOT = Path(__file__).resolve().parents[2]
REASONS = {
    "none",
    "clarify",
    "low_confidence",
    "negative_emotion",
    "turn_limit",
    "human_requested",
    "system_trouble",
    "sensitive_topic:bereavement",
    "sensitive_topic:legal",
    "sensitive_topic:fraud",
    "sensitive_topic:vulnerability",
}


def test_the_labelled_set_is_large_varied_and_consistent():
    cases = load_cases()
    assert len(cases) >= 320
    assert len({case.id for case in cases}) == len(cases)
    assert {case.channel for case in cases} == set(CHANNELS)
    assert all(1 <= len(case.turns) <= 4 for case in cases)
    assert any(len(case.turns) > 1 for case in cases)
    reasons = Counter(case.reason or "none" for case in cases)
    assert set(reasons) == REASONS
    assert all((case.reason not in (None, "clarify")) == case.escalate for case in cases)


def test_the_halves_are_fixed_by_the_text_and_both_sizeable():
    halves = Counter(case.half for case in load_cases())
    assert set(halves) == set(HALVES)
    assert min(halves.values()) > 0.4 * sum(halves.values())
    assert [case.half for case in load_cases()] == [case.half for case in load_cases()]


def test_the_smoke_run_prints_the_summary():
    result = subprocess.run(
        [sys.executable, "-m", "bench.escalation", "--smoke"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    last_line = result.stdout.strip().splitlines()[-1]
    assert last_line.startswith("summary: dev P ")
    assert "| test P " in last_line and "targets (precision >= 0.90, recall >= 0.95)" in last_line
