"""A message a card number was removed from (connectors/inbound.py) is read as the
intent `give_card_number`, whatever else it says, so that the rule answering that
intent warns the customer on every turn it happens, in or out of a form.

Deterministic on purpose: the channel put a fixed mask where the number was and
flagged the message's metadata, so there is nothing to guess; a classifier that
read "my payment failed, charge [card number removed]" as check_invoice would let
the customer believe the number was taken. The other intents stay in the ranking
(after this one), for what reads them."""

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import METADATA, TEXT
from rasa.shared.nlu.training_data.message import Message

from common.channel_metadata import CARD_MASK, CARD_NUMBER_REMOVED
from components.read_as import ReadAs

GIVE_CARD_NUMBER = "give_card_number"


def card_number_removed(message: Message) -> bool:
    """Whether the channel removed a card number from this message."""
    metadata = message.get(METADATA)
    flagged = isinstance(metadata, dict) and bool(metadata.get(CARD_NUMBER_REMOVED))
    return flagged or CARD_MASK in (message.get(TEXT) or "")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class CardNumberGiven(ReadAs):
    """Sets the intent `give_card_number` on a message a card number was removed from."""

    intent = GIVE_CARD_NUMBER

    def applies(self, message: Message) -> bool:
        return card_number_removed(message)
