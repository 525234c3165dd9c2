"""release.yml: the gate's thresholds, validated at load (a bad value names its key)."""

from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, validator

from common.config_files import Strict, problems, read_yaml
from common.languages import languages
from stack.processes import ROOT

DEFAULT_PATH = ROOT / "release.yml"


class ReleaseConfigError(ValueError):
    """release.yml is missing or has a bad value; the message names the key."""


class LanguageSet(Strict):
    path: str
    min_intent_accuracy: float = Field(..., ge=0, le=1)

    @validator("path")
    def _a_folder(cls, value: str) -> str:
        if not (ROOT / value).is_dir():
            raise ValueError(f"{value!r} is not a folder of the project")
        return value


class HeldOut(Strict):
    languages: dict[str, LanguageSet]
    max_below_default: float = Field(..., ge=0, le=1)
    max_intent_f1_drop: float = Field(..., ge=0, le=1)

    @validator("languages")
    def _the_default_first(cls, value: dict[str, LanguageSet]) -> dict[str, LanguageSet]:
        known = languages()
        if not value:
            raise ValueError("at least the default language's set")
        for code in value:
            if code not in known.languages:
                raise ValueError(f"{code!r} is not one of languages.yml's languages")
        if next(iter(value)) != known.default:
            raise ValueError(f"the default language {known.default!r} comes first")
        return value

    @property
    def min_intent_accuracy(self) -> float:
        """The default language's threshold."""
        return next(iter(self.languages.values())).min_intent_accuracy

    def sets(self) -> dict[str, Path]:
        return {code: ROOT / entry.path for code, entry in self.languages.items()}


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
    return parse_config(read_yaml(path, ReleaseConfigError))
