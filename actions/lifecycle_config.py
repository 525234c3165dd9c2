"""lifecycle.yml: the limits on what the assistant may do alone in the service
journeys (e.g. which claims go to a person). Validated once, at load; every problem is
reported at once, one per line, as `key.path: reason`."""

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Extra, Field, ValidationError, validator

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "lifecycle.yml"
# The incident types the backend's protection plans know (fixtures' protection_plans).
INCIDENT_TYPES = ("screen_damage", "malfunction", "water_damage", "theft", "loss")
BACKEND_DESCRIPTION_LIMIT = 500


class LifecycleConfigError(ValueError):
    """lifecycle.yml cannot be used; the message names each bad key and its reason."""


class Strict(BaseModel):
    class Config:
        extra = Extra.forbid
        allow_mutation = False


class ClaimLimits(Strict):
    hand_over_incidents: tuple[str, ...] = ()
    description_max_chars: int = Field(BACKEND_DESCRIPTION_LIMIT, ge=20)

    @validator("hand_over_incidents", each_item=True)
    def _known_incident(cls, value: str) -> str:
        if value not in INCIDENT_TYPES:
            raise ValueError(f"unknown incident type {value!r}; one of {', '.join(INCIDENT_TYPES)}")
        return value

    @validator("description_max_chars")
    def _within_backend(cls, value: int) -> int:
        if value > BACKEND_DESCRIPTION_LIMIT:
            raise ValueError(f"at most {BACKEND_DESCRIPTION_LIMIT}, the backend's limit")
        return value


class ActivationTerms(Strict):
    """What activating a pending device policy sends the backend as accepted."""

    terms_version: str = Field("2026-01", min_length=1, max_length=32, regex=r"^[A-Za-z0-9._-]+$")


class LifecycleConfig(Strict):
    claims: ClaimLimits
    activation: ActivationTerms


def parse_config(raw: Any) -> LifecycleConfig:
    """The validated configuration; LifecycleConfigError naming each bad key."""
    if not isinstance(raw, dict):
        raise LifecycleConfigError("(top level): expected a mapping with a claims section")
    try:
        return LifecycleConfig.parse_obj(raw)
    except ValidationError as invalid:
        problems = [
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in invalid.errors()
        ]
        raise LifecycleConfigError("\n".join(problems)) from None


def load_config(path: Path | None = None) -> LifecycleConfig:
    """lifecycle.yml (or the file at path), validated."""
    path = path or DEFAULT_PATH
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise LifecycleConfigError(f"{path}: cannot be read ({error.strerror})") from None
    except yaml.YAMLError as error:
        raise LifecycleConfigError(f"{path}: not valid YAML ({error})") from None
    return parse_config(raw)


@lru_cache(maxsize=1)
def lifecycle_config() -> LifecycleConfig:
    """The process's configuration, read once."""
    return load_config()
