"""Training time of the assistant: from scratch, and after one NLU example changed.

`python -m bench.training` copies the project's training inputs (config.yml,
domain.yml, data/) to a temporary folder, trains there with an empty cache
(full), changes one training example and trains again with the cache Rasa kept
(incremental, what a developer waits for after an edit). Prints both and writes
bench/results/training.json. The project's own models/ is not touched.
`--smoke` trains as little as each model allows (one epoch; the shipped encoder, not
fine-tuned), so tests can show the benchmark works.
"""

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import yaml

from bench.results_file import write_result
from stack.config import RASA_TRAIN
from stack.processes import ROOT

CHANGED_FILE = Path("data/nlu/orders.yml")
ADDED_EXAMPLE = "    - any idea when my delivery turns up, it's been ages\n"
# The least training each trainable part allows, for --smoke.
SMOKE_TRAINING = {"epochs": 1, "fine_tune_epochs": 0}


def copy_inputs(workdir: Path, smoke: bool) -> None:
    """The training inputs; in smoke mode every trainable part trains the least it can."""
    shutil.copy(ROOT / "domain.yml", workdir / "domain.yml")
    shutil.copytree(ROOT / "data", workdir / "data")
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    if smoke:
        for part in config.get("pipeline", []) + config.get("policies", []):
            part.update({k: v for k, v in SMOKE_TRAINING.items() if k in part})
    (workdir / "config.yml").write_text(yaml.safe_dump(config, sort_keys=False))


def change_one_example(workdir: Path) -> None:
    """Add one example before the first example of the changed file."""
    path = workdir / CHANGED_FILE
    lines = path.read_text().splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if line.startswith(ADDED_EXAMPLE[:6]))
    lines.insert(first, ADDED_EXAMPLE)
    path.write_text("".join(lines))


def timed_train(workdir: Path) -> float:
    # PYTHONPATH: the pipeline's own components (escalation/, …) live in the project.
    env = {
        **os.environ,
        "RASA_CACHE_DIRECTORY": str(workdir / ".cache"),
        "RASA_TELEMETRY_ENABLED": "false",
        "PYTHONPATH": str(ROOT),
    }
    start = time.perf_counter()
    subprocess.run(
        [*RASA_TRAIN, "--out", "models"],
        cwd=workdir,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="the least training, for tests")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        copy_inputs(workdir, args.smoke)
        full = timed_train(workdir)
        change_one_example(workdir)
        incremental = timed_train(workdir)
    result = write_result(
        "training_smoke" if args.smoke else "training",
        {"full_seconds": round(full, 1), "incremental_seconds": round(incremental, 1)},
    )
    print(f"training: full {full:.0f} s, after one NLU example changed {incremental:.0f} s")
    return result


if __name__ == "__main__":
    main()
