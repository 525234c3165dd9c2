"""release.yml: the gate's thresholds, validated at load (a bad value names its key)."""

from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError

from common.config_files import Strict, problems
from stack.processes import ROOT

DEFAULT_PATH = ROOT / "release.yml"


class ReleaseConfigError(ValueError):
    """release.yml is missing or has a bad value; the message names the key."""


class HeldOut(Strict):
    min_intent_accuracy: float = Field(..., ge=0, le=1)
    max_intent_f1_drop: float = Field(..., ge=0, le=1)


class Stories(Strict):
    min_conversation_accuracy: float = Field(..., ge=0, le=1)


class Escalation(Strict):
    min_precision: float = Field(..., ge=0, le=1)
    min_recall: float = Field(..., ge=0, le=1)


class Regression(Strict):
    max_lost_per_journey: int = Field(..., ge=0)


class ReleaseConfig(Strict):
    held_out: HeldOut
    stories: Stories
    escalation: Escalation
    regression: Regression


def parse_config(raw: Any) -> ReleaseConfig:
    if not isinstance(raw, dict):
        raise ReleaseConfigError("(top level): expected a mapping with a held_out section")
    try:
        return ReleaseConfig.parse_obj(raw)
    except ValidationError as invalid:
        raise ReleaseConfigError("\n".join(problems(invalid))) from None


def load_config(path: Path = DEFAULT_PATH) -> ReleaseConfig:
    try:
        return parse_config(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError) as error:
        raise ReleaseConfigError(f"{path.name}: {error}") from None
