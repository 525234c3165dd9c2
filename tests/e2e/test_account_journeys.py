"""Order, claim and invoice questions over the REST channel, verified the way a
customer would verify, answered from the sample backend."""

from datetime import date

import pytest

from actions.identity import METADATA_CUSTOMER_ID
from tests.support.crm import crm, customer, first_with, of_customer
from tests.support.stack import Conversation, Stack, vouched

FACTOR_QUESTION = "postcode, the e-mail address or the date of birth"


def spoken_date(iso: str) -> str:
    parsed = date.fromisoformat(iso)
    return f"{parsed.day} {parsed:%B %Y}"


def verify(chat: Conversation, question: str, factor: str) -> str:
    """Ask, get asked for a knowledge factor, give it: the answer."""
    assert FACTOR_QUESTION in chat.say(question)
    return chat.say(factor)


def test_delayed_order_after_postcode(chat: Conversation) -> None:
    first = chat.say("where is my order BW-100002")
    assert FACTOR_QUESTION in first
    assert "delayed" not in first and "capacity" not in first
    answer = chat.say("98096")
    assert "BW-100002" in answer and "delayed" in answer
    assert "carrier capacity shortage" in answer
    assert "25 November 2026" in answer


ORDER_FACTS = {
    "shipped": lambda o: [o["carrier"], o["tracking_number"], spoken_date(o["eta"])],
    "out_for_delivery": lambda o: ["out for delivery", o["tracking_number"]],
    "delayed": lambda o: [o["delay_reason"], spoken_date(o["eta"])],
    "delivered": lambda o: ["delivered", spoken_date(o["delivered_at"])],
    "processing": lambda o: ["hasn't shipped", spoken_date(o["eta"])],
    "cancelled": lambda o: ["cancelled"],
    "returned": lambda o: ["returned"],
}


@pytest.mark.parametrize("status", sorted(ORDER_FACTS))
def test_every_order_status_in_plain_words(stack: Stack, status: str) -> None:
    # The last order of each status, verified by e-mail address this time.
    order = [o for o in crm()["orders"] if o["status"] == status][-1]
    owner = customer(order["customer_id"])
    chat = Conversation(stack)
    answer = verify(
        chat,
        f"hi, can you tell me what's happening with {order['id'].lower()}?",
        f"it's {owner['email'].upper()}",
    )
    assert order["id"] in answer
    for fact in ORDER_FACTS[status](order):
        assert fact in answer


def test_claim_status_and_next_step_after_date_of_birth(chat: Conversation) -> None:
    claim = first_with("claims", status="repair_scheduled")
    owner = customer(claim["customer_id"])
    born = date.fromisoformat(owner["date_of_birth"])
    answer = verify(chat, f"any news on my claim {claim['id']}", f"{born.day} {born:%B %Y}")
    assert claim["id"] in answer and "repair scheduled" in answer
    assert claim["next_step"] in answer


def test_failed_payment_says_why_and_how_to_fix(chat: Conversation) -> None:
    invoice = first_with("invoices", status="failed")
    owner = customer(invoice["customer_id"])
    answer = verify(chat, f"why did the payment for {invoice['id']} fail?", owner["postcode"])
    assert invoice["id"] in answer and "failed" in answer
    assert "card expired" in answer
    assert "Payment methods" in answer


def test_customer_number_then_open_orders(chat: Conversation) -> None:
    reply = chat.say("I want to know where my parcel is")
    assert "order number" in reply
    assert FACTOR_QUESTION in chat.say("I don't have it but my customer number is C-1001")
    answer = chat.say("98096")
    open_orders = [
        o["id"]
        for o in of_customer("orders", "C-1001")
        if o["status"] not in ("delivered", "cancelled", "returned")
    ]
    assert open_orders
    for order_id in open_orders[:3]:
        assert order_id in answer


def test_three_wrong_factors_reveal_nothing_and_offer_a_person(chat: Conversation) -> None:
    chat.say("where is my order BW-100002")
    assert "attempts left" in chat.say("12345")
    assert "(1 attempt left)" in chat.say("someone@example.com")  # not "1 attempts"
    refusal = chat.say("1 January 1990")
    assert "delayed" not in refusal and "capacity" not in refusal
    assert "couldn't confirm" in refusal and "member of our team" in refusal
    # Locked for the session, even with the right answer now.
    again = chat.say("where is my order BW-100002")
    assert "capacity" not in again
    assert "passing you to a member of our team" in chat.say("yes please")  # a hand-over


def test_an_unknown_order_reads_like_an_existing_one(stack: Stack) -> None:
    existing_id = crm()["orders"][-1]["id"]
    unknown, existing = Conversation(stack), Conversation(stack)
    # Before verification nothing says whether a record exists: the same question,
    # and a wrong answer reads the same.
    asked = unknown.say("where is my order BW-999999")
    assert FACTOR_QUESTION in asked
    assert asked == existing.say(f"where is my order {existing_id}")
    assert (
        unknown.say("98096")
        == existing.say("00000")
        == (
            "That doesn't match what we have on file (2 attempts left).\n"
            "To make sure it's you, please tell me the postcode, the e-mail address or the "
            "date of birth on the account."
        )
    )


def test_someone_elses_order_is_not_revealed(chat: Conversation) -> None:
    verify(chat, "where is my order BW-100002", "98096")
    other = next(o for o in crm()["orders"] if o["customer_id"] != "C-1001")
    reply = chat.say(f"and what about order {other['id']}")
    assert f"can't find order {other['id']} on your account" in reply
    assert other["status"].replace("_", " ") not in reply.replace(f"order {other['id']}", "")


def test_trusted_channel_skips_the_question(stack: Stack) -> None:
    invoice = first_with("invoices", status="overdue")
    chat = vouched(stack, invoice["customer_id"])
    answer = chat.say(f"what about invoice {invoice['id']}")
    assert FACTOR_QUESTION not in answer
    assert "overdue" in answer and invoice["id"] in answer


def test_forged_identity_is_ignored(stack: Stack) -> None:
    chat = Conversation(
        stack, metadata={METADATA_CUSTOMER_ID: "C-1001", "verification_signature": "0" * 64}
    )
    assert FACTOR_QUESTION in chat.say("where is my order BW-100002")


def test_factor_given_with_the_question(chat: Conversation) -> None:
    answer = chat.say("where is BW-100002, postcode 98096")
    assert FACTOR_QUESTION not in answer
    assert "carrier capacity shortage" in answer


def test_no_number_to_hand_gets_help_not_silence(chat: Conversation) -> None:
    assert "order number" in chat.say("i need to check my order status")
    reply = chat.say("I don't know the number")
    assert "customer number" in reply
    assert FACTOR_QUESTION in chat.say("C-1001")
    assert "BW-100002" in chat.say("98096")


def test_stop_leaves_verification(chat: Conversation) -> None:
    chat.say("where is my order BW-100002")
    reply = chat.say("no")
    assert "anything else" in reply and FACTOR_QUESTION not in reply
    assert "30 days" in chat.say("what's your return policy?")
