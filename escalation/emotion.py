"""The customer's emotion on every message, as part of what the NLU understood.

A graph component in the NLU pipeline: each parsed message gets `sentiment`
(`score` in [-1, 1], VADER's compound `sentiment`, the `cues` found) in its parse
data, so the tracker keeps a score per message. The escalation policy reads the
earlier scores for the trend; the hand-over packet shows the trajectory.

VADER's cost grows with the square of a message's words, and it spells every
emoji out as words: 10,000 emoji took minutes of the event loop. So only the
first `max_chars` characters are scored, with at most `max_emoji` emoji among
them (escalation.signals.bounded); both are this component's config.

A message is scored in its language: the one it tells (the entity `language`,
components/language_heard.py, earlier in the pipeline), else the conversation's (the
slot `language` of the tracker Rasa passes), else the default.
"""

from typing import Any, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ENTITIES, ENTITY_ATTRIBUTE_TYPE, ENTITY_ATTRIBUTE_VALUE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from escalation.config import SentimentSettings, escalation_config
from escalation.names import SENTIMENT_KEY
from escalation.signals import DEFAULT_MAX_CHARS, DEFAULT_MAX_EMOJI, score_emotion, warm_up

LANGUAGE = "language"  # the entity and the slot (components/language_heard.py)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class EmotionAnalyzer(GraphComponent):
    """Scores each message's emotion with escalation.yml's sentiment settings."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # max_chars, max_emoji: how much of a message is scored (see the module's doc).
        return {"config_path": None, "max_chars": DEFAULT_MAX_CHARS, "max_emoji": DEFAULT_MAX_EMOJI}

    def __init__(
        self,
        settings: SentimentSettings,
        max_chars: int = DEFAULT_MAX_CHARS,
        max_emoji: int = DEFAULT_MAX_EMOJI,
    ) -> None:
        for key, value in (("max_chars", max_chars), ("max_emoji", max_emoji)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"EmotionAnalyzer {key}={value!r}: expected a positive integer")
        self.settings = settings
        self.max_chars = max_chars
        self.max_emoji = max_emoji
        warm_up(settings)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "EmotionAnalyzer":
        return cls(
            escalation_config(config.get("config_path")).sentiment,
            config.get("max_chars", DEFAULT_MAX_CHARS),
            config.get("max_emoji", DEFAULT_MAX_EMOJI),
        )

    def process(
        self,
        messages: list[Message],
        tracker: Optional[DialogueStateTracker] = None,  # noqa: UP045 - Rasa's graph reads Optional
    ) -> list[Message]:
        kept = tracker.get_slot(LANGUAGE) if tracker is not None else None
        for message in messages:
            text: str | None = message.get(TEXT)
            if not text or text.startswith("/"):  # button payloads carry no feeling
                continue
            told = [
                entity[ENTITY_ATTRIBUTE_VALUE]
                for entity in message.get(ENTITIES) or []
                if entity.get(ENTITY_ATTRIBUTE_TYPE) == LANGUAGE
            ]
            language = told[0] if told else kept
            signal = score_emotion(
                text, self.settings, self.max_chars, self.max_emoji, language=language
            )
            message.set(
                SENTIMENT_KEY,
                {
                    "score": round(signal.score, 3),
                    "sentiment": round(signal.sentiment, 3),
                    "cues": [name for name, _ in signal.cues],
                    # what matched, so the escalation policy need not score the text again
                    "matched": [[name, matched] for name, matched in signal.cues],
                },
                add_to_output=True,
            )
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training examples need no emotion: nothing learns from it."""
        return training_data
