"""Issue #17's release gate end to end: `python -m release gate` promotes the model
`make test` trained (unchanged) as release 001, and refuses a worse one, trained from
the same inputs with one journey's NLU data (file_claim) removed, naming why; the
stack's pointer stays on 001. Real Rasa tests, a real stack for the replay.

The only training this adds is the worse model's; it replaces the training bench's
smoke run (which trained twice), and prepares its inputs with the bench's own
`copy_inputs`, so that code still runs in the suite."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.training import copy_inputs
from release.gate import sha256
from release.store import Releases
from stack.processes import ROOT

MODEL = ROOT / "models" / "switchboard.tar.gz"
KEPT = ROOT / "var" / "results" / "release"  # the run's reports, for the closing note


def release(command: str, releases: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m release <command> --releases <releases> ...`, as an operator runs it."""
    return subprocess.run(
        [sys.executable, "-m", "release", command, "--releases", str(releases), *args],
        cwd=ROOT,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
        capture_output=True,
        text=True,
        timeout=2400,
    )


def gate(releases: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return release("gate", releases, *args)


def test_an_unchanged_model_is_promoted_and_a_worse_one_refused(tmp_path: Path) -> None:
    if not MODEL.exists():
        pytest.fail(f"No trained model at {MODEL}: `make test` trains it first.")
    releases = tmp_path / "releases"
    unchanged = gate(releases, "--model", str(MODEL))
    assert unchanged.returncode == 0, unchanged.stdout[-4000:] + unchanged.stderr[-4000:]
    assert "PROMOTED as release 001" in unchanged.stdout
    pointer = releases / "current.tar.gz"
    assert pointer.resolve() == (releases / "001" / "model.tar.gz").resolve()
    assert sha256(pointer) == sha256(MODEL)
    kept = json.loads((releases / "001" / "release.json").read_text())
    assert all(check["passed"] for check in kept["checks"])
    measured = kept["held_out"]["languages"]
    assert list(measured) == ["en", *list(measured)[1:]] and len(measured) >= 2
    for code, entry in list(measured.items())[1:]:
        assert entry["messages"] >= 100, code
        assert f"| held-out intent accuracy ({code}) | {entry['intent_accuracy']:.3f} |" in (
            unchanged.stdout
        )

    inputs = tmp_path / "worse"
    inputs.mkdir()
    copy_inputs(inputs, smoke=True)
    for examples in (inputs / "data" / "nlu").glob("**/file_claim.yml"):
        examples.unlink()  # in every language
    worse = gate(releases, "--inputs", str(inputs))
    assert worse.returncode == 1, worse.stdout[-4000:] + worse.stderr[-4000:]
    report = worse.stdout
    assert "REFUSED" in report
    assert re.search(
        r"\| intent file_claim F1 \| \d\.\d{3} → 0\.000 \| drop ≤ 0\.1 \| \*\*FAIL", report
    )
    for reason in (
        "| journey file_claim | 2 lost (claim-filed, claim-filed-after-verification) | ≤ 0 lost | **FAIL** |",
    ):
        assert reason in report, report
    assert "| journey start_return | 0 lost | ≤ 0 lost | pass |" in report
    assert "Compared with release 001." in report
    assert (
        "conversation claim-filed: ['verify_identity: verified', 'file_claim: done'] → " in report
    )
    assert pointer.resolve() == (releases / "001" / "model.tar.gz").resolve()
    assert not (releases / "002").exists()
    assert len(list((releases / "reports").glob("*.json"))) == 2
    shutil.copytree(releases / "reports", KEPT, dirs_exist_ok=True)


def rollback(releases: Path) -> subprocess.CompletedProcess[str]:
    return release("rollback", releases)


def test_a_rollback_to_a_model_this_code_cannot_load_is_refused(tmp_path: Path) -> None:
    """A release trained before a component changed its stored format would stop the
    stack at its next start: the rollback refuses it and the pointer stays."""
    releases = Releases(tmp_path / "releases")
    old = tmp_path / "old.tar.gz"
    old.write_bytes(MODEL.read_bytes()[:100_000])  # not a model this code can read
    releases.promote(old, {}, "# old")
    releases.promote(MODEL, {}, "# now")
    refused = rollback(releases.folder)
    assert refused.returncode == 1 and "rollback refused: release 001: its model does not load" in (
        refused.stderr
    ), refused.stderr[-2000:]
    current = releases.current()
    assert current is not None and current.name == "002"

    shutil.copyfile(MODEL, releases.folder / "001" / "model.tar.gz")
    done = rollback(releases.folder)
    assert done.returncode == 0, done.stderr[-2000:]
    current = releases.current()
    assert current is not None and current.name == "001"
