"""The language a message tells (components/language.py), as the entity `language`
that fills the slot of the same name; a message that tells none ("ok", "BW-100045")
has no such entity, so the slot keeps the conversation's language. Nor does a message
that is the payload of a button the assistant just offered ("It's too expensive",
a store's name): the assistant wrote it, in its wording, not the customer in theirs,
so tapping it in a German conversation keeps the conversation German.

Until a language is known (the slot is empty), the browser's language the web chat
sends (the message metadata's `browser_language`, connectors/webchat) is the
language of a message that tells none: a German browser's "ok" starts in German.

The entity is about the whole message, not a part of it, so its span is empty (at
the start): the sentence models read a span as its entity's name
(components/model_text.py), and `rasa test nlu` scores each extractor's spans, which
an empty one never overlaps."""

from typing import Any, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from common.channel_metadata import BROWSER_LANGUAGE
from common.reading import SENTENCE_CHARS, head
from components.language import LanguageReader, Reading, reader
from connectors.options import offered_buttons

LANGUAGE = "language"
METADATA = "metadata"  # the message's metadata, as Rasa hands it to the NLU


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class LanguageHeard(GraphComponent):
    """Adds the entity `language` (with how it was told) to a message that tells one."""

    def __init__(self, languages: LanguageReader) -> None:
        self.languages = languages

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LanguageHeard":
        languages = reader()
        languages.detector  # noqa: B018 - the models load with the assistant, not on a turn
        return cls(languages)

    def process(
        self,
        messages: list[Message],
        tracker: Optional[DialogueStateTracker] = None,  # noqa: UP045
    ) -> list[Message]:
        """The tracker (Rasa passes the conversation's, before this message) tells the
        buttons just offered; without one (`rasa test nlu`, /model/parse) none were.
        Optional, not `X | None`: Rasa's graph validation reads only the former."""
        offered = {
            str(button["payload"]).strip()
            for button in offered_buttons(tracker)
            if button.get("payload")
        }
        for message in messages:
            text = message.get(TEXT) or ""
            if text.strip() in offered:
                continue
            heard = self.languages.heard(head(text, SENTENCE_CHARS))
            if heard is None and tracker is not None and tracker.get_slot(LANGUAGE) is None:
                heard = self._browser(message)
            if heard is None:
                continue
            entity = {
                ENTITY_ATTRIBUTE_TYPE: LANGUAGE,
                ENTITY_ATTRIBUTE_VALUE: heard.language,
                ENTITY_ATTRIBUTE_START: 0,
                ENTITY_ATTRIBUTE_END: 0,
                "how": heard.how,
                EXTRACTOR: self.__class__.__name__,
            }
            message.set(ENTITIES, [*message.get(ENTITIES, []), entity], add_to_output=True)
        return messages

    def _browser(self, message: Message) -> Reading | None:
        metadata = message.get(METADATA) or {}
        tag = metadata.get(BROWSER_LANGUAGE) if isinstance(metadata, dict) else None
        language = self.languages.of_tag(tag)
        return Reading(language, "browser") if language else None

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing learns from it."""
        return training_data
