"""Setting a message's intent from a deterministic reading, after the classifier."""

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


def read_as(message: Message, name: str) -> None:
    """The message's intent becomes `name` with confidence 1; the classifier's other
    intents stay in the ranking after it, for what reads them."""
    intent = {"name": name, "confidence": 1.0}
    others = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != name]
    message.set(INTENT, intent, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [intent, *others], add_to_output=True)


class ReadAs(GraphComponent):
    """A pipeline step that reads every message it `applies` to as `intent`; nothing
    learns from it."""

    intent: str

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "ReadAs":
        return cls()

    def applies(self, message: Message) -> bool:
        raise NotImplementedError

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if self.applies(message):
                read_as(message, self.intent)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
