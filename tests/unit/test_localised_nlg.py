"""The responses in the customer's language (components/localised_nlg.py): the
locale files' checks, the language chosen before the channel, the default language
for a response not translated, and Rasa's own generator over the real domain."""

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from common.languages import languages
from components.localised_nlg import LocaleError, LocalisedNLG, localised, variations_for
from stack.processes import ROOT

BY_EMAIL = {"type": "slot", "name": "by_email", "value": True}
DOMAIN: dict[str, list[dict[str, Any]]] = {
    "utter_hello": [{"text": "Hello"}, {"text": "Hello, caller", "channel": "twilio_voice"}],
    "utter_code": [
        {"text": "Your code, by e-mail", "condition": [BY_EMAIL]},
        {"text": "Your code"},
    ],
    "utter_untranslated": [{"text": "Only in English"}],
}


def locale(folder: Path, language: str, responses: Any) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / f"{language}.yml").write_text(
        yaml.safe_dump({"responses": responses}, allow_unicode=True)
    )
    return folder


@pytest.fixture
def merged(tmp_path: Path) -> dict[str, list[dict[str, Any]]]:
    folder = locale(
        tmp_path / "locales",
        "de",
        {
            "utter_hello": [{"text": "Hallo"}],
            "utter_code": [
                {"text": "Ihr Code, per E-Mail", "condition": [BY_EMAIL]},
                {"text": "Ihr Code"},
            ],
        },
    )
    return localised(DOMAIN, languages(), folder)


def texts(merged: Any, name: str, channel: str, **slots: Any) -> list[str]:
    return [v["text"] for v in variations_for(merged, name, channel, slots, "en")]


def test_the_conversations_language_is_answered_in(merged: Any) -> None:
    assert texts(merged, "utter_hello", "rest", language="de") == ["Hallo"]
    assert texts(merged, "utter_hello", "rest", language="en") == ["Hello"]
    assert texts(merged, "utter_hello", "rest", language=None) == ["Hello"]


def test_the_language_comes_before_the_channel(merged: Any) -> None:
    # Rasa alone would pick the English voice variant for a German caller.
    assert texts(merged, "utter_hello", "twilio_voice", language="de") == ["Hallo"]
    assert texts(merged, "utter_hello", "twilio_voice", language="en") == ["Hello, caller"]


def test_the_other_conditions_still_hold_within_the_language(merged: Any) -> None:
    assert texts(merged, "utter_code", "rest", language="de", by_email=True) == [
        "Ihr Code, per E-Mail"
    ]
    assert texts(merged, "utter_code", "rest", language="de", by_email=None) == ["Ihr Code"]


def test_a_response_not_translated_is_said_in_the_default_language(merged: Any) -> None:
    assert texts(merged, "utter_untranslated", "rest", language="de") == ["Only in English"]
    assert texts(merged, "utter_nobody_has", "rest", language="de") == []


@pytest.mark.parametrize(
    ("responses", "named"),
    [
        ({"utter_bye": [{"text": "Tschüss"}]}, "responses.utter_bye: not a response of the domain"),
        ({"utter_hello": []}, "responses.utter_hello: a list of variations is needed"),
        ({"utter_hello": [{"channel": "email"}]}, "responses.utter_hello.0: a text is needed"),
        ({"utter_hello": [{"text": "Hallo", "tone": "warm"}]}, "unknown keys tone"),
        (["utter_hello"], "responses: a mapping of response names is needed"),
    ],
)
def test_a_bad_locale_stops_the_load_naming_the_key(
    tmp_path: Path, responses: Any, named: str
) -> None:
    folder = locale(tmp_path / "locales", "fr", responses)
    with pytest.raises(LocaleError, match=r"fr\.yml") as raised:
        localised(DOMAIN, languages(), folder)
    assert named in str(raised.value)


def test_rasa_fills_the_translated_response_of_the_real_domain(tmp_path: Path) -> None:
    folder = locale(
        tmp_path / "locales",
        "es",
        {"utter_greet": [{"text": "¡Hola! Soy el asistente de Brightwave."}]},
    )
    nlg = LocalisedNLG(
        EndpointConfig(type="components.localised_nlg.LocalisedNLG", locales=str(folder)),
        Domain.load(str(ROOT / "domain.yml")),
    )
    spanish = nlg.generate_from_slots("utter_greet", {"language": "es"}, "rest")
    english = nlg.generate_from_slots("utter_greet", {"language": None}, "rest")
    assert spanish and spanish["text"] == "¡Hola! Soy el asistente de Brightwave."
    assert english and "Hola" not in english["text"]


def test_the_projects_endpoints_use_it() -> None:
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text())
    assert endpoints["nlg"]["type"] == "components.localised_nlg.LocalisedNLG"


def test_an_action_may_name_the_language_of_what_it_says_before_the_slot_is_set(
    tmp_path: Path,
) -> None:
    folder = locale(tmp_path / "locales", "fr", {"utter_greet": [{"text": "Bonjour !"}]})
    nlg = LocalisedNLG(
        EndpointConfig(type="components.localised_nlg.LocalisedNLG", locales=str(folder)),
        Domain.load(str(ROOT / "domain.yml")),
    )
    conversation = DialogueStateTracker("c-1", [])
    said = asyncio.run(nlg.generate("utter_greet", conversation, "rest", language="fr"))
    unnamed = asyncio.run(nlg.generate("utter_greet", conversation, "rest"))
    assert said and said["text"] == "Bonjour !"
    assert unnamed and unnamed["text"] != "Bonjour !"


def test_the_locales_join_the_domain_rasas_server_loads_after_creating_it(
    tmp_path: Path,
) -> None:
    # Rasa's Agent creates the generator with an empty domain, then sets the model's
    # domain's responses on it (rasa/core/agent.py: load_model).
    folder = locale(tmp_path / "locales", "de", {"utter_greet": [{"text": "Guten Tag!"}]})
    nlg = LocalisedNLG(
        EndpointConfig(type="components.localised_nlg.LocalisedNLG", locales=str(folder)),
        Domain.empty(),
    )
    nlg.responses = Domain.load(str(ROOT / "domain.yml")).responses
    german = nlg.generate_from_slots("utter_greet", {"language": "de"}, "rest")
    assert german and german["text"] == "Guten Tag!"
