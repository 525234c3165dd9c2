"""common: the one settings style and the one JSON-schema validator builder."""

import pytest
from jsonschema.exceptions import SchemaError
from pydantic import Field

from common.schemas import schema_validator
from common.settings import EnvSettings, http_url


class Problem(ValueError):
    pass


def _shown(value: str) -> str:
    if ":" not in value:
        raise ValueError("cannot be shown")
    return value.split(":")[0] + ":***"


class Sample(EnvSettings):
    port: int = Field(8000, env="SAMPLE_PORT", gt=0, lt=65536, rule="a TCP port")
    token: str = Field(
        ..., env="SAMPLE_TOKEN", secret=True, min_length=8, rule="at least 8 characters"
    )
    url: str | None = Field(None, env="SAMPLE_URL", rule="an http(s) URL")
    dsn: str = Field("a:b", env="SAMPLE_DSN", show=_shown, regex=r"^\w+:\w+$", rule="name:password")


def test_values_come_from_the_mapping_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAMPLE_PORT", "9")  # the process environment is not read
    loaded = Sample.from_env({"SAMPLE_TOKEN": "12345678", "SAMPLE_PORT": " ", "OTHER": "x"})
    assert (loaded.port, loaded.token, loaded.url) == (8000, "12345678", None)


def test_settings_are_frozen() -> None:
    loaded = Sample.from_env({"SAMPLE_TOKEN": "12345678"})
    with pytest.raises(TypeError):
        loaded.port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "SAMPLE_TOKEN is not set"),
        ({"SAMPLE_TOKEN": "   "}, "SAMPLE_TOKEN is not set"),
        ({"SAMPLE_TOKEN": "short"}, "SAMPLE_TOKEN: expected at least 8 characters"),
        (
            {"SAMPLE_TOKEN": "12345678", "SAMPLE_PORT": "70000"},
            "SAMPLE_PORT='70000': expected a TCP port",
        ),
        (
            {"SAMPLE_TOKEN": "12345678", "SAMPLE_PORT": "http"},
            "SAMPLE_PORT='http': expected a TCP port",
        ),
        (
            {"SAMPLE_TOKEN": "12345678", "SAMPLE_DSN": "user:pw:x"},
            "SAMPLE_DSN='user:***': expected name:password",
        ),
        (
            {"SAMPLE_TOKEN": "12345678", "SAMPLE_DSN": "nocolon!"},
            "SAMPLE_DSN: expected name:password",
        ),
    ],
)
def test_a_wrong_value_names_the_variable_and_the_rule_never_a_secret(
    env: dict, message: str
) -> None:
    with pytest.raises(Problem) as caught:
        Sample.from_env(env, Problem)
    assert str(caught.value) == message
    assert "short" not in str(caught.value) and "pw" not in str(caught.value)


def test_http_urls_lose_trailing_slashes_and_other_schemes_are_refused() -> None:
    assert http_url("https://crm.example.com/api//") == "https://crm.example.com/api"
    assert http_url(None) is None
    for wrong in ("ftp://crm.example.com", "crm.example.com", "http://"):
        with pytest.raises(ValueError):
            http_url(wrong)


def test_a_field_without_a_variable_is_a_programming_error() -> None:
    class Unnamed(EnvSettings):
        value: int = 1

    with pytest.raises(TypeError, match="Field"):
        Unnamed.from_env({})


def test_the_schema_names_its_draft_and_formats_are_checked() -> None:
    validator = schema_validator(
        {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "properties": {"at": {"type": "string", "format": "date"}},
        }
    )
    assert type(validator).__name__ == "Draft7Validator"
    assert validator.is_valid({"at": "2026-11-30"})
    assert not validator.is_valid({"at": "yesterday"})
    assert schema_validator({"properties": {"at": {"format": "date"}}}, formats=False).is_valid(
        {"at": "yesterday"}
    )


def test_a_broken_schema_is_refused_when_built() -> None:
    with pytest.raises(SchemaError):
        schema_validator({"type": "no-such-type"})
