"""The customer's emotion on every message, as part of what the NLU understood.

A graph component in the NLU pipeline: each parsed message gets `sentiment`
(`score` in [-1, 1], VADER's compound `sentiment`, the `cues` found) in its parse
data, so the tracker keeps a score per message. The escalation policy reads the
earlier scores for the trend; the hand-over packet shows the trajectory.
"""

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from escalation.config import SentimentSettings, load_escalation_config
from escalation.names import SENTIMENT_KEY
from escalation.signals import score_emotion, warm_up


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False
)
class EmotionAnalyzer(GraphComponent):
    """Scores each message's emotion with escalation.yml's sentiment settings."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"config_path": None}

    def __init__(self, settings: SentimentSettings) -> None:
        self.settings = settings
        warm_up(settings)

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage,
               resource: Resource, execution_context: ExecutionContext) -> "EmotionAnalyzer":
        return cls(load_escalation_config(config.get("config_path")).sentiment)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text: Optional[str] = message.get(TEXT)
            if not text or text.startswith("/"):  # button payloads carry no feeling
                continue
            signal = score_emotion(text, self.settings)
            message.set(SENTIMENT_KEY, {
                "score": round(signal.score, 3), "sentiment": round(signal.sentiment, 3),
                "cues": [name for name, _ in signal.cues]}, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training examples need no emotion: nothing learns from it."""
        return training_data
