"""The domain's responses in the customer's language (endpoints.yml's `nlg`).

domain.yml holds every response in languages.yml's default language; `locales/<code>.yml`
holds the same responses, by name, in another language, with the same channel variants,
conditions and named variables. They join the domain's responses as variations
conditioned on the slot `language`.

Rasa on its own prefers a variation for the channel over one for the slot, so a German
caller would hear the English voice variant of a response whose German one has no voice
variant. Here the language comes first: the variations in the conversation's language
(the default language's when that response has none in it), then Rasa's usual order
among them (channel, other conditions)."""

import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from rasa.core.nlg.generator import ResponseVariationFilter
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.constants import RESPONSE_CONDITION
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from common.languages import LanguageConfig, languages
from common.locale_values import locale_values, value_problems

LOCALES = Path(__file__).resolve().parent.parent / "locales"
LANGUAGE_SLOT = "language"
# What a variation may hold (Rasa's response keys).
VARIATION_KEYS = frozenset(
    {"text", "channel", "condition", "buttons", "image", "custom", "attachment", "quick_replies"}
)

Variation = dict[str, Any]
Responses = dict[str, list[Variation]]


class LocaleError(ValueError):
    """A locale file cannot be used; the message names the file, the key and the reason."""


def language_condition(language: str) -> dict[str, str]:
    return {"type": "slot", "name": LANGUAGE_SLOT, "value": language}


def _language_of(variation: Variation) -> str | None:
    for condition in variation.get(RESPONSE_CONDITION) or []:
        if condition.get("name") == LANGUAGE_SLOT:
            return str(condition.get("value"))
    return None


def _without_language(variation: Variation) -> Variation:
    others = [c for c in variation.get(RESPONSE_CONDITION) or [] if c.get("name") != LANGUAGE_SLOT]
    stripped = {k: v for k, v in variation.items() if k != RESPONSE_CONDITION}
    return {**stripped, RESPONSE_CONDITION: others} if others else stripped


def read_locale(path: Path, domain_responses: Mapping[str, Any]) -> Responses:
    """A locale file's responses, checked against the domain's: each is a response of
    the domain, each variation a mapping of known keys with a text or buttons; and its
    words for the backend's values (common/locale_values.py)."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise LocaleError(f"{path}: {error}") from error
    responses = raw.get("responses") if isinstance(raw, dict) else None
    if not isinstance(responses, dict):
        raise LocaleError(f"{path}: responses: a mapping of response names is needed")
    problems = value_problems(raw.get("values"))
    for name, variations in responses.items():
        if name not in domain_responses:
            problems.append(f"responses.{name}: not a response of the domain")
        elif not isinstance(variations, list) or not variations:
            problems.append(f"responses.{name}: a list of variations is needed")
        else:
            for index, variation in enumerate(variations):
                if not isinstance(variation, dict) or not ({"text", "custom"} & variation.keys()):
                    problems.append(f"responses.{name}.{index}: a text is needed")
                elif unknown := sorted(variation.keys() - VARIATION_KEYS):
                    problems.append(f"responses.{name}.{index}: unknown keys {', '.join(unknown)}")
    if problems:
        raise LocaleError(f"{path}:\n" + "\n".join(problems))
    return responses


def localised(
    domain_responses: Mapping[str, list[Variation]],
    config: LanguageConfig,
    folder: Path = LOCALES,
) -> Responses:
    """The domain's responses with each other language's variations added."""
    merged: Responses = {name: list(variations) for name, variations in domain_responses.items()}
    for language in config.languages:
        path = folder / f"{language}.yml"
        if language == config.default or not path.exists():
            continue
        for name, variations in read_locale(path, domain_responses).items():
            merged[name] += [
                {
                    **variation,
                    RESPONSE_CONDITION: [
                        language_condition(language),
                        *(variation.get(RESPONSE_CONDITION) or []),
                    ],
                }
                for variation in variations
            ]
    return merged


def variations_for(
    responses: Mapping[str, list[Variation]],
    name: str,
    output_channel: str,
    filled_slots: dict[str, Any],
    default: str,
) -> list[Variation]:
    """The variations of one response Rasa would choose among, in the conversation's
    language (the default's when the response has none in it)."""
    language = filled_slots.get(LANGUAGE_SLOT) or default
    every = responses.get(name) or []
    chosen = [v for v in every if (_language_of(v) or default) == language] or [
        v for v in every if _language_of(v) is None
    ]
    stripped = {name: [_without_language(v) for v in chosen]}
    return ResponseVariationFilter(stripped).responses_for_utter_action(
        name, output_channel, filled_slots
    )


class LocalisedNLG(TemplatedNaturalLanguageGenerator):
    """Rasa's response generator over the domain's responses in every language.

    Rasa's server creates it with an empty domain before the model is loaded, then sets
    `responses` to the model's domain's: each setting adds the locales' variations."""

    def __init__(self, endpoint_config: EndpointConfig | None, domain: Domain) -> None:
        self.config = languages()
        folder = (endpoint_config.kwargs if endpoint_config else {}).get("locales")
        self.folder = Path(folder) if folder else LOCALES
        self.default = self.config.default
        # The default language's words for values (and the phrases every locale fills),
        # checked before the first turn needs them.
        locale_values(self.default)
        super().__init__(domain.responses)

    @property
    def responses(self) -> Responses:
        return self._responses

    @responses.setter
    def responses(self, domain_responses: Responses) -> None:
        # An empty domain (no model loaded yet) has nothing to translate.
        self._responses = (
            localised(domain_responses, self.config, self.folder) if domain_responses else {}
        )

    async def generate(
        self,
        utter_action: str,
        tracker: DialogueStateTracker,
        output_channel: str,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        """As Rasa's, except that an action may name the language (the variable
        `language`) of a response it says before the slot is set."""
        filled_slots = tracker.current_slot_values()
        if kwargs.get(LANGUAGE_SLOT):
            filled_slots = {**filled_slots, LANGUAGE_SLOT: kwargs[LANGUAGE_SLOT]}
        return self.generate_from_slots(utter_action, filled_slots, output_channel, **kwargs)

    def _random_response_for(
        self, utter_action: str, output_channel: str, filled_slots: dict[str, Any]
    ) -> dict[str, Any] | None:
        suitable = variations_for(
            self.responses, utter_action, output_channel, filled_slots, self.default
        )
        return random.choice(suitable) if suitable else None
