"""The library tokenizer (Hugging Face `tokenizers` on the model's tokenizer.json)
gives exactly the ids the hand-written WordPiece gave, on every training and
held-out text and the edge cases recorded in data/wordpiece_ids.json before that
tokenizer was removed; and the weights are the shipped ones."""

import json
from pathlib import Path

import numpy as np
import pytest

from components.minilm_encoder import MAX_SEQ_LEN, BertTokenizer, Encoder, model_dir

RECORDED = Path(__file__).parent / "data" / "wordpiece_ids.json"


@pytest.fixture(scope="module")
def tokenizer() -> BertTokenizer:
    return BertTokenizer(model_dir() / "tokenizer.json")


@pytest.fixture(scope="module")
def recorded() -> dict[str, list[int]]:
    ids = json.loads(RECORDED.read_text(encoding="utf-8"))["ids"]
    return {text: [int(i) for i in value.split()] for text, value in ids.items()}


def test_the_recording_covers_the_training_data(recorded: dict[str, list[int]]) -> None:
    assert len(recorded) > 1500
    assert "where is my order order_id" in "\n".join(recorded)  # model text is in it


def test_ids_are_those_of_the_hand_written_wordpiece(
    tokenizer: BertTokenizer, recorded: dict[str, list[int]]
) -> None:
    texts = list(recorded)
    differ = [
        text
        for text, ids in zip(texts, tokenizer.encode_batch(texts), strict=True)
        if ids != recorded[text]
    ]
    assert not differ, f"{len(differ)} differ, e.g. {differ[:3]}"
    assert all(tokenizer.encode(text) == recorded[text] for text in texts[:50])


def test_ids_are_bert_uncased_and_bounded(tokenizer: BertTokenizer) -> None:
    assert tokenizer.encode("Hello, World!") == [101, 7592, 1010, 2088, 999, 102]
    assert tokenizer.encode("") == [101, 102]
    assert len(tokenizer.encode("word " * 400)) == MAX_SEQ_LEN


def test_the_encoder_serves_the_shipped_weights() -> None:
    weights = Encoder(threads=1).weights
    assert weights["embeddings.word_embeddings.weight"].shape == (30522, 384)
    assert weights["embeddings.word_embeddings.weight"].dtype == np.float32
    assert sum(name.startswith("encoder.layer.") for name in weights) == 6 * 16
