"""The gate's measurements of one candidate: Rasa's own data validation and tests
(run as the `rasa` command, as `make test` runs them) and the escalation bench."""

import json
import os
import shutil
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


def held_out(model: Path, out: Path, sets: dict[str, Path]) -> dict[str, Any]:
    """`rasa test nlu` once on every language's held-out set (`sets`, by language, the
    default language's first): each language's intent accuracy, and each intent's F1
    over them all. The default language's accuracy is `intent_accuracy`."""
    together = out / "sets"
    together.mkdir(parents=True, exist_ok=True)
    language_of: dict[str, set[str]] = {}
    for code, folder in sets.items():
        for path in sorted(folder.glob("*.yml")):
            shutil.copyfile(path, together / f"{code}-{path.name}")
            for text in _texts(path):
                language_of.setdefault(text, set()).add(code)
    rasa(
        ["test", "nlu", "--nlu", str(together), "--model", str(model), "--out", str(out)]
        + ["--successes"],
        ROOT,
    )
    report = json.loads((out / "intent_report.json").read_text())
    right = dict.fromkeys(sets, 0)
    total = dict.fromkeys(sets, 0)
    for name, correct in (("intent_successes.json", 1), ("intent_errors.json", 0)):
        path = out / name
        for prediction in json.loads(path.read_text()) if path.is_file() else []:
            for code in language_of.get(prediction["text"], ()):
                right[code] += correct
                total[code] += 1
    accuracy = {code: right[code] / total[code] if total[code] else 0.0 for code in sets}
    return {
        "intent_accuracy": accuracy[next(iter(sets))],
        "languages": {
            code: {"intent_accuracy": accuracy[code], "messages": total[code]} for code in sets
        },
        "macro_f1": report["macro avg"]["f1-score"],
        "intent_f1": {
            name: round(entry["f1-score"], 3)
            for name, entry in sorted(report.items())
            if isinstance(entry, dict) and "support" in entry and " avg" not in name
        },
    }


def _texts(path: Path) -> list[str]:
    from rasa.shared.nlu.training_data.loading import load_data

    return [example.get("text") for example in load_data(str(path)).intent_examples]


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
