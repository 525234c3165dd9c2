"""Starting a return over REST against the running stack: verified by the order
named, the reason, a confirmation restating exactly what will be returned, and the
return authorisation from the sample backend with its id, refund and send-back day.
A doubled yes authorises once; a no starts nothing; an order that cannot be returned
is explained; the backend failing at the yes starts nothing, so a later try works.
(Outside the window needs a backend whose today is later: tests/unit/actions.)"""

from tests.support.crm import customer
from tests.support.stack import Conversation, Stack, vouched

FACTOR_QUESTION = "postcode, the e-mail address or the date of birth"
CONFIRMATION = "Shall I start this return?"
APOLOGY = "can't reach our systems"


def outcomes(stack: Stack, sender: str) -> list[tuple[str, str]]:
    slots = stack.tracker(sender)["slots"]
    return [(o["goal"], o["result"]) for o in slots.get("outcomes") or []]


def test_a_customer_verifies_confirms_and_the_return_is_authorised_once(
    chat: Conversation, stack: Stack
) -> None:
    owner = customer("C-1008")
    assert FACTOR_QUESTION in chat.say("I'd like to return order BW-100019")
    assert "Why are you returning it?" in chat.say(owner["postcode"])
    confirmation = chat.say("it keeps switching itself off")
    assert CONFIRMATION in confirmation
    assert (
        "a return of order BW-100019 (Orbit 12 Lite smartphone, delivered 1 November 2026), "
        "because it's faulty" in confirmation
    )
    authorised = chat.say("yes")
    assert "for order BW-100019 is authorised" in authorised
    assert "back by 1 December 2026" in authorised  # delivered 1 November, 30-day window
    assert "€449.00" in authorised
    again = chat.say("yes")
    assert "authorised" not in again
    assert [r for g, r in outcomes(stack, chat.sender) if g == "start_return"] == ["done"]


def test_several_orders_are_listed_and_a_no_starts_nothing(stack: Stack) -> None:
    chat = vouched(stack, "C-1011")
    listed = chat.say("please start a return for me")
    assert "Which order would you like to return" in listed
    for order in ("BW-100025", "BW-100026", "BW-100027"):
        assert order in listed
    assert "Why are you returning it?" in chat.say("BW-100025")
    assert "because you changed your mind" in chat.say("I changed my mind")
    assert "haven't started a return" in chat.say("no")
    assert ("start_return", "declined") in outcomes(stack, chat.sender)


def test_an_order_that_cannot_be_returned_is_explained(stack: Stack) -> None:
    chat = vouched(stack, "C-1016")
    answer = chat.say("I want to return order BW-100036")
    assert "order BW-100036 (Pulse 2 smartwatch) can't be returned" in answer
    assert ("start_return", "refused") in outcomes(stack, chat.sender)


def test_the_backend_failing_at_the_yes_starts_nothing_and_a_later_try_works(
    stack: Stack,
) -> None:
    chat = vouched(stack, "C-1043")  # one order, BW-100070
    assert "Why are you returning it?" in chat.say("I want to return my order")
    assert CONFIRMATION in chat.say("it's the wrong item")
    stack.stop_backend()
    try:
        answer = chat.say("yes")
    finally:
        stack.start_backend()
    assert APOLOGY in answer and "authorised" not in answer
    assert ("start_return", "unavailable") in outcomes(stack, chat.sender)
    # Nothing was half-done: the return can be started, not "already authorised".
    later = vouched(stack, "C-1043")
    assert "Why are you returning it?" in later.say("I want to return my order")
    later.say("it's the wrong item")
    assert "for order BW-100070 is authorised" in later.say("yes")
