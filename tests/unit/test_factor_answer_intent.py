"""components/factor_answer.py: a message that is only a postcode, a date or an e-mail
address is read as inform whatever the classifier made of it; a message that says more
keeps its intent."""

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.factor_answer import INFORM, FactorAnswer

CLASSIFIED = {"name": "ask_product_price", "confidence": 0.74}


def classified(text: str) -> Message:
    message = Message(data={TEXT: text})
    message.set(INTENT, dict(CLASSIFIED))
    message.set(INTENT_RANKING_KEY, [dict(CLASSIFIED)])
    return message


@pytest.mark.parametrize(
    "text", ["SE1 7PB", "ec1a 1bb", " G2 3AB. ", "33628", "1010", "a.b@example.com", "5 May 1990"]
)
def test_a_message_that_is_only_a_verification_answer_is_inform(text: str) -> None:
    [read] = FactorAnswer().process([classified(text)])
    assert read.get(INTENT) == {"name": INFORM, "confidence": 1.0}
    assert [r["name"] for r in read.get(INTENT_RANKING_KEY)] == [INFORM, "ask_product_price"]


@pytest.mark.parametrize(
    "text", ["how much is the S23?", "PH-ORB-12", "BW-100045", "SE1 7PB is that near you", "123"]
)
def test_a_message_that_says_more_keeps_its_intent(text: str) -> None:
    [read] = FactorAnswer().process([classified(text)])
    assert read.get(INTENT) == CLASSIFIED
    assert read.get(INTENT_RANKING_KEY) == [CLASSIFIED]
