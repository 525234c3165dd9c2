"""`rasa train` as Switchboard runs it: Rasa's own command line, its training graph
run on a thread per core.

Rasa 3.6 runs the training graph with dask's synchronous scheduler, one node after
another, so the dialogue side (stories, trackers and the policies, all Python) waits
for the NLU side (the MiniLM tuning and the classifier, mostly TensorFlow and BLAS,
which let go of the GIL) or the other way round. Here the same graph runs on dask's
threaded scheduler: nodes whose inputs are ready run side by side. What each node
computes does not change: they share no state but their inputs (the training cache
opens a SQLite connection per session; the model storage gives every node its own
directory).

    python -m stack.rasa_train --fixed-model-name switchboard --out models

(the Makefile's `train`, the release gate's and bench/training.py's trainings).
"""

import os
import sys
from typing import Any

import dask.threaded
import rasa.model_training
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner

from stack.config import VENV_BIN


def workers() -> int:
    """One thread per core the process may use."""
    return max(1, len(os.sched_getaffinity(0)))


class ThreadedGraphRunner(DaskGraphRunner):
    """DaskGraphRunner with dask's threaded scheduler in place of the synchronous one."""

    def run(
        self, inputs: dict[str, Any] | None = None, targets: list[str] | None = None
    ) -> dict[str, Any]:
        run_targets = targets if targets else self._graph_schema.target_names
        graph = self._build_dask_graph(self._graph_schema.minimal_graph_schema(run_targets))
        self._add_inputs_to_graph(inputs, graph)
        try:
            return dict(dask.threaded.get(graph, run_targets, num_workers=workers()))
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e


def command(*rasa_train_args: str) -> list[str]:
    """The command line of `rasa train` with these arguments, as Switchboard runs it
    (PYTHONPATH must reach the project)."""
    return [str(VENV_BIN / "python"), "-m", "stack.rasa_train", *rasa_train_args]


def install() -> None:
    """Rasa's training (`rasa train`, `rasa.model_training`) uses the threaded runner."""
    rasa.model_training.DaskGraphRunner = ThreadedGraphRunner


def main() -> None:
    install()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", "train", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
