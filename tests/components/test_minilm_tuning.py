"""Fine-tuning MiniLM's layers in TensorFlow: the TF forward pass is the ONNX one,
tuning pulls an intent's messages together, and the featurizer persists and
restores exactly the tuned encoder."""

from pathlib import Path

import numpy as np
import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from components.minilm_encoder import Encoder
from components.minilm_featurizer import MiniLMFeaturizer
from components.minilm_tuning import _pad, _TrainableBert, fine_tune
from tests.components.test_sentence_intents import EXAMPLES, context, training_data

TEXTS = [text for texts in EXAMPLES.values() for text in texts]
LABELS = [intent for intent, texts in EXAMPLES.items() for _ in texts]


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return Encoder(threads=1)


@pytest.fixture(scope="module")
def tuned(encoder: Encoder) -> dict[str, np.ndarray]:
    return fine_tune(encoder, TEXTS, LABELS, epochs=3, batch_size=8, learning_rate=3e-4)


def separation(vectors: np.ndarray) -> float:
    """Mean cosine within an intent minus mean cosine across intents."""
    labels = np.array(LABELS)
    other = labels[:, None] != labels[None, :]
    same = ~other & ~np.eye(len(labels), dtype=bool)
    similarity = vectors @ vectors.T
    return float(similarity[same].mean() - similarity[other].mean())


def test_tensorflow_forward_pass_matches_the_served_onnx_graph(encoder: Encoder) -> None:
    ids = [encoder.tokenizer.encode(text) for text in TEXTS[:6]]
    tensorflow = _TrainableBert(encoder.weights)(*_pad(ids)).numpy()
    assert np.allclose(tensorflow, encoder.encode(TEXTS[:6]), atol=1e-4)


def test_tuning_changes_only_the_layers_and_pulls_intents_together(
    encoder: Encoder, tuned: dict[str, np.ndarray]
) -> None:
    assert tuned and all(name.startswith("encoder.layer.") for name in tuned)
    assert any(not np.allclose(tuned[name], encoder.weights[name]) for name in tuned)
    before = encoder.encode(TEXTS)
    after = Encoder(threads=1, tuned=tuned).encode(TEXTS)
    assert separation(after) > separation(before) + 0.05


def test_featurizer_persists_and_restores_the_tuned_encoder(tmp_path: Path) -> None:
    storage, resource = LocalModelStorage(tmp_path), Resource("minilm")
    config = {
        **MiniLMFeaturizer.get_default_config(),
        "threads": 1,
        "fine_tune_epochs": 1,
        "fine_tune_batch_size": 8,
    }
    trained = MiniLMFeaturizer.create(config, storage, resource, context("minilm"))
    trained.train(training_data())
    loaded = MiniLMFeaturizer.load(config, storage, resource, context("minilm"))
    frozen = Encoder(threads=1).encode(TEXTS[:3])
    assert np.allclose(
        loaded.encoder.encode(TEXTS[:3]), trained.encoder.encode(TEXTS[:3]), atol=1e-6
    )
    assert not np.allclose(loaded.encoder.encode(TEXTS[:3]), frozen, atol=1e-4)


def test_featurizer_without_tuning_stores_nothing_and_loads_the_shipped_encoder(
    tmp_path: Path, encoder: Encoder
) -> None:
    storage, resource = LocalModelStorage(tmp_path), Resource("minilm")
    config = {**MiniLMFeaturizer.get_default_config(), "threads": 1}
    MiniLMFeaturizer.create(config, storage, resource, context("minilm")).train(training_data())
    loaded = MiniLMFeaturizer.load(config, storage, resource, context("minilm"))
    message = loaded.process([Message(data={TEXT: TEXTS[0]})])[0]
    assert np.allclose(
        message.get_dense_features(TEXT)[1].features[0],
        2.0 * encoder.encode(TEXTS[:1])[0],
        atol=1e-5,
    )


@pytest.mark.parametrize(
    "setting",
    [{"fine_tune_epochs": -1}, {"fine_tune_learning_rate": 0}, {"fine_tune_batch_size": 0}],
)
def test_invalid_tuning_settings_are_refused(setting: dict[str, float]) -> None:
    with pytest.raises(InvalidConfigException):
        MiniLMFeaturizer.validate_config({**MiniLMFeaturizer.get_default_config(), **setting})
