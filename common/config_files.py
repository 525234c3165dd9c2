"""What every validated behaviour file (lifecycle.yml, outreach.yml, release.yml,
languages.yml, the desk's settings.yml) shares: models that refuse unknown keys and
cannot change once loaded, and each problem named as `key.path: reason`."""

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Extra, ValidationError


class Strict(BaseModel):
    class Config:
        extra = Extra.forbid
        allow_mutation = False


def problems(error: ValidationError) -> list[str]:
    """Each problem of a validation error as `key.path: reason`."""
    return [
        f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}" for item in error.errors()
    ]


def read_yaml(path: Path, error: type[Exception]) -> Any:
    """The file's YAML; `error`, naming the file, when it cannot be read or parsed."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as problem:
        raise error(f"{path}: cannot be read ({problem.strerror})") from None
    except yaml.YAMLError as problem:
        raise error(f"{path}: not valid YAML ({problem})") from None
