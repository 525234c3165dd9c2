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


# Twilio's <Gather> speechModel values (twilio.com/docs/voice/twiml/gather): the generic
# models, and a specific provider's (Google STT V2, Deepgram). The channel never asks for
# Twilio's `enhanced` phone_call model (en-US only): phone_call here is the standard one.
SPEECH_MODELS = (
    "default",
    "numbers_and_commands",
    "phone_call",
    "experimental_conversations",
    "experimental_utterances",
    "googlev2_long",
    "googlev2_short",
    "googlev2_telephony",
    "googlev2_telephony_short",
    "deepgram_nova-2",
    "deepgram_nova-3",
)


class Voice(Strict):
    """How a call speaks one language: Twilio's language code, a voice that speaks it and
    the speech model that listens to it (None: the voice channel's `speech_model`)."""

    language: str = Field(..., regex=r"^[a-z]{2,3}-[A-Z]{2}$")
    voice: str = Field(..., regex=r"^[A-Za-z][A-Za-z0-9._-]{0,63}$")
    speech_model: str | None = None

    @validator("speech_model")
    def _twilio_speech_model(cls, value: str | None) -> str | None:
        if value is not None and value not in SPEECH_MODELS:
            raise ValueError(f"{value!r} is not one of Twilio's: {', '.join(SPEECH_MODELS)}")
        return value


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
