"""The text the sentence models read: the message with each extracted entity's
value replaced by the entity's name.

A record id says nothing about intent ("what about invoice INV-900010"), yet its
digits become char n-grams and subword tokens that pull the prediction around
from one id to the next. The regex extractor runs earlier in the pipeline and
training examples carry their annotated entities, so both read the same kind of
text: "what about invoice invoice_id".
"""

from typing import Any, Dict, List

from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message


def model_text(message: Message) -> str:
    text: str = message.get(TEXT) or ""
    spans: List[Dict[str, Any]] = sorted(
        (e for e in message.get(ENTITIES) or []
         if isinstance(e.get("start"), int) and isinstance(e.get("end"), int)),
        key=lambda e: e["start"], reverse=True)
    for entity in spans:
        text = f"{text[:entity['start']]}{entity['entity']}{text[entity['end']:]}"
    return text
