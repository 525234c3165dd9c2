"""Intent classification by logistic regression over dense and TF-IDF features.

The features of a message are its dense sentence features (from
`MiniLMFeaturizer`, or whichever dense featurizers `dense_featurizers` names)
next to TF-IDF of word 1–2-grams and of character 2–5-grams within word
boundaries, fitted on the training texts; with `language_blocks` > 0 the TF-IDF
columns appear again, times that weight, in a block of the message's language
(components/language_blocks.py). A multinomial logistic regression
(components/softmax_regression.py: scikit-learn's objective, the dense block kept
dense) gives a probability per intent, so `intent` and
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

from components.language_blocks import LanguageBlocks, example_language, told_language
from components.model_text import model_text
from components.novelty import Novelty
from components.softmax_regression import SoftmaxRegression

logger = logging.getLogger(__name__)

VOCABULARY_FILE = "vocabulary.json"
WEIGHTS_FILE = "weights.npz"


class _Model:
    """The fitted parts: TF-IDF vectorizers, the dense feature size, the language
    blocks, the regression."""

    def __init__(
        self,
        word: TfidfVectorizer | None,
        char: TfidfVectorizer | None,
        dense_size: int,
        blocks: LanguageBlocks | None,
        regression: SoftmaxRegression | None,
        novelty: Novelty | None,
    ) -> None:
        self.word, self.char = word, char
        self.dense_size = dense_size
        self.blocks = blocks
        self.regression = regression
        self.novelty = novelty

    def sparse(self, texts: list[str], languages: list[str | None]) -> sp.csr_matrix:
        """The TF-IDF columns, shared and (with language blocks) per language."""
        blocks = [v.transform(texts) for v in (self.word, self.char) if v is not None]
        shared = sp.hstack(blocks).tocsr() if blocks else sp.csr_matrix((len(texts), 0))
        return self.blocks.expand(shared, languages) if self.blocks else shared


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class SentenceIntentClassifier(IntentClassifier, GraphComponent):
    """Logistic regression on [dense sentence features ; word TF-IDF ; char TF-IDF]."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "C": 10.0,  # inverse regularisation strength
            "max_iter": 3000,
            "tolerance": 1e-4,  # L-BFGS stops when no gradient entry is larger
            "language_blocks": 0.0,  # weight of TF-IDF again per language; 0 = none
            "lbfgs_memory": 10,  # L-BFGS-B's past steps (scipy's maxcor)
            "dense_featurizers": None,  # names of dense featurizers to use; None = all
            "word_ngram_range": [1, 2],  # [] switches the word TF-IDF block off
            "word_min_df": 1,  # training examples an n-gram must be in to be a column
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
        weight = config["language_blocks"]
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
            raise InvalidConfigException(
                f"{cls.__name__}: 'language_blocks' must be a number >= 0 (the weight of "
                f"the TF-IDF features repeated per message language; 0 = not repeated), "
                f"not {weight!r}."
            )
        for key, meaning in (
            ("lbfgs_memory", "the past steps L-BFGS-B keeps"),
            ("word_min_df", "the training examples a word n-gram must be in"),
            ("char_min_df", "the training examples a character n-gram must be in"),
        ):
            value = config[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidConfigException(
                    f"{cls.__name__}: '{key}' must be a whole number >= 1 ({meaning}), "
                    f"not {value!r}."
                )
        if float(config["tolerance"]) <= 0 or int(config["max_iter"]) < 1:
            raise InvalidConfigException(
                f"{cls.__name__}: 'tolerance' must be > 0 and 'max_iter' >= 1: they say "
                f"when the regression's fit stops."
            )

    @classmethod
    def required_packages(cls) -> list[str]:
        return ["sklearn", "scipy"]

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
            TfidfVectorizer(
                ngram_range=tuple(word), sublinear_tf=True, min_df=self.config["word_min_df"]
            )
            if word
            else None,
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
        in_scope = dense[[label != self.config["out_of_scope_intent"] for label in labels]]
        novelty = (
            Novelty.fit(in_scope, int(self.config["novelty_neighbours"]))
            if self.config["novelty_neighbours"] and len(in_scope) > 1 and dense.shape[1]
            else None
        )
        self.model = _Model(word, char, dense.shape[1], None, None, novelty)
        sparse = self.model.sparse(texts, [])
        if self.config["language_blocks"]:
            languages = [example_language(m) for m in examples]
            self.model.blocks = LanguageBlocks.fit(
                sparse, languages, float(self.config["language_blocks"])
            )
            sparse = self.model.blocks.expand(sparse, languages)
        self.model.regression = SoftmaxRegression.fit(
            dense,
            sparse,
            labels,
            float(self.config["C"]),
            int(self.config["max_iter"]),
            float(self.config["tolerance"]),
            int(self.config["lbfgs_memory"]),
        )
        logger.info(
            "Logistic regression fitted in %d iterations.", self.model.regression.iterations
        )
        self.persist()
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        """Sets `intent` and `intent_ranking` (probabilities, scaled by novelty, best first)."""
        if self.model is None or self.model.regression is None or not messages:
            return messages
        dense = self._dense(messages, self.model.dense_size)
        texts = [model_text(m) for m in messages]
        languages = [told_language(m) for m in messages]
        regression = self.model.regression
        probabilities = regression.predict_proba(dense, self.model.sparse(texts, languages))
        names = regression.classes_
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
        if model is None or model.regression is None:
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
                dense_coef=model.regression.dense_coef,
                sparse_coef=model.regression.sparse_coef,
                intercept=model.regression.intercept,
                word_idf=model.word.idf_ if model.word else np.zeros(0),
                char_idf=model.char.idf_ if model.char else np.zeros(0),
                **(model.novelty.arrays() if model.novelty else {}),
                **(model.blocks.arrays() if model.blocks else {}),
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
        regression = SoftmaxRegression(
            np.array(stored["classes"]),
            arrays["dense_coef"],
            arrays["sparse_coef"],
            arrays["intercept"],
        )
        component.model = _Model(
            _restore(word, stored["word"], arrays["word_idf"]),
            _restore(char, stored["char"], arrays["char_idf"]),
            stored["dense_size"],
            LanguageBlocks.from_arrays(arrays, float(config["language_blocks"]))
            if config["language_blocks"]
            else None,
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
