"""Intent classification by logistic regression over dense and TF-IDF features.

The features of a message are its dense sentence features (from
`MiniLMFeaturizer`, or whichever dense featurizers `dense_featurizers` names)
next to TF-IDF of word 1–2-grams and of character 2–5-grams within word
boundaries, fitted on the training texts. A multinomial scikit-learn
`LogisticRegression` gives a probability per intent, so `intent` and
`intent_ranking` carry probabilities for the FallbackClassifier and the
escalation policy's confidence and margin rules. With `novelty_neighbours` > 0
those probabilities are scaled down for a message unlike every in-scope training
example (`components.novelty`), so the fallback threshold catches topics the
assistant was never taught.

Persisted in the model storage without pickle: the TF-IDF vocabularies and the
intent names as JSON, the IDF vectors and the regression weights as a NumPy
archive.
"""

import json
import logging
from typing import Any

import numpy as np
import scipy.sparse as sp
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers import LABEL_RANKING_LENGTH
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.constants import RANKING_LENGTH
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from components.model_text import model_text
from components.novelty import Novelty

logger = logging.getLogger(__name__)

VOCABULARY_FILE = "vocabulary.json"
WEIGHTS_FILE = "weights.npz"


class _Model:
    """The fitted parts: TF-IDF vectorizers, the dense feature size, the regression."""

    def __init__(
        self,
        word: TfidfVectorizer | None,
        char: TfidfVectorizer | None,
        dense_size: int,
        regression: LogisticRegression,
        novelty: Novelty | None,
    ) -> None:
        self.word, self.char = word, char
        self.dense_size = dense_size
        self.regression = regression
        self.novelty = novelty


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class SentenceIntentClassifier(IntentClassifier, GraphComponent):
    """Logistic regression on [dense sentence features ; word TF-IDF ; char TF-IDF]."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "C": 10.0,  # inverse regularisation strength
            "max_iter": 3000,
            "dense_featurizers": None,  # names of dense featurizers to use; None = all
            "word_ngram_range": [1, 2],  # [] switches the word TF-IDF block off
            "char_ngram_range": [2, 5],  # char_wb n-grams; [] switches the block off
            "char_min_df": 2,
            "novelty_neighbours": 0,  # k nearest training examples; 0 = no novelty
            "novelty_quantile": 0.05,  # scale down below this share of training
            "out_of_scope_intent": "out_of_scope",  # its examples are no neighbours
            RANKING_LENGTH: LABEL_RANKING_LENGTH,
        }

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if int(config["novelty_neighbours"]) < 0 or not 0 < float(config["novelty_quantile"]) <= 1:
            raise InvalidConfigException(
                f"{cls.__name__}: 'novelty_neighbours' must be >= 0 and 'novelty_quantile' "
                f"in (0, 1]."
            )

    @classmethod
    def required_packages(cls) -> list[str]:
        return ["sklearn"]

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: _Model | None = None,
    ) -> None:
        self.config = config
        self._model_storage = model_storage
        self._resource = resource
        self.model = model

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SentenceIntentClassifier":
        return cls(config, model_storage, resource)

    def _vectorizers(self) -> tuple[TfidfVectorizer | None, TfidfVectorizer | None]:
        word, char = self.config["word_ngram_range"], self.config["char_ngram_range"]
        return (
            TfidfVectorizer(ngram_range=tuple(word), sublinear_tf=True) if word else None,
            TfidfVectorizer(
                analyzer="char_wb",
                ngram_range=tuple(char),
                sublinear_tf=True,
                min_df=self.config["char_min_df"],
            )
            if char
            else None,
        )

    def _dense(self, messages: list[Message], size: int | None) -> np.ndarray:
        """Each message's dense sentence features; zeros where it has none."""
        rows = []
        for message in messages:
            _, sentence = message.get_dense_features(TEXT, self.config["dense_featurizers"])
            rows.append(sentence.features.reshape(-1) if sentence is not None else None)
        size = size if size is not None else max((len(r) for r in rows if r is not None), default=0)
        return np.vstack([r if r is not None else np.zeros(size) for r in rows]).reshape(
            len(messages), size
        )

    @staticmethod
    def _features(texts: list[str], dense: np.ndarray, model: _Model) -> sp.csr_matrix:
        blocks = [sp.csr_matrix(dense)]
        blocks += [v.transform(texts) for v in (model.word, model.char) if v is not None]
        return sp.hstack(blocks).tocsr()

    def train(self, training_data: TrainingData) -> Resource:
        """Fits TF-IDF on the training texts, then the regression on all features."""
        examples = [m for m in training_data.intent_examples if m.get(TEXT)]
        labels = [m.get(INTENT) for m in examples]
        if len(set(labels)) < 2:
            logger.warning(
                "%s: fewer than two intents to learn; skipping training.", self.__class__.__name__
            )
            return self._resource
        texts = [model_text(m) for m in examples]
        word, char = self._vectorizers()
        for vectorizer in (word, char):
            if vectorizer is not None:
                vectorizer.fit(texts)
        dense = self._dense(examples, None)
        regression = LogisticRegression(C=self.config["C"], max_iter=self.config["max_iter"])
        in_scope = dense[[label != self.config["out_of_scope_intent"] for label in labels]]
        novelty = (
            Novelty.fit(in_scope, int(self.config["novelty_neighbours"]))
            if self.config["novelty_neighbours"] and len(in_scope) > 1 and dense.shape[1]
            else None
        )
        self.model = _Model(word, char, dense.shape[1], regression, novelty)
        regression.fit(self._features(texts, dense, self.model), labels)
        logger.info("Logistic regression converged in %d iterations.", regression.n_iter_[0])
        self.persist()
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        """Sets `intent` and `intent_ranking` (probabilities, scaled by novelty, best first)."""
        if self.model is None or not messages:
            return messages
        dense = self._dense(messages, self.model.dense_size)
        probabilities = self.model.regression.predict_proba(
            self._features([model_text(m) for m in messages], dense, self.model)
        )
        names = self.model.regression.classes_
        if self.model.novelty is not None:
            # A message already read as out of scope keeps that reading.
            factor = self.model.novelty.factor(dense, float(self.config["novelty_quantile"]))
            said_out_of_scope = (
                names[probabilities.argmax(axis=1)] == self.config["out_of_scope_intent"]
            )
            probabilities *= np.where(said_out_of_scope, 1.0, factor)[:, np.newaxis]
        length = self.config[RANKING_LENGTH]
        for message, row in zip(messages, probabilities, strict=True):
            order = np.argsort(-row, kind="stable")
            ranking = [{"name": str(names[i]), "confidence": float(row[i])} for i in order]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(
                "intent_ranking", ranking[:length] if length > 0 else ranking, add_to_output=True
            )
        return messages

    def persist(self) -> None:
        """Writes vocabularies and intent names (JSON) and weights (npz), no pickle."""
        model = self.model
        if model is None:
            raise RuntimeError(f"{self.__class__.__name__}: persist() before train()")
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(
                json.dumps(
                    {
                        "classes": [str(c) for c in model.regression.classes_],
                        "dense_size": model.dense_size,
                        "word": _vocabulary(model.word),
                        "char": _vocabulary(model.char),
                    }
                )
            )
            np.savez(
                directory / WEIGHTS_FILE,
                coef=model.regression.coef_,
                intercept=model.regression.intercept_,
                word_idf=model.word.idf_ if model.word else np.zeros(0),
                char_idf=model.char.idf_ if model.char else np.zeros(0),
                **(model.novelty.arrays() if model.novelty else {}),
            )

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "SentenceIntentClassifier":
        """Restores the fitted model; without one (training skipped) predicts nothing."""
        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as directory:
                stored = json.loads((directory / VOCABULARY_FILE).read_text())
                with np.load(directory / WEIGHTS_FILE, allow_pickle=False) as weights:
                    arrays = {name: weights[name] for name in weights.files}
        except (ValueError, FileNotFoundError):
            logger.debug("%s: no trained model in '%s'.", cls.__name__, resource.name)
            return component
        word, char = component._vectorizers()
        regression = LogisticRegression(C=config["C"], max_iter=config["max_iter"])
        regression.classes_ = np.array(stored["classes"])
        regression.coef_, regression.intercept_ = arrays["coef"], arrays["intercept"]
        component.model = _Model(
            _restore(word, stored["word"], arrays["word_idf"]),
            _restore(char, stored["char"], arrays["char_idf"]),
            stored["dense_size"],
            regression,
            Novelty.from_arrays(arrays) if "novelty_k" in arrays else None,
        )
        return component


def _vocabulary(vectorizer: TfidfVectorizer | None) -> dict[str, int] | None:
    if vectorizer is None:
        return None
    return {term: int(index) for term, index in vectorizer.vocabulary_.items()}


def _restore(
    vectorizer: TfidfVectorizer | None, vocabulary: dict[str, int] | None, idf: np.ndarray
) -> TfidfVectorizer | None:
    if vectorizer is None or vocabulary is None:
        return None
    vectorizer.vocabulary_ = vocabulary
    vectorizer.idf_ = idf
    return vectorizer
