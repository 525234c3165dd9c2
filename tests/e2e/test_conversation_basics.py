"""Policies, small talk, honest AI disclosure and the fallback, over the REST
channel (requests for a person: test_escalation.py)."""

from datetime import UTC, datetime

import pytest

from actions.support_hours import hours_words
from desk.settings import DEFAULT_BEHAVIOUR, load_behaviour
from tests.support.crm import crm
from tests.support.stack import Conversation

POLICIES = crm()["policies"]

POLICY_QUESTIONS = {
    "how many days do I have to return something?": [f"{POLICIES['return_window_days']} days"],
    "how long does standard delivery take": [POLICIES["standard_shipping_business_days"]],
    "is shipping free?": [f"€{POLICIES['free_shipping_threshold_eur']:.2f}"],
    "whats the warranty on a phone": [f"{POLICIES['warranty_months']}-month"],
    "can i pay with klarna": POLICIES["payment_methods"],
    "when can I speak to someone, what are your opening hours": [
        # The desk's hours (desk/settings.yml), the ones its hand-overs follow.
        hours_words(load_behaviour(DEFAULT_BEHAVIOUR).hours.as_json(), datetime.now(UTC))[
            "support_hours"
        ]
    ],
    "how long until you decide on an insurance claim": [
        f"{POLICIES['claim_decision_business_days']} business days"
    ],
}


@pytest.mark.parametrize("question", sorted(POLICY_QUESTIONS))
def test_policy_answers_come_from_the_policies(chat: Conversation, question: str) -> None:
    answer = chat.say(question)
    for fact in POLICY_QUESTIONS[question]:
        assert fact in answer


def test_greeting_thanks_and_goodbye(chat: Conversation) -> None:
    assert "Brightwave's virtual assistant" in chat.say("hello there")
    assert "You're welcome" in chat.say("thanks a lot")
    assert "Goodbye" in chat.say("bye")


@pytest.mark.parametrize("question", ["are you a bot?", "am I talking to a real person"])
def test_honest_ai_disclosure(chat: Conversation, question: str) -> None:
    assert "an AI, not a person" in chat.say(question)


@pytest.mark.parametrize(
    "message", ["what's the weather like in Paris tomorrow", "asdkjh qwpoe zzxv"]
)
def test_out_of_scope_gets_an_honest_answer_not_a_guess(chat: Conversation, message: str) -> None:
    reply = chat.say(message)
    assert "order" in reply and "claim" in reply  # says what it can do
    assert "BW-" not in reply and "postcode" not in reply
