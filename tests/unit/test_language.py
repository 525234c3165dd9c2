"""Which language a message is in (components/language.py), languages.yml's checks,
the slot the assistant keeps it in, and what the desk and the packet show of it."""

from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from actions.language import conversation_language, recorded_language
from common.languages import DEFAULT_PATH, LanguageConfigError, languages, load_config
from components.language import reader
from components.language_heard import LanguageHeard
from components.model_text import model_text
from connectors.webchat import browser_language
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


def plain_text_buttons() -> list[tuple[str, str]]:
    """(response, payload) of every button in the domain and the locales whose payload
    is plain text (the cancellation reasons' "It's too expensive"), not an /intent."""
    found = []
    for path in (ROOT / "domain.yml", *sorted((ROOT / "locales").glob("*.yml"))):
        for name, variations in (yaml.safe_load(path.read_text()).get("responses") or {}).items():
            for variation in variations:
                for button in variation.get("buttons") or []:
                    if not str(button["payload"]).startswith("/"):
                        found.append((name, str(button["payload"])))
    return sorted(set(found))


def test_the_cancellation_reasons_buttons_send_text_that_reads_as_english() -> None:
    payloads = {payload for _, payload in plain_text_buttons()}
    assert {"It's too expensive", "I no longer have the device"} <= payloads
    assert reader().read("I no longer have the device", "de").language == "en"


@pytest.mark.parametrize(("response", "payload"), plain_text_buttons())
def test_a_tapped_button_keeps_a_german_conversation_german(response: str, payload: str) -> None:
    """The assistant wrote the payload, not the customer: tapping "It's too expensive"
    in a German conversation tells no language (the slot stays German)."""
    [button] = [b for b in buttons_of(response) if b["payload"] == payload][:1]
    offered = DialogueStateTracker.from_events(
        "c",
        [
            SlotSet("language", "de"),
            UserUttered("Ich möchte meine Versicherung kündigen"),
            BotUttered("Darf ich fragen, warum?", data={"buttons": [button]}),
        ],
    )
    tapped = Message({TEXT: payload})
    LanguageHeard(reader()).process([tapped], offered)
    assert not tapped.get(ENTITIES)


@lru_cache(maxsize=1)
def domain_responses() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "domain.yml").read_text())["responses"])


def buttons_of(response: str) -> list[dict[str, str]]:
    return [b for v in domain_responses()[response] for b in v.get("buttons") or []]


def test_only_a_button_offered_in_the_last_turn_tells_nothing() -> None:
    """The same words typed after the customer answered (or with no conversation, as in
    `rasa test nlu`) are the customer's: English."""
    reason = {"title": "Zu teuer", "payload": "I no longer have the device"}
    answered = DialogueStateTracker.from_events(
        "c",
        [
            SlotSet("language", "de"),
            BotUttered("Darf ich fragen, warum?", data={"buttons": [reason]}),
            UserUttered("Zu teuer"),
        ],
    )
    for tracker in (answered, None):
        typed = Message({TEXT: "I no longer have the device"})
        LanguageHeard(reader()).process([typed], tracker)
        assert [e["value"] for e in typed.get(ENTITIES)] == ["en"]


@pytest.mark.parametrize(
    ("data", "metadata"),
    [
        ({"customData": {"language": "de-DE"}}, {"browser_language": "de-DE"}),
        ({"customData": {"language": "es-419"}}, {"browser_language": "es-419"}),
        ({"customData": {"language": "<script>"}}, {}),
        ({"customData": {"language": "de-DE" * 20}}, {}),
        ({"customData": {"language": ["de"]}}, {}),
        ({"customData": "de"}, {}),
        ({"message": "hi"}, {}),
    ],
)
def test_the_web_chat_passes_on_the_browsers_language_tag_only(
    data: dict[str, object], metadata: dict[str, str]
) -> None:
    assert browser_language(data) == metadata


def heard_with_browser(text: str, tag: str, slot: str | None, tracked: bool = True) -> list[str]:
    """The language entity a message gets from a web chat page in a browser set to tag,
    in a conversation whose language slot is slot."""
    tracker = DialogueStateTracker.from_events("c", [SlotSet("language", slot)])
    message = Message({TEXT: text, "metadata": browser_language({"customData": {"language": tag}})})
    LanguageHeard(reader()).process([message], tracker if tracked else None)
    return [f"{e['value']}:{e['how']}" for e in message.get(ENTITIES, [])]


def test_the_browsers_language_is_the_first_messages_until_one_tells_another() -> None:
    assert heard_with_browser("ok", "de-DE", None) == ["de:browser"]
    assert heard_with_browser("BW-100045", "fr-CA", None) == ["fr:browser"]
    # What the message tells comes first; a known language stays; an unknown one tells nothing.
    assert heard_with_browser("Where is my order, please?", "de-DE", None) == ["en:detected"]
    assert heard_with_browser("ok", "de-DE", "en") == []
    assert heard_with_browser("ok", "it-IT", None) == []
    assert heard_with_browser("ok", "de-DE", None, tracked=False) == []


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
