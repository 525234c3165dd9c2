"""What every validated behaviour file (lifecycle.yml, outreach.yml, release.yml,
languages.yml, the desk's settings.yml) shares: models that refuse unknown keys and
cannot change once loaded, and each problem named as `key.path: reason`."""

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
