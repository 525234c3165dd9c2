"""A message that is nothing but a verification answer (a postcode, a date, an e-mail
address) is read as the intent `inform`, whatever else the classifier saw in it, so
that the verification form takes it as the answer and the stores withhold it
(common/minimise.py). A UK postcode such as "CR2 6XH" looks to the classifier much like
a product's model code; a customer who types one when asked must not be answered with
a price, nor have the postcode kept in clear. The other intents stay in the ranking
(after this one)."""

import re

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from actions.identity import DATE_PATTERNS, EMAIL
from components.read_as import ReadAs

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
class FactorAnswer(ReadAs):
    """Sets the intent `inform` on a message that is only a verification answer."""

    intent = INFORM

    def applies(self, message: Message) -> bool:
        return is_factor_alone(message.get(TEXT) or "")
