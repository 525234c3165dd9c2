"""languages.yml: the customers' languages and how a message's language is read
(components/language.py). Validated at load: a bad key stops the start, naming the key
and the reason."""

from functools import lru_cache
from pathlib import Path
from typing import Any

from lingua import IsoCode639_1
from pydantic import Field, ValidationError, root_validator, validator

from common.config_files import Strict, problems, read_yaml

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "languages.yml"


class LanguageConfigError(ValueError):
    """languages.yml cannot be used; the message names each bad key and its reason."""


class Voice(Strict):
    """How a call speaks one language: Twilio's language code and a voice that speaks it."""

    language: str = Field(..., regex=r"^[a-z]{2,3}-[A-Z]{2}$")
    voice: str = Field(..., regex=r"^[A-Za-z][A-Za-z0-9._-]{0,63}$")


class LanguageConfig(Strict):
    """languages.yml."""

    version: int = Field(..., ge=1, le=1)
    languages: list[str] = Field(..., min_items=1)
    default: str
    min_confidence: float = Field(..., gt=0, le=1)
    min_letters: int = Field(..., ge=1, le=100)
    words: dict[str, tuple[str, ...]] = {}
    asked_for: dict[str, tuple[str, ...]] = {}
    negations: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    voice: dict[str, Voice] = {}

    @validator("languages", each_item=True)
    def _iso_code(cls, value: str) -> str:
        if not hasattr(IsoCode639_1, value.upper()):
            raise ValueError(f"{value!r} is not an ISO 639-1 language code")
        return value

    @root_validator(skip_on_failure=True)
    def _known_languages(cls, values: dict[str, Any]) -> dict[str, Any]:
        known = values["languages"]
        if values["default"] not in known:
            raise ValueError(f"default {values['default']!r} is not one of languages")
        for key in ("words", "asked_for", "voice"):
            for language in values[key]:
                if language not in known:
                    raise ValueError(f"{key}.{language}: not one of languages")
        for language, voice in values["voice"].items():
            if voice.language.split("-")[0] != language:
                raise ValueError(f"voice.{language}.language: {voice.language!r} is not {language}")
        return values


def load_config(path: Path = DEFAULT_PATH) -> LanguageConfig:
    """languages.yml validated; LanguageConfigError names every bad key and its reason."""
    raw = read_yaml(path, LanguageConfigError)
    try:
        return LanguageConfig.parse_obj(raw if isinstance(raw, dict) else {})
    except ValidationError as error:
        raise LanguageConfigError(f"{path}:\n" + "\n".join(problems(error))) from error


@lru_cache(maxsize=1)
def languages() -> LanguageConfig:
    """The project's languages.yml, read once per process."""
    return load_config()
