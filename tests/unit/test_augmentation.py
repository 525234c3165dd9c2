"""`rasa train --augmentation 0` (stack.config.RASA_TRAIN, the Makefile) trains the
same policies as Rasa's default augmentation: every policy in config.yml, trained on
the real stories and rules once with augmented trackers and once without, persists
the same thing. A policy that learns from augmented trackers fails this."""

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.graph_components.providers.training_tracker_provider import TrainingTrackerProvider
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.importers.importer import TrainingDataImporter

from stack.config import RASA_TRAIN
from stack.processes import ROOT

CONFIG = yaml.safe_load((ROOT / "config.yml").read_text())
RASA_DEFAULT = TrainingTrackerProvider.get_default_config()["augmentation_factor"]


@lru_cache(maxsize=2)
def trackers(augmentation: int) -> tuple[list[DialogueStateTracker], Domain]:
    """The training trackers as `rasa train` makes them, and the domain they were made with."""
    importer = TrainingDataImporter.load_from_dict(
        domain_path=str(ROOT / "domain.yml"), training_data_paths=[str(ROOT / "data")]
    )
    domain = importer.get_domain()
    provider = TrainingTrackerProvider(
        {**TrainingTrackerProvider.get_default_config(), "augmentation_factor": augmentation}
    )
    return provider.provide(importer.get_stories(), domain), domain


def persisted(directory: Path) -> dict[str, Any]:
    """Every file a policy wrote, JSON with its lists sorted (their order is the
    trackers' order, which augmentation changes)."""

    def canonical(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: canonical(item) for key, item in value.items()}
        if isinstance(value, list):
            return sorted((canonical(item) for item in value), key=json.dumps)
        return value

    return {
        str(path.relative_to(directory)): canonical(json.loads(path.read_text()))
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def trained(policy: dict[str, Any], augmentation: int, tmp_path: Path) -> dict[str, Any]:
    (tmp_path / str(augmentation)).mkdir()
    storage = LocalModelStorage(tmp_path / str(augmentation))
    component = DefaultV1Recipe._from_registry(policy["name"]).clazz
    resource = Resource(policy["name"])
    instance = component.create(
        {**component.get_default_config(), **{k: v for k, v in policy.items() if k != "name"}},
        storage,
        resource,
        ExecutionContext(GraphSchema({}), "test"),
    )
    instance.train(*trackers(augmentation))
    if not (tmp_path / str(augmentation) / resource.name).exists():
        return {}
    return persisted(tmp_path / str(augmentation) / resource.name)


def test_the_makefile_trains_as_the_python_tools_do() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert f"rasa {' '.join(RASA_TRAIN[1:])} " in makefile


@pytest.mark.parametrize("policy", CONFIG["policies"], ids=lambda p: p["name"])
def test_a_policy_learns_nothing_from_augmented_trackers(
    policy: dict[str, Any], tmp_path: Path
) -> None:
    assert trained(policy, RASA_DEFAULT, tmp_path) == trained(policy, 0, tmp_path)
