"""Two regressions in understanding (issue #11.7), over the REST channel against the
whole stack: a message that names two goals is asked which one, with exactly those
as options; a question about a record whose number the customer does not know finds
the record once the customer is identified another way (customer number, e-mail)."""

from typing import Any

import pytest

from tests.support.crm import customer, first_with
from tests.support.stack import Conversation, Stack

FACTOR_QUESTION = "postcode, the e-mail address or the date of birth"
NO_EMAIL_FACTOR = "please tell me the postcode or the date of birth on the account"
FAILED = first_with("invoices", status="failed")
PAYER = customer(FAILED["customer_id"])


def payloads(replies: list[dict[str, Any]]) -> list[str]:
    return [button["payload"] for reply in replies for button in reply.get("buttons") or []]


@pytest.mark.parametrize(
    "text, goals",
    [
        ("is it about my order or my claim?", ["/check_order_status", "/check_claim_status"]),
        ("invoice or claim", ["/check_invoice", "/check_claim_status"]),
        ("order or claim", ["/check_order_status", "/check_claim_status"]),
    ],
)
def test_two_goals_named_are_both_offered_and_a_tap_picks_one(
    stack: Stack, text: str, goals: list[str]
) -> None:
    chat = Conversation(stack)
    assert payloads(chat.send(text)) == goals
    decision = stack.tracker(chat.sender)["slots"]["escalation_decision"]
    assert (decision["clarify"], decision["escalate"]) == (True, False)
    assert "claim number" in chat.say("/check_claim_status")


def test_one_goal_is_not_asked_about(chat: Conversation) -> None:
    replies = chat.send("what's happening with my claim?")
    assert payloads(replies) == [] and "claim number" in replies[0]["text"]


def test_a_failed_payment_is_found_by_the_customer_number(chat: Conversation) -> None:
    assert "invoice number" in chat.say("why did my payment fail?")
    assert FACTOR_QUESTION in chat.say(f"I don't have it, my customer number is {PAYER['id']}")
    answer = chat.say(PAYER["postcode"])
    assert FAILED["id"] in answer and FAILED["failure_reason"] in answer


def test_a_failed_payment_is_found_by_the_e_mail_address(chat: Conversation) -> None:
    assert "invoice number" in chat.say("why did my payment fail?")
    assert "e-mail address" in chat.say("I don't know the number")
    asked = chat.say(f"it's {PAYER['email']}")
    assert NO_EMAIL_FACTOR in asked and "invoice number" not in asked
    assert "didn't catch" in chat.say(PAYER["email"])  # the address proves nothing
    answer = chat.say(PAYER["postcode"])
    assert FAILED["id"] in answer and FAILED["failure_reason"] in answer


def test_a_claim_is_found_by_the_e_mail_address_given_with_the_question(chat: Conversation) -> None:
    claim = first_with("claims", status="repair_scheduled")
    owner = customer(claim["customer_id"])
    assert NO_EMAIL_FACTOR in chat.say(
        f"what's happening with my claim? my email is {owner['email']}"
    )
    answer = chat.say(f"I was born on {owner['date_of_birth']}")
    assert claim["id"] in answer and claim["next_step"] in answer


def test_an_unknown_e_mail_address_reads_like_a_known_one(stack: Stack) -> None:
    known, unknown = Conversation(stack), Conversation(stack)
    for chat in (known, unknown):
        chat.say("why did my payment fail?")
    assert known.say(f"my email is {PAYER['email']}") == unknown.say(
        "my email is nobody.at.all@example.com"
    )
    assert known.say("00000") == unknown.say(PAYER["postcode"])
    assert "doesn't match" in known.say("11111")
