"""One settings style for the services: pydantic `BaseSettings` whose fields name their
environment variable and the rule a value must follow.

    class Settings(EnvSettings):
        backend_retries: int = Field(1, env="BACKEND_RETRIES", ge=0, le=2,
                                     rule="a whole number from 0 to 2")

    Settings.from_env(os.environ, SettingsError)

An unset, empty or blank variable means the default. A wrong value stops the start with
`NAME='value': expected <rule>` (the validator's reason where there is no rule), raised
as the service's own error; a field marked `secret=True` never shows its value, one
with `show=f` shows f(value) (say, a URL with its password masked).
Settings are read from the mapping given and nothing else, so a test's mapping never
mixes with the process environment.
"""

from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlparse

from pydantic import BaseSettings, Extra, ValidationError
from pydantic.fields import ModelField

S = TypeVar("S", bound="EnvSettings")


class EnvSettings(BaseSettings):
    """Frozen settings read from one environment mapping."""

    class Config:
        allow_mutation = False
        case_sensitive = True
        extra = Extra.forbid

        @classmethod
        def customise_sources(
            cls,
            init_settings: Callable[..., dict[str, Any]],
            env_settings: Callable[..., dict[str, Any]],
            file_secret_settings: Callable[..., dict[str, Any]],
        ) -> tuple[Callable[..., dict[str, Any]], ...]:
            return (init_settings,)  # from_env passes the mapping's values

    @classmethod
    def from_env(cls: type[S], env: Mapping[str, str], error: type[ValueError] = ValueError) -> S:
        """The settings in env, every value checked; error names the variable and why."""
        given: dict[str, str] = {}
        for name, field in cls.__fields__.items():
            raw = env.get(variable(field))
            if raw is not None and raw.strip() != "":
                given[name] = raw
        try:
            return cls(**given)
        except ValidationError as invalid:
            first = invalid.errors()[0]
            field = cls.__fields__[str(first["loc"][0])]
            raise error(_reason(field, given.get(field.name), first["msg"])) from None


def variable(field: ModelField) -> str:
    """The environment variable a field is read from."""
    name = field.field_info.extra.get("env")
    if not isinstance(name, str):
        raise TypeError(f"{field.name}: declare its variable with Field(..., env=NAME)")
    return name


def _reason(field: ModelField, raw: str | None, message: str) -> str:
    extra = field.field_info.extra
    expected = f"expected {extra['rule']}" if "rule" in extra else message
    if raw is None:
        return f"{variable(field)} is not set"
    if extra.get("secret"):
        return f"{variable(field)}: {expected}"
    if "show" in extra:  # e.g. a URL with its password masked; omitted if it cannot be
        try:
            raw = extra["show"](raw)
        except ValueError:
            return f"{variable(field)}: {expected}"
    return f"{variable(field)}={raw!r}: {expected}"


def http_url(value: str | None) -> str | None:
    """An http(s) URL with a host, without trailing slashes (for validators); None
    stays None (an optional URL left unset)."""
    if value is None:
        return None
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError("not an http(s) URL")
    return value.rstrip("/")
