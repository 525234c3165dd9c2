"""Fixing a failed payment over REST against the running stack: verified as for an
invoice, then a secure one-time link from the sample backend; the same link for a
doubled message; a paid invoice has nothing to fix; a card number typed in the chat
is masked before anything stores it, and the customer is warned."""

import re
from pathlib import Path

from tests.support.crm import customer, first_with
from tests.support.stack import Conversation, Stack, vouched

FACTOR_QUESTION = "postcode, the e-mail address or the date of birth"
LINK = re.compile(r"https://pay\.brightwave\.example/update/\S+")
CARD = "5425 2334 3010 9903"  # a Mastercard test number: Luhn-valid
WARNING = "we never ask for card details in a conversation"


def link(reply: str) -> str:
    found = LINK.search(reply)
    assert found, reply
    return found[0]


def outcomes(stack: Stack, sender: str) -> list[tuple[str, str]]:
    slots = stack.tracker(sender)["slots"]
    return [(o["goal"], o["result"]) for o in slots.get("outcomes") or []]


def test_a_customer_verifies_and_gets_a_secure_link(chat: Conversation, stack: Stack) -> None:
    invoice = first_with("invoices", status="failed")
    owner = customer(invoice["customer_id"])
    asked = chat.say(f"my card changed, I need to update the payment method for {invoice['id']}")
    assert FACTOR_QUESTION in asked and "https://" not in asked
    answer = chat.say(owner["postcode"])
    assert invoice["id"] in answer and "expires on" in answer
    assert link(answer)
    assert ("update_payment_method", "done") in outcomes(stack, chat.sender)


def test_a_doubled_message_gets_the_same_link(stack: Stack) -> None:
    chat = vouched(stack, "C-1001")
    first = chat.say("please send me a link to update my card")
    again = chat.say("please send me a link to update my card")
    assert "INV-900001" in first  # C-1001's unpaid invoice, chosen without a number
    assert link(first) == link(again)
    assert [r for g, r in outcomes(stack, chat.sender) if g == "update_payment_method"] == [
        "done",
        "done",
    ]


def test_a_paid_invoice_has_nothing_to_fix(stack: Stack) -> None:
    chat = vouched(stack, "C-1001")
    answer = chat.say("i want to change the card for invoice INV-900002")
    assert "INV-900002 is already paid" in answer and "https://" not in answer
    assert ("update_payment_method", "declined") in outcomes(stack, chat.sender)


def test_a_card_number_is_masked_before_it_is_stored_and_the_customer_warned(
    chat: Conversation, stack: Stack
) -> None:
    answer = chat.say(f"my new card is {CARD}, exp 04/29, please take the payment")
    assert WARNING in answer
    tracker = stack.tracker(chat.sender)
    [said] = [e for e in tracker["events"] if e["event"] == "user"]
    assert (
        said["text"] == "my new card is [card number removed], exp 04/29, please take the payment"
    )
    assert said["parse_data"]["intent"]["name"] == "give_card_number"
    assert said["metadata"]["card_number_removed"] is True
    # A group standing alone, not inside the event's random hex ids (model, message).
    for group in [*CARD.split(), CARD.replace(" ", "")]:
        assert not re.search(rf"(?<![0-9a-f]){group}(?![0-9a-f])", str(said)), group
    # The tracker store's database (and its write-ahead log) never had it.
    database = Path(stack.config.tracker_store_url.removeprefix("sqlite:///"))
    stored = b"".join(p.read_bytes() for p in database.parent.glob(f"{database.name}*"))
    assert b"removed]" in stored
    for digits in (CARD, CARD.replace(" ", ""), CARD.replace(" ", "-")):
        assert digits.encode() not in stored, digits


def test_a_journey_left_half_way_does_not_turn_a_later_question_into_a_link(
    chat: Conversation, stack: Stack
) -> None:
    chat.say("i'd like to update my payment method")
    stopped = chat.say("no, forget it")
    assert "https://" not in stopped
    assert FACTOR_QUESTION in chat.say("is invoice INV-900001 paid?")
    answer = chat.say(customer("C-1001")["postcode"])
    assert "INV-900001" in answer and "overdue" in answer
    assert "https://" not in answer
    assert [g for g, _ in outcomes(stack, chat.sender)] == ["verify_identity", "check_invoice"]
