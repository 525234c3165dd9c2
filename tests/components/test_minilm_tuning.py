"""Fine-tuning MiniLM's layers in TensorFlow: the TF forward pass is the ONNX one,
tuning pulls an intent's messages together, and the featurizer persists and
restores exactly the tuned encoder."""

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tensorflow as tf
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from components.minilm_encoder import Encoder
from components.minilm_featurizer import MiniLMFeaturizer, _TunedEmbeddings
from components.minilm_tuning import Tuning, _pad, _TrainableBert, fine_tune
from tests.components.test_sentence_intents import EXAMPLES, context, training_data

TEXTS = [text for texts in EXAMPLES.values() for text in texts]
LABELS = [intent for intent, texts in EXAMPLES.items() for _ in texts]


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return Encoder(threads=1)


@pytest.fixture(scope="module")
def tuned(encoder: Encoder) -> Tuning:
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


@pytest.mark.parametrize("tuned_layers", [2, 6])
def test_onnx_states_below_the_tuned_layers_match_tensorflow(
    encoder: Encoder, tuned_layers: int
) -> None:
    """Tuning starts from onnxruntime's states below the tuned layers; TensorFlow's
    forward pass (which serves the tests above) computes the same states."""
    ids = [encoder.tokenizer.encode(text) for text in TEXTS[:6]]
    model = _TrainableBert(encoder.weights, tuned_layers=tuned_layers)
    tensorflow = model.lower(*(tf.constant(a) for a in _pad(ids))).numpy()
    onnx = model.lower_states(ids)
    assert [len(state) for state in onnx] == [len(x) for x in ids]
    for row, state in enumerate(onnx):
        assert np.allclose(state, tensorflow[row, : len(ids[row])], atol=1e-4)


def test_tuning_changes_only_the_layers_and_pulls_intents_together(
    encoder: Encoder, tuned: Tuning
) -> None:
    layers = tuned.layers
    assert layers and all(name.startswith("encoder.layer.") for name in layers)
    assert any(not np.allclose(layers[name], encoder.weights[name]) for name in layers)
    before = encoder.encode(TEXTS)
    after = Encoder(threads=1, tuned=layers).encode(TEXTS)
    assert separation(after) > separation(before) + 0.05
    # the embeddings tuning returns are the served encoder's
    assert np.allclose(tuned.embeddings, after, atol=1e-4)


def test_tuning_the_top_layers_leaves_the_ones_below_as_shipped(encoder: Encoder) -> None:
    top = fine_tune(encoder, TEXTS, LABELS, epochs=3, batch_size=8, learning_rate=3e-4, layers=2)
    assert {name.split(".")[2] for name in top.layers} == {"4", "5"}
    after = Encoder(threads=1, tuned=top.layers).encode(TEXTS)
    assert separation(after) > separation(encoder.encode(TEXTS)) + 0.05
    assert np.allclose(top.embeddings, after, atol=1e-4)


def quick_tuning(**settings: Any) -> dict[str, Any]:
    """The featurizer's config with one short epoch of tuning on one thread."""
    return {
        **MiniLMFeaturizer.get_default_config(),
        "threads": 1,
        "fine_tune_epochs": 1,
        "fine_tune_batch_size": 8,
        **settings,
    }


def test_featurizer_persists_and_restores_the_tuned_encoder(tmp_path: Path) -> None:
    storage, resource = LocalModelStorage(tmp_path), Resource("minilm")
    config = quick_tuning()
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
    [
        {"fine_tune_epochs": -1},
        {"fine_tune_learning_rate": 0},
        {"fine_tune_batch_size": 0},
        {"fine_tune_layers": 0},
        {"fine_tune_layers": 7},
    ],
)
def test_invalid_tuning_settings_are_refused(setting: dict[str, float]) -> None:
    with pytest.raises(InvalidConfigException):
        MiniLMFeaturizer.validate_config({**MiniLMFeaturizer.get_default_config(), **setting})


def test_training_data_is_featurized_with_the_embeddings_tuning_computed(tmp_path: Path) -> None:
    storage, resource = LocalModelStorage(tmp_path), Resource("minilm")
    config = quick_tuning(fine_tune_layers=2)
    MiniLMFeaturizer.create(config, storage, resource, context("minilm")).train(training_data())
    loaded = MiniLMFeaturizer.load(config, storage, resource, context("minilm"))
    data = loaded.process_training_data(training_data())
    features = [m.get_dense_features(TEXT)[1].features[0] for m in data.training_examples]
    assert np.allclose(features, 2.0 * loaded.encoder.encode(TEXTS), atol=1e-4)


def test_tuned_embeddings_are_handed_over_once_and_only_for_their_layers() -> None:
    layers = {"encoder.layer.5.output.dense.bias": np.ones(3, np.float32)}
    other = {"encoder.layer.5.output.dense.bias": np.zeros(3, np.float32)}
    embeddings = np.eye(2, dtype=np.float32)
    handover = _TunedEmbeddings()
    handover.keep(layers, ["a", "b"], embeddings)
    assert handover.take(other) == {}
    handover.keep(layers, ["a", "b"], embeddings)
    assert list(handover.take(layers)) == ["a", "b"]
    assert handover.take(layers) == {}
