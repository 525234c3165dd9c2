"""A message that is nothing but a verification answer (a postcode, a date, an e-mail
address) is read as the intent `inform`, whatever else the classifier saw in it, so
that the verification form takes it as the answer and the stores withhold it
(common/minimise.py). A UK postcode such as "CR2 6XH" looks to the classifier much like
a product's model code; a customer who types one when asked must not be answered with
a price, nor have the postcode kept in clear. The other intents stay in the ranking
(after this one)."""

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from actions.identity import DATE_PATTERNS, EMAIL
from components.read_as import read_as

INFORM = "inform"
POSTCODES = [
    re.compile(r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}", re.IGNORECASE),  # UK
    re.compile(r"\d{4,5}"),  # most of Europe, US ZIP codes
]


def is_factor_alone(text: str) -> bool:
    """Whether the whole message (bar spaces and a final full stop) is one postcode,
    date or e-mail address."""
    said = text.strip().rstrip(".").strip()
    return any(p.fullmatch(said) for p in [*POSTCODES, EMAIL, *DATE_PATTERNS])


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class FactorAnswer(GraphComponent):
    """Sets the intent `inform` on a message that is only a verification answer."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "FactorAnswer":
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if not is_factor_alone(message.get(TEXT) or ""):
                continue
            read_as(message, INFORM)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing learns from it."""
        return training_data
