"""The project's escalation.yml, loaded once, and a fresh raw copy to break."""

import copy
from typing import Any

import pytest
import yaml

from escalation.config import DEFAULT_PATH, EscalationConfig, load_escalation_config

_RAW = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def config() -> EscalationConfig:
    return load_escalation_config()


@pytest.fixture
def raw() -> dict[str, Any]:
    """escalation.yml as parsed YAML, safe to change in one test."""
    return copy.deepcopy(_RAW)
