"""Setting a message's intent from a deterministic reading, after the classifier."""

from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message


def read_as(message: Message, name: str) -> None:
    """The message's intent becomes `name` with confidence 1; the classifier's other
    intents stay in the ranking after it, for what reads them."""
    intent = {"name": name, "confidence": 1.0}
    others = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != name]
    message.set(INTENT, intent, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [intent, *others], add_to_output=True)
