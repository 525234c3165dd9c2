"""What the sentence models read is bounded, whatever a customer sends (issue #20):
the tokenizer reads a bounded prefix and keeps 256 tokens, the model text is
capped, and neither grows with the square of anything."""

import time

import pytest
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from common.reading import SENTENCE_CHARS
from components.minilm_encoder import (
    MAX_READ_CHARS,
    MAX_SEQ_LEN,
    BertTokenizer,
    model_dir,
    readable,
)
from components.model_text import model_text

BOUND_SECONDS = 0.5
WORDS = ("where is my order BW-100002 please help me with it " * 2_000)[:100_000]
HOSTILE = {
    "10,000 emoji": "\U0001f600" * 10_000,
    "100 KB of words": WORDS,
    "100 KB of one word": "a" * 100_000,
    "100 KB of punctuation": "?!" * 50_000,
    "100 KB of CJK": "\u4e2d" * 100_000,
}


@pytest.fixture(scope="module")
def tokenizer() -> BertTokenizer:
    return BertTokenizer(model_dir() / "tokenizer.json")


@pytest.mark.parametrize("label", sorted(HOSTILE))
def test_the_tokenizer_reads_only_what_it_keeps(tokenizer: BertTokenizer, label: str) -> None:
    started = time.perf_counter()
    ids = tokenizer.encode(HOSTILE[label])
    assert time.perf_counter() - started < BOUND_SECONDS
    assert 2 <= len(ids) <= MAX_SEQ_LEN


def test_the_bounded_prefix_keeps_the_same_tokens(tokenizer: BertTokenizer) -> None:
    text = "Where's my order?\nI ordered it on Monday, née Müller, 中文 too. " * 400
    kept = readable(text)
    assert len(kept) <= MAX_READ_CHARS and text.startswith(kept) and kept.endswith(" ")
    assert tokenizer.encode(text) == tokenizer.encode(text[:20_000])
    assert len(tokenizer.encode(text)) == MAX_SEQ_LEN
    assert readable("a" * 100_000) == "a" * MAX_READ_CHARS  # no space: cut where it must


def test_model_text_is_capped_and_linear_in_the_entities() -> None:
    starts = [i for i in range(len(WORDS)) if WORDS.startswith("BW-", i)]
    entities = [
        {"entity": "order_id", "start": s, "end": s + 9, "value": WORDS[s : s + 9]} for s in starts
    ]
    message = Message(data={TEXT: WORDS, ENTITIES: entities})
    started = time.perf_counter()
    text = model_text(message)
    assert time.perf_counter() - started < BOUND_SECONDS
    assert len(text) <= SENTENCE_CHARS
    assert text.startswith("where is my order order_id please help")
    assert "BW-" not in text[:-9]  # only an id the cap cut in two may remain


def test_model_text_reads_entities_as_their_names() -> None:
    message = Message(
        data={
            TEXT: "invoice INV-900010 and order BW-100002",
            ENTITIES: [
                {"entity": "invoice_id", "start": 8, "end": 18},
                {"entity": "order_id", "start": 29, "end": 38},
            ],
        }
    )
    assert model_text(message) == "invoice invoice_id and order order_id"
