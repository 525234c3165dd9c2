"""The novelty signal: typical messages keep their confidence, messages unlike any
training example lose it, and the classifier persists it."""

from pathlib import Path

import numpy as np
import pytest
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.minilm_featurizer import MiniLMFeaturizer
from components.novelty import Novelty
from components.sentence_classifier import SentenceIntentClassifier
from tests.components.test_sentence_intents import context, featurizer, trained  # noqa: F401


def clustered(rng: np.random.Generator, centre: np.ndarray, n: int) -> np.ndarray:
    return centre + 0.1 * rng.standard_normal((n, len(centre)))


def test_typical_messages_keep_their_confidence_and_strangers_lose_it() -> None:
    rng = np.random.default_rng(0)
    centre = np.eye(16)[0]
    novelty = Novelty.fit(clustered(rng, centre, 200), k=5)
    typical = novelty.factor(clustered(rng, centre, 100), quantile=0.05)
    stranger = novelty.factor(np.eye(16)[[3, 7]], quantile=0.05)
    assert np.mean(typical == 1.0) > 0.85
    assert np.all(stranger < 0.1)


def test_round_trips_through_its_arrays() -> None:
    rng = np.random.default_rng(1)
    novelty = Novelty.fit(rng.standard_normal((50, 8)), k=3)
    restored = Novelty.from_arrays(novelty.arrays())
    queries = rng.standard_normal((10, 8))
    assert np.array_equal(novelty.factor(queries, 0.2), restored.factor(queries, 0.2))


def test_classifier_lowers_confidence_only_for_unknown_topics(
    tmp_path: Path, featurizer: MiniLMFeaturizer
) -> None:
    (tmp_path / "plain").mkdir()
    (tmp_path / "novelty").mkdir()
    plain_storage, plain_resource, plain_config = trained(tmp_path / "plain", featurizer)
    storage, resource, config = trained(
        tmp_path / "novelty", featurizer, novelty_neighbours=2, novelty_quantile=0.2
    )
    plain = SentenceIntentClassifier.load(
        plain_config, plain_storage, plain_resource, context("intents")
    )
    gated = SentenceIntentClassifier.load(config, storage, resource, context("intents"))
    assert gated.model.novelty is not None and plain.model.novelty is None
    texts = ["where is my order", "the mitochondria is the powerhouse of the cell"]

    def confidences(classifier: SentenceIntentClassifier) -> list:
        messages = classifier.process(featurizer.process([Message(data={TEXT: t}) for t in texts]))
        return [m.get(INTENT)["confidence"] for m in messages]

    (known_plain, stranger_plain), (known, stranger) = confidences(plain), confidences(gated)
    assert known == pytest.approx(known_plain)
    assert stranger < 0.5 * stranger_plain


@pytest.mark.parametrize(
    "setting", [{"novelty_neighbours": -1}, {"novelty_quantile": 0}, {"novelty_quantile": 1.5}]
)
def test_invalid_novelty_settings_are_refused(setting: dict) -> None:
    with pytest.raises(InvalidConfigException):
        SentenceIntentClassifier.validate_config(
            {**SentenceIntentClassifier.get_default_config(), **setting}
        )
