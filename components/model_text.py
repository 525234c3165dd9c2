"""The text the sentence models read: the message with each extracted entity's
value replaced by the entity's name.

A record id says nothing about intent ("what about invoice INV-900010"), yet its
digits become char n-grams and subword tokens that pull the prediction around
from one id to the next. The regex extractor runs earlier in the pipeline and
training examples carry their annotated entities, so both read the same kind of
text: "what about invoice invoice_id".
"""

from typing import Any

from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from common.reading import SENTENCE_CHARS


def model_text(message: Message) -> str:
    """The first SENTENCE_CHARS characters (common/reading.py), each entity inside
    them read as its name."""
    text: str = (message.get(TEXT) or "")[:SENTENCE_CHARS]
    spans: list[dict[str, Any]] = sorted(
        (
            e
            for e in message.get(ENTITIES) or []
            if isinstance(e.get("start"), int)
            and isinstance(e.get("end"), int)
            and 0 <= e["start"] < e["end"] <= len(text)  # an empty span names no text
        ),
        key=lambda e: e["start"],
    )
    parts, position = [], 0
    for entity in spans:
        if entity["start"] < position:  # overlaps the previous one
            continue
        parts += [text[position : entity["start"]], str(entity["entity"])]
        position = entity["end"]
    return "".join(parts + [text[position:]])
