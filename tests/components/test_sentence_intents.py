"""MiniLMFeaturizer and SentenceIntentClassifier as Rasa graph components: train on
a tiny set, persist to the model storage, load, predict."""

from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.minilm_encoder import Encoder
from components.minilm_featurizer import MiniLMFeaturizer
from components.sentence_classifier import SentenceIntentClassifier

EXAMPLES: dict[str, list[str]] = {
    "order_status": [
        "where is my order",
        "has my parcel shipped yet",
        "track my delivery",
        "when will my package arrive",
        "my order hasn't come",
    ],
    "greet": ["hello", "hi there", "good morning", "hey", "hello, anyone there?"],
    "request_refund": [
        "i want my money back",
        "can i get a refund",
        "refund my purchase please",
        "how do i return this for a refund",
        "give me a refund",
    ],
}


def context(node: str) -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), node_name=node)


@pytest.fixture(scope="module")
def featurizer() -> MiniLMFeaturizer:
    config = {**MiniLMFeaturizer.get_default_config(), "threads": 1}
    return MiniLMFeaturizer.create(config, None, None, context("minilm"))


def training_data() -> TrainingData:
    return TrainingData(
        [
            Message(data={TEXT: text, INTENT: intent})
            for intent, texts in EXAMPLES.items()
            for text in texts
        ]
    )


def trained(
    tmp_path: Path, featurizer: MiniLMFeaturizer, **config: object
) -> tuple[LocalModelStorage, Resource, dict[str, object]]:
    storage = LocalModelStorage(tmp_path)
    resource = Resource("intents")
    full_config = {**SentenceIntentClassifier.get_default_config(), "char_min_df": 1, **config}
    classifier = SentenceIntentClassifier.create(full_config, storage, resource, context("intents"))
    classifier.train(featurizer.process_training_data(training_data()))
    return storage, resource, full_config


def test_embeddings_are_unit_length_and_put_paraphrases_together() -> None:
    vectors = Encoder(threads=1).encode(
        ["where is my parcel", "track my package", "i love this weather", ""]
    )
    assert vectors.shape == (4, 384)
    assert np.allclose(np.linalg.norm(vectors[:3], axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


def test_featurizer_adds_a_scaled_sentence_feature(featurizer: MiniLMFeaturizer) -> None:
    message = Message(data={TEXT: "where is my order"})
    featurizer.process([message])
    sequence, sentence = message.get_dense_features(TEXT)
    assert sequence is None
    assert sentence.features.shape == (1, 384)
    assert np.linalg.norm(sentence.features) == pytest.approx(2.0, abs=1e-4)
    assert featurizer.process([Message(data={TEXT: ""})])[0].get_dense_features(TEXT) == (
        None,
        None,
    )


def test_trains_persists_loads_and_predicts_probabilities(
    tmp_path: Path, featurizer: MiniLMFeaturizer
) -> None:
    storage, resource, config = trained(tmp_path, featurizer)
    loaded = SentenceIntentClassifier.load(config, storage, resource, context("intents"))
    messages = featurizer.process(
        [Message(data={TEXT: text}) for text in ("where's my parcel?", "hi!", "I'd like a refund")]
    )
    loaded.process(messages)
    assert [m.get(INTENT)["name"] for m in messages] == ["order_status", "greet", "request_refund"]
    for message in messages:
        ranking = message.get("intent_ranking")
        assert ranking[0]["name"] == message.get(INTENT)["name"]
        assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)
        assert ranking == sorted(ranking, key=lambda r: -r["confidence"])
        assert message.get(INTENT)["confidence"] == ranking[0]["confidence"]


def test_loaded_model_predicts_exactly_as_the_trained_one(
    tmp_path: Path, featurizer: MiniLMFeaturizer
) -> None:
    storage, resource, config = trained(tmp_path, featurizer, ranking_length=2)
    fresh = SentenceIntentClassifier.create(config, storage, resource, context("intents"))
    fresh.train(featurizer.process_training_data(training_data()))
    loaded = SentenceIntentClassifier.load(config, storage, resource, context("intents"))
    texts = ["package not here", "good evening", "money back please", "what?"]
    before = fresh.process(featurizer.process([Message(data={TEXT: t}) for t in texts]))
    after = loaded.process(featurizer.process([Message(data={TEXT: t}) for t in texts]))
    for a, b in zip(before, after, strict=True):
        assert len(b.get("intent_ranking")) == 2
        assert [r["name"] for r in a.get("intent_ranking")] == [
            r["name"] for r in b.get("intent_ranking")
        ]
        assert np.allclose(
            [r["confidence"] for r in a.get("intent_ranking")],
            [r["confidence"] for r in b.get("intent_ranking")],
        )


def test_word_and_char_blocks_can_be_switched_off(
    tmp_path: Path, featurizer: MiniLMFeaturizer
) -> None:
    storage, resource, config = trained(
        tmp_path, featurizer, word_ngram_range=[], char_ngram_range=[]
    )
    loaded = SentenceIntentClassifier.load(config, storage, resource, context("intents"))
    assert loaded.model.word is None and loaded.model.char is None
    message = loaded.process(featurizer.process([Message(data={TEXT: "hello there"})]))[0]
    assert message.get(INTENT)["name"] == "greet"


def test_nothing_to_learn_leaves_messages_unclassified(tmp_path: Path) -> None:
    storage, resource = LocalModelStorage(tmp_path), Resource("intents")
    config = SentenceIntentClassifier.get_default_config()
    classifier = SentenceIntentClassifier.create(config, storage, resource, context("intents"))
    classifier.train(TrainingData([Message(data={TEXT: "hi", INTENT: "greet"})]))
    loaded = SentenceIntentClassifier.load(config, storage, resource, context("intents"))
    assert loaded.process([Message(data={TEXT: "hi"})])[0].get(INTENT) is None
