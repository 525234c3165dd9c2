"""components/card_number.py: a message a card number was removed from is read as
give_card_number whatever the classifier made of it; any other message is left alone."""

from typing import Any

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, METADATA, TEXT
from rasa.shared.nlu.training_data.message import Message

from common.channel_metadata import CARD_MASK, CARD_NUMBER_REMOVED
from components.card_number import GIVE_CARD_NUMBER, CardNumberGiven

CLASSIFIED = {"name": "check_invoice", "confidence": 0.81}


def classified(text: str, metadata: dict[str, Any] | None = None) -> Message:
    message = Message(data={TEXT: text, METADATA: metadata or {}})
    message.set(INTENT, dict(CLASSIFIED))
    message.set(INTENT_RANKING_KEY, [dict(CLASSIFIED)])
    return message


@pytest.mark.parametrize(
    "message",
    [
        classified(f"my payment failed, charge {CARD_MASK} instead"),
        classified("the number was removed", {CARD_NUMBER_REMOVED: True}),
    ],
)
def test_a_message_a_card_number_was_removed_from_is_give_card_number(message: Message) -> None:
    [read] = CardNumberGiven().process([message])
    assert read.get(INTENT) == {"name": GIVE_CARD_NUMBER, "confidence": 1.0}
    assert [r["name"] for r in read.get(INTENT_RANKING_KEY)] == [GIVE_CARD_NUMBER, "check_invoice"]


def test_any_other_message_keeps_its_intent() -> None:
    [read] = CardNumberGiven().process([classified("my card 1234 was declined")])
    assert read.get(INTENT) == CLASSIFIED
    assert read.get(INTENT_RANKING_KEY) == [CLASSIFIED]
