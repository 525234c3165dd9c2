"""LinearRegexFeaturizer gives Rasa's RegexFeaturizer's features, in linear time."""

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.regex_featurizer import RegexFeaturizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.regex_featurizer import LinearRegexFeaturizer

PATTERNS = [
    {"name": "order_id", "pattern": r"\b[Bb][Ww][- ]?\d{6}\b"},
    {"name": "claim_id", "pattern": r"\b[Cc][Ll][Mm][- ]?\d{5}\b"},
    {"name": "customer_id", "pattern": r"\b[Cc][- ]?\d{4}\b"},
]
PIECES = [
    "BW-100002",
    "bw 100003",
    "CLM-70001",
    "C-1001",
    "c 1002",
    "order",
    "is",
    "where",
    "BW-1000",
    "-",
    "  ",
    "?",
    ".",
    "BW100002X",
]


def featurizer(cls: type, tmp_path_factory: pytest.TempPathFactory) -> RegexFeaturizer:
    config = {**cls.get_default_config(), "case_sensitive": False}
    context = ExecutionContext(GraphSchema({}), node_name=cls.__name__)
    storage = LocalModelStorage(tmp_path_factory.mktemp(cls.__name__))
    instance = cls.create(config, storage, Resource(cls.__name__), context)
    instance.known_patterns = PATTERNS
    return instance


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[RegexFeaturizer, RegexFeaturizer]:
    return (
        featurizer(RegexFeaturizer, tmp_path_factory),
        featurizer(LinearRegexFeaturizer, tmp_path_factory),
    )


def tokenized(text: str) -> Message:
    message = Message(data={TEXT: text})
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    tokenizer.process_training_data(TrainingData([message]))
    return message


def features(instance: RegexFeaturizer, text: str) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    message = tokenized(text)
    instance.process([message])
    return read(message)


def read(message: Message) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    sequence, sentence = message.get_sparse_features(TEXT)
    marks = [dict(t.get("pattern")) for t in message.get("text_tokens")]
    return sequence.features.toarray(), sentence.features.toarray(), marks


@settings(max_examples=60, deadline=None, database=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=12).map(" ".join))
def test_the_features_are_rasas(pair: tuple[RegexFeaturizer, RegexFeaturizer], text: str) -> None:
    rasa, linear = (features(instance, text) for instance in pair)
    assert np.array_equal(rasa[0], linear[0]) and np.array_equal(rasa[1], linear[1])
    assert rasa[2] == linear[2]


def test_many_ids_cost_linear_time(pair: tuple[RegexFeaturizer, RegexFeaturizer]) -> None:
    text = ("where is my order BW-100002 please " * 3000)[:100_000]
    message = tokenized(text)
    started = time.perf_counter()
    pair[1].process([message])
    assert time.perf_counter() - started < 1.0  # Rasa's own: minutes
    sequence, sentence, _ = read(message)
    assert sentence[0].tolist() == [1.0, 0.0, 0.0]
    assert sequence[:, 0].sum() == text.count("BW-100002")
