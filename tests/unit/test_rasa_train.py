"""How Switchboard trains: Rasa's training graph on a thread per core, nodes whose
inputs are ready side by side, each getting the inputs and giving the outputs it
would in Rasa's own runner."""

import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import rasa.model_training
from rasa.engine.exceptions import GraphComponentException
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage

from stack import rasa_train
from stack.rasa_train import ThreadedGraphRunner

# Both independent nodes must be waiting here at once, or the wait breaks (each test
# sets its own).
MEETING = threading.Barrier(2)


class _Meets(GraphComponent):
    """Waits until the other independent node is running too."""

    @classmethod
    def create(cls, *args: Any, **kwargs: Any) -> "_Meets":
        return cls()

    def meet(self) -> int:
        MEETING.wait()
        return 1


class _Adds(GraphComponent):
    @classmethod
    def create(cls, *args: Any, **kwargs: Any) -> "_Adds":
        return cls()

    def add(self, left: int, right: int) -> int:
        return left + right


def _node(uses: type, fn: str, needs: dict[str, str] | None = None) -> SchemaNode:
    return SchemaNode(needs=needs or {}, uses=uses, fn=fn, constructor_name="create", config={})


SCHEMA = GraphSchema(
    {
        "nlu": _node(_Meets, "meet"),
        "core": _node(_Meets, "meet"),
        "sum": _node(_Adds, "add", {"left": "nlu", "right": "core"}),
    }
)


def _run(runner_class: type[DaskGraphRunner], tmp_path: Path) -> dict[str, Any]:
    runner = runner_class.create(SCHEMA, LocalModelStorage(tmp_path), ExecutionContext(SCHEMA))
    return runner.run(targets=["sum"])


def test_independent_nodes_run_side_by_side(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.modules[__name__], "MEETING", threading.Barrier(2, timeout=30))
    assert _run(ThreadedGraphRunner, tmp_path) == {"sum": 2}


def test_rasa_own_runner_runs_them_one_after_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the threaded runner changes: in Rasa's, the first node waits alone."""
    monkeypatch.setattr(sys.modules[__name__], "MEETING", threading.Barrier(2, timeout=0.5))
    with pytest.raises(GraphComponentException) as raised:
        _run(DaskGraphRunner, tmp_path)
    assert isinstance(raised.value.__cause__, threading.BrokenBarrierError)


def test_install_makes_rasa_training_use_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rasa.model_training, "DaskGraphRunner", DaskGraphRunner)
    rasa_train.install()
    assert rasa.model_training.DaskGraphRunner is ThreadedGraphRunner
