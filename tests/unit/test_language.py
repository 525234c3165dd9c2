"""Which language a message is in (components/language.py), languages.yml's checks,
the slot the assistant keeps it in, and what the desk and the packet show of it."""

from pathlib import Path

import pytest
import yaml
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from actions.language import conversation_language, recorded_language
from common.languages import DEFAULT_PATH, LanguageConfigError, languages, load_config
from components.language import reader
from components.language_heard import LanguageHeard
from components.model_text import model_text
from desk.plain import language_name
from stack.processes import ROOT


@pytest.mark.parametrize(
    ("text", "current", "language", "how"),
    [
        ("ok", "de", "de", "kept"),
        ("BW-100045", "fr", "fr", "kept"),
        ("CLM 70001", "es", "es", "kept"),
        ("12.03.1985", None, "en", "kept"),
        ("Wo ist meine Bestellung BW-100045?", "en", "de", "detected"),
        ("je voudrais résilier mon assurance", "en", "fr", "detected"),
        ("danke", "en", "de", "words"),
        ("sí, por favor", "en", "es", "words"),
        ("no", "de", "de", "kept"),  # English and Spanish both have it
        ("danke merci", "es", "es", "kept"),
        ("can we speak English?", "de", "en", "asked"),
        ("auf Deutsch bitte", "fr", "de", "asked"),
        ("sorry, I don't speak Spanish", "es", "en", "detected"),
        ("iPhone 15", "fr", "fr", "kept"),
        ("the Pulse 2 smartwatch", "en", "en", "kept"),  # names tell no language
        ("Brightwave Berlin Mitte", "fr", "fr", "kept"),
    ],
)
def test_a_message_tells_its_language_or_keeps_the_conversations(
    text: str, current: str | None, language: str, how: str
) -> None:
    reading = reader().read(text, current)
    assert (reading.language, reading.how) == (language, how)


def test_a_message_that_tells_nothing_is_heard_as_nothing() -> None:
    assert reader().heard("ok 👍") is None
    assert reader().heard("+49 151 23456789") is None
    # A button pressed sends its payload, in no customer's language.
    assert reader().heard('/rate_satisfaction{"satisfaction_score": "4"}') is None


def write(tmp_path: Path, **changes: object) -> Path:
    config = {**yaml.safe_load(DEFAULT_PATH.read_text()), **changes}
    path = tmp_path / "languages.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    return path


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"languages": ["en", "xx"]}, "languages.1: 'xx' is not an ISO 639-1 language code"),
        ({"default": "it"}, "default 'it' is not one of languages"),
        ({"min_confidence": 0}, "min_confidence: ensure this value is greater than 0"),
        ({"words": {"it": ["ciao"]}}, "words.it: not one of languages"),
        ({"colour": "blue"}, "colour: extra fields not permitted"),
        ({"version": 2}, "version: ensure this value is less than or equal to 1"),
    ],
)
def test_a_bad_languages_yml_names_the_key_and_why(
    tmp_path: Path, changes: dict[str, object], named: str
) -> None:
    with pytest.raises(LanguageConfigError, match=r"languages\.yml") as raised:
        load_config(write(tmp_path, **changes))
    assert named in str(raised.value)


def test_a_missing_languages_yml_is_named(tmp_path: Path) -> None:
    with pytest.raises(LanguageConfigError, match=r"missing\.yml"):
        load_config(tmp_path / "missing.yml")


def test_the_language_slot_has_exactly_the_configured_languages() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    assert domain["slots"]["language"]["values"] == list(languages().languages)


def test_the_nlu_component_adds_the_language_entity_only_when_told() -> None:
    component = LanguageHeard(reader())
    told, silent = Message({TEXT: "Wo ist meine Bestellung?"}), Message({TEXT: "ok"})
    component.process([told, silent])
    [entity] = told.get(ENTITIES)
    assert (entity["entity"], entity["value"], entity["how"]) == ("language", "de", "detected")
    assert (entity["start"], entity["end"], entity["extractor"]) == (0, 0, "LanguageHeard")
    assert not silent.get(ENTITIES)
    # An empty span: the sentence models still read the message, not the entity's name.
    assert model_text(told) == "Wo ist meine Bestellung?"


def test_the_recorded_language_counts_only_until_a_message_told_one() -> None:
    assert recorded_language({"language": "fr"}, {"language": None}) == {"language": "fr"}
    assert recorded_language({"language": "fr"}, {"language": "en"}) == {}
    assert recorded_language({"language": "it"}, {"language": None}) == {}
    assert conversation_language({"language": None}) == "en"
    assert conversation_language({"language": "es"}) == "es"


def test_the_desk_names_the_language_in_english() -> None:
    assert [language_name(code) for code in ("de", "fr", "es", "en")] == [
        "German",
        "French",
        "Spanish",
        "English",
    ]
    assert language_name("not a code") == "not a code"
