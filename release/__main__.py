"""`python -m release gate [--model M | --inputs DIR] [--releases DIR]`: gate a candidate
and promote it if it passes (exit 0), or refuse it (exit 1); the report is printed and
kept under <releases>/reports/. `python -m release rollback`: back to the release
before, if its model loads with this code. Without --model the candidate is trained
from --inputs (config.yml, domain.yml, data/)."""

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from release.config import DEFAULT_PATH, load_config
from release.gate import run_gate
from release.loadable import check_loads
from release.replay import REGRESSION_SET, load_set
from release.store import DEFAULT_DIR, ReleaseError, Releases
from stack.config import RASA_TRAIN
from stack.processes import ROOT


def train(inputs: Path, out: Path) -> Path:
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [*RASA_TRAIN, "--fixed-model-name", "candidate", "--out", str(out)],
        cwd=inputs,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return out / "candidate.tar.gz"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("command", choices=("gate", "rollback"))
    parser.add_argument("--model", type=Path, help="the candidate (default: train one)")
    parser.add_argument("--inputs", type=Path, default=ROOT, help="its training inputs")
    parser.add_argument("--releases", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--config", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--regression", type=Path, default=REGRESSION_SET)
    args = parser.parse_args(argv)
    releases = Releases(args.releases)
    if args.command == "rollback":
        try:
            release = releases.rollback(check_loads)
        except ReleaseError as error:
            print(f"rollback refused: {error}", file=sys.stderr)
            return 1
        print(f"release {release.name} is in service again ({releases.folder}/current.tar.gz)")
        return 0
    config = load_config(args.config)
    recorded = load_set(args.regression)
    with tempfile.TemporaryDirectory(prefix="release-") as tmp:
        work = Path(tmp)
        model = args.model.resolve() if args.model else train(args.inputs.resolve(), work)
        verdict = run_gate(model, args.inputs.resolve(), config, recorded, releases, work)
    print(verdict.report)
    return 0 if verdict.passed else 1


if __name__ == "__main__":
    sys.exit(main())
