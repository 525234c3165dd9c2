"""Every benchmark runs in its quick smoke mode, so none of them can rot; the
real runs (`make bench-*`) are too long for the test suite. The training bench has no
smoke run of its own: tests/release/test_gate.py trains from its `copy_inputs`."""

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.results_file import RESULTS
from stack.processes import ROOT

SMOKE_RUNS = {
    "escalation": (["--smoke"], "summary: dev P", []),
    "nlu": (
        ["--smoke"],
        "nlu held_out: en ",
        ["nlu_banking77_smoke", "nlu_clinc150_smoke", "nlu_held_out_smoke"],
    ),
    "turn_latency": (["--smoke"], "turn latency over 3", ["turn_latency_smoke"]),
    # The soak smoke (issue #16) runs on the load smoke's scaled profile: one start.
    "load": (["--smoke", "--soak"], "soak: ", ["load-smoke", "soak-smoke"]),
    "hostile": (["--smoke"], "hostile: normal traffic", ["hostile-smoke"]),
    "analytics": (["--smoke"], "dashboard month (figures/daily)", ["analytics_smoke"]),
    "language": ([], "short messages (target 98 %)", ["language"]),
}
FUZZED = (
    "REST webhook",
    "REST poll",
    "WhatsApp signed",
    "WhatsApp unsigned",
    "Voice",
    "E-mail",
    "Web chat",
    "Backend API",
    "Desk API",
    "Memory API",
    "Analytics API",
    "Outreach API",
    "Rasa erase (internal)",
    "Lockout erase (action server)",
)


def run_bench(module: str, args: list[str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{module}", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


@pytest.mark.parametrize("module", sorted(SMOKE_RUNS))
def test_benchmark_smoke_run(module: str) -> None:
    args, summary, results = SMOKE_RUNS[module]
    output = run_bench(module, args)
    assert summary in output
    for name in results:
        result = json.loads((RESULTS / f"{name}.json").read_text())
        assert result["date"] and result["machine"]


def test_load_benchmark_profiles_rasa_and_the_action_server(tmp_path: Path) -> None:
    output = run_bench("load", ["--smoke", "--profile", str(tmp_path)])
    assert "=== rasa by cumulative ===" in output
    for name in ("rasa", "action-server"):
        assert "handle_request" in (tmp_path / f"{name}.cumulative.txt").read_text()


def test_load_benchmark_measures_one_conversation_alone() -> None:
    output = run_bench("load", ["--single", "--turns", "3"])
    assert "one conversation, 3 turns: p50 " in output
    assert "errors 0; CPU ms per turn" in output and '"rasa": ' in output
    loop = re.search(r"Rasa's event loop (\d+\.\d)", output)
    assert loop and float(loop.group(1)) > 0


def test_nlu_benchmark_smoke_run_with_another_config() -> None:
    output = run_bench(
        "nlu", ["--dataset", "banking77", "--smoke", "--config", "bench/pipelines/diet.yml"]
    )
    assert "nlu banking77:" in output
    result = json.loads((RESULTS / "nlu_banking77_diet_smoke.json").read_text())
    assert result["config"] == "bench/pipelines/diet.yml"
    assert "DIETClassifier" in result["pipeline"]


@pytest.fixture(scope="module")
def fuzz_smoke() -> tuple[int, str, dict[str, Any]]:
    """One smoke run of the fuzz bench (it exits 1 when it finds a 5xx, so its exit
    status is checked by the tests below rather than by run_bench)."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.fuzz", "--smoke"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert "fuzz: " in done.stdout, done.stdout[-3000:] + done.stderr[-3000:]
    return done.returncode, done.stdout, json.loads((RESULTS / "fuzz-smoke.json").read_text())


def test_fuzz_smoke_run_reports_every_entry_point(
    fuzz_smoke: tuple[int, str, dict[str, Any]],
) -> None:
    code, output, result = fuzz_smoke
    assert result["date"] and result["machine"]
    assert sorted(result["entry_points"]) == sorted(FUZZED)
    for name in FUZZED:
        assert result["entry_points"][name]["cases"] >= 30
        assert name in output
    assert code == (0 if result["passed"] else 1)


def test_fuzz_smoke_run_finds_no_5xx_and_the_stack_still_answers(
    fuzz_smoke: tuple[int, str, dict[str, Any]],
) -> None:
    """Issues #10 and #20: every reproduction of #20's table plus generated cases,
    0 answers of 5xx, 0 crashes, and a normal conversation afterwards."""
    _, output, result = fuzz_smoke
    failed = {
        name: {"5xx": r["5xx"], "crashes": r["crashes"], "down": r["services_down"]}
        for name, r in result["entry_points"].items()
        if r["5xx"] or r["crashes"] or r["services_down"]
    }
    assert not failed, output[-6000:]
    assert result["still_answers"]["ok"], result["still_answers"]
