"""The gate's measurements of one candidate: Rasa's own data validation and tests
(run as the `rasa` command, as `make test` runs them) and the escalation bench."""

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stack.config import VENV_BIN
from stack.processes import ROOT

TIMEOUT = 1800


@dataclass(frozen=True)
class Run:
    ok: bool
    tail: str  # the end of what the command printed, for the report


def rasa(args: list[str], cwd: Path) -> Run:
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [str(VENV_BIN / "rasa"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    return Run(done.returncode == 0, (done.stdout + done.stderr)[-2000:])


def validate(inputs: Path) -> dict[str, Any]:
    """`rasa data validate --fail-on-warnings` on the candidate's training inputs."""
    run = rasa(["data", "validate", "--fail-on-warnings"], inputs)
    return {"passed": run.ok, "output": "" if run.ok else run.tail}


def stories(model: Path, out: Path) -> dict[str, Any]:
    """`rasa test core` on tests/stories: the share of stories without a wrong action."""
    rasa(
        ["test", "core", "--stories", "tests/stories", "--model", str(model), "--out", str(out)],
        ROOT,
    )
    report = json.loads((out / "story_report.json").read_text())
    conversations = report["conversation_accuracy"]
    failed = out / "failed_test_stories.yml"
    return {
        "conversation_accuracy": conversations["accuracy"],
        "correct": conversations["correct"],
        "total": conversations["total"],
        "action_accuracy": report["accuracy"],
        "failed_stories": _story_names(failed.read_text()) if failed.is_file() else [],
    }


def _story_names(text: str) -> list[str]:
    return [line.split(":", 1)[1].strip() for line in text.splitlines() if "- story:" in line]


def held_out(model: Path, out: Path) -> dict[str, Any]:
    """`rasa test nlu` on tests/nlu: intent accuracy and each intent's F1."""
    rasa(["test", "nlu", "--nlu", "tests/nlu", "--model", str(model), "--out", str(out)], ROOT)
    report = json.loads((out / "intent_report.json").read_text())
    return {
        "intent_accuracy": report["accuracy"],
        "macro_f1": report["macro avg"]["f1-score"],
        "intent_f1": {
            name: round(entry["f1-score"], 3)
            for name, entry in sorted(report.items())
            if isinstance(entry, dict) and "support" in entry and " avg" not in name
        },
    }


def escalation() -> dict[str, Any]:
    """bench/escalation's held-out half with the shipped escalation.yml."""
    from rasa.shared.core.domain import Domain

    from bench.escalation.__main__ import load_cases, metrics, run, shipped_policy

    domain = Domain.load(str(ROOT / "domain.yml"))
    cases = [case for case in load_cases() if case.half == "test"]
    with tempfile.TemporaryDirectory() as model_dir:
        policy = shipped_policy(Path(model_dir))
        result = metrics([run(case, policy, domain) for case in cases])
    return {key: result[key] for key in ("items", "precision", "recall", "f1")}
