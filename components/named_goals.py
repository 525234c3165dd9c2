"""Which account goals a message names as alternatives: "is it about my order or
my claim?", "invoice or claim", "order, claim, invoice, whatever".

Such a message asks the assistant to choose, and the intent classifier cannot: it
was trained on one goal per message, and the fine-tuned encoder reads "order or
claim" as one of them with confidence 0.55–0.85. So this component looks for the
goals' words, each pair joined by nothing but a word for "or" ("oder", "ou", "o"), "/",
a comma and filler words ("my", "meine", "ma", "mi", …), and records the goals it found, in the order named, in the parse
data under `named_goals` (two or more, else nothing). The escalation policy reads
two named goals as a miss, and `action_clarify` offers exactly those goals.

The goals' words, and per language the words for "or" and the filler, are this
component's config in config.yml, checked when the model is trained or loaded (a
language must be one of languages.yml's). What is read is the model text (record ids read as
their entity's name, so "BW-100002 or CLM-70001" names an order and a claim).
"""

import re
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from common.languages import languages
from components.model_text import model_text
from escalation.names import NAMED_GOALS_KEY

# Separators that stand between two alternatives in any language, besides the words for
# "or" (config `alternatives`), and how many words and separators may.
SEPARATORS = frozenset({"/", ","})
MAX_GAP = 4
WORD = r"[^\W\d_]+(?:'[^\W\d_]*)?"
TOKENS = re.compile(rf"{WORD}|[,/]")
PER_LANGUAGE = ("alternatives", "filler")


@dataclass(frozen=True)
class Vocabulary:
    """word → goal, and the words that may stand between two alternatives."""

    goals: dict[str, str]
    alternatives: frozenset[str]
    filler: frozenset[str]


def _words_of(listed: Any) -> bool:
    return (
        isinstance(listed, list)
        and bool(listed)
        and all(isinstance(w, str) and re.fullmatch(WORD, w.lower()) for w in listed)
    )


def _per_language(config: dict[str, Any], key: str) -> frozenset[str]:
    """The words of config[key] (language → words) of every language; refuses a
    language languages.yml does not list, or a malformed list."""
    table = config.get(key)
    known = languages().languages
    if not isinstance(table, dict) or not table:
        raise InvalidConfigException(f"NamedGoals: '{key}' must map languages to lists of words.")
    for language, listed in table.items():
        if language not in known:
            raise InvalidConfigException(
                f"NamedGoals: {key}.{language}: not a language of languages.yml "
                f"({', '.join(known)})."
            )
        if not _words_of(listed):
            raise InvalidConfigException(
                f"NamedGoals: {key}.{language} must be a non-empty list of single words."
            )
    return frozenset(w.lower() for listed in table.values() for w in listed)


def vocabulary(config: dict[str, Any]) -> Vocabulary:
    """The component's config, checked."""
    alternatives, filler = (_per_language(config, key) for key in PER_LANGUAGE)
    return Vocabulary(_goal_words(config), alternatives, filler)


def _goal_words(config: dict[str, Any]) -> dict[str, str]:
    """word → goal, from config['goals'] (goal → words); refuses a malformed map."""
    goals = config.get("goals")
    if not isinstance(goals, dict) or len(goals) < 2:
        raise InvalidConfigException(
            "NamedGoals: 'goals' must map at least two intents to lists of words."
        )
    words: dict[str, str] = {}
    for goal, listed in goals.items():
        if not isinstance(goal, str) or not _words_of(listed):
            raise InvalidConfigException(
                f"NamedGoals: goals.{goal} must be a non-empty list of single lower-case words."
            )
        for word in listed:
            if words.setdefault(word.lower(), goal) != goal:
                raise InvalidConfigException(f"NamedGoals: the word {word!r} names two goals.")
    return words


def named_goals(text: str, words: Vocabulary) -> list[str]:
    """The goals the text offers as alternatives, in the order named; [] for fewer than two."""
    tokens = TOKENS.findall(text.lower().replace("_", " ").replace("’", "'"))
    goals = words.goals
    mentions: list[tuple[int, str]] = [(i, goals[t]) for i, t in enumerate(tokens) if t in goals]
    between = SEPARATORS | words.alternatives
    found: list[str] = []
    for (start, first), (end, second) in pairwise(mentions):
        gap = tokens[start + 1 : end]
        if (
            first != second
            and len(gap) <= MAX_GAP
            and between & set(gap)
            and all(t in between or t in words.filler for t in gap)
        ):
            found += [goal for goal in (first, second) if goal not in found]
    return found if len(found) > 1 else []


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class NamedGoals(GraphComponent):
    """Records the goals a message names as alternatives (see the module's doc)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # intent → the words that name it; language → its words for "or", and the filler
        # words that may stand beside them; config.yml sets them.
        return {"goals": None, "alternatives": None, "filler": None}

    def __init__(self, words: Vocabulary) -> None:
        self.words = words

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        vocabulary(config)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "NamedGoals":
        return cls(vocabulary(config))

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text: str | None = message.get(TEXT)
            if not text or text.startswith("/"):  # a button's payload names one goal
                continue
            goals = named_goals(model_text(message), self.words)
            if goals:
                message.set(NAMED_GOALS_KEY, goals, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing learns from it."""
        return training_data
