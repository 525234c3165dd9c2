"""SentenceIntentClassifier's language blocks: the same word weighed by the language the
message tells (German "Gift" is poison, English "gift" a present)."""

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.language_blocks import LanguageBlocks, told_language
from components.minilm_featurizer import MiniLMFeaturizer
from components.sentence_classifier import SentenceIntentClassifier
from tests.components.test_sentence_intents import context, featurizer  # noqa: F401

EXAMPLES = {
    "buy_present": [
        "I would like to buy a gift for my mother",
        "can you wrap this gift for my friend please",
        "which gift would you recommend for a birthday",
        "I am looking for a gift card for my colleague",
    ],
    "report_poison": [
        "in meinem Essen war Gift, das ist eine Frechheit",
        "ich glaube, in dem Paket war ein Gift drin",
        "das Reinigungsmittel ist Gift für meine Katze",
        "Ist das Gift gefährlich für meine Kinder?",
    ],
}


def told(text: str, language: str | None, how: str = "detected") -> Message:
    entities = [{"entity": "language", "value": language, "start": 0, "end": 0, "how": how}]
    return Message(data={TEXT: text, ENTITIES: entities if language else []})


def classifier(
    tmp_path: Path, featurizer: MiniLMFeaturizer, language_blocks: float
) -> SentenceIntentClassifier:
    storage, resource = LocalModelStorage(tmp_path), Resource("intents")
    config = {
        **SentenceIntentClassifier.get_default_config(),
        "char_min_df": 1,
        "language_blocks": language_blocks,
    }
    data = TrainingData(
        [Message(data={TEXT: t, INTENT: i}) for i, texts in EXAMPLES.items() for t in texts]
    )
    SentenceIntentClassifier.create(config, storage, resource, context("intents")).train(
        featurizer.process_training_data(data)
    )
    return SentenceIntentClassifier.load(config, storage, resource, context("intents"))


def poison(
    model: SentenceIntentClassifier, featurizer: MiniLMFeaturizer, message: Message
) -> float:
    """The confidence that message reports poison."""
    ranking = model.process(featurizer.process([message]))[0].get("intent_ranking")
    return float(next(r["confidence"] for r in ranking if r["name"] == "report_poison"))


def gift(tmp_path: Path, featurizer: MiniLMFeaturizer, weight: float) -> dict[str | None, float]:
    """The confidence that "Gift" reports poison, told as German, English and neither,
    by a classifier with language blocks of that weight."""
    model = classifier(tmp_path, featurizer, language_blocks=weight)
    return {code: poison(model, featurizer, told("Gift", code)) for code in ("de", "en", None)}


def test_the_language_a_message_tells_weighs_its_words_by_that_language(
    tmp_path: Path, featurizer: MiniLMFeaturizer
) -> None:
    confidence = gift(tmp_path, featurizer, 3.0)
    assert confidence["de"] > confidence[None] + 0.05 > confidence["en"] + 0.1


def test_without_language_blocks_the_language_changes_nothing(
    tmp_path: Path, featurizer: MiniLMFeaturizer
) -> None:
    confidence = gift(tmp_path, featurizer, 0.0)
    assert confidence["de"] == pytest.approx(confidence["en"])


def test_a_message_of_no_or_an_unknown_language_has_only_the_shared_block() -> None:
    shared = sp.csr_matrix(np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 0.0]]))
    blocks = LanguageBlocks.fit(shared, ["de", "en"], 2.0)
    assert {k: list(v) for k, v in blocks.columns.items()} == {"de": [0, 2], "en": [1]}
    expanded = blocks.expand(shared, [None, "it"]).toarray()
    assert expanded.tolist() == [[1, 0, 2, 0, 0, 0], [0, 3, 0, 0, 0, 0]]
    assert blocks.expand(shared, ["de", "en"]).toarray().tolist() == [
        [1, 0, 2, 2, 4, 0],
        [0, 3, 0, 0, 0, 6],
    ]


def test_the_browser_language_is_not_the_message_language() -> None:
    assert told_language(told("ok", "de", how="browser")) is None
    assert told_language(told("danke schön", "de", how="words")) == "de"
    assert told_language(told("BW-100045", None)) is None


@pytest.mark.parametrize("weight", ["yes", True, -1.0])
def test_language_blocks_must_be_a_weight(weight: object) -> None:
    config = {**SentenceIntentClassifier.get_default_config(), "language_blocks": weight}
    with pytest.raises(InvalidConfigException, match="language_blocks"):
        SentenceIntentClassifier.validate_config(config)
