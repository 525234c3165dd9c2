"""Cancelling a device policy with retention over REST against the running stack:
verified, asked why, lifecycle.yml's offer made (a month free for a long-standing
customer, the basic plan for a plus plan that is too expensive), and, declined, the
cancellation restated with the notice period and carried out in the sample backend
with the end date confirmed in writing. An accepted offer is carried out in the
backend and confirmed in writing with what changed; a doubled yes cancels once; the backend failing at the yes cancels
nothing and the customer hears so."""

from typing import Any

import requests

from tests.support.crm import customer
from tests.support.stack import Conversation, Stack, vouched

FACTOR_QUESTION = "postcode, the e-mail address or the date of birth"
WHY = "May I ask why?"
CONFIRMATION = "Shall I cancel it?"
APOLOGY = "can't reach our systems"


def policy_of(stack: Stack, customer_id: str) -> dict[str, Any]:
    reply = requests.get(
        f"{stack.config.backend_url}/customers/{customer_id}/device_policies", timeout=10
    )
    reply.raise_for_status()
    [policy] = reply.json()["items"]
    return dict(policy)


def outcomes(stack: Stack, sender: str) -> list[tuple[str, str]]:
    slots = stack.tracker(sender)["slots"]
    return [(o["goal"], o["result"]) for o in slots.get("outcomes") or []]


def test_a_customer_declines_the_offer_and_the_cancellation_is_confirmed_with_its_end(
    chat: Conversation, stack: Stack
) -> None:
    owner = customer("C-1001")  # basic plan on a Pulse 2 smartwatch, a customer since 2024
    assert "order number" in chat.say("I want to cancel my protection plan")
    assert FACTOR_QUESTION in chat.say("BW-100003")
    assert WHY in chat.say(owner["postcode"])
    offer = chat.say("it's too expensive")
    assert "have the next month free" in offer and "policy POL-50001" in offer
    restated = chat.say("no")
    assert CONFIRMATION in restated and "notice period of 30 days" in restated
    assert policy_of(stack, "C-1001")["status"] == "active"  # nothing before the yes
    done = chat.say("yes")
    assert "policy POL-50001 on your Pulse 2 smartwatch is cancelled" in done
    assert "your cover ends on 24 December 2026" in done
    assert policy_of(stack, "C-1001")["status"] == "cancelled"
    assert ("cancel_policy", "done") in outcomes(stack, chat.sender)


def test_an_accepted_switch_to_basic_is_carried_out_and_confirmed_in_writing(
    stack: Stack,
) -> None:
    chat = vouched(stack, "C-1006")  # plus plan on an Orbit 12 smartphone, since 2026-09
    assert WHY in chat.say("cancel my phone insurance please")
    assert "switch your Orbit 12 smartphone" in chat.say("it costs too much")
    answer = chat.say("yes")
    assert "moved from the plus plan to the basic plan on 24 November 2026" in answer
    assert "screen damage and malfunction with an excess of €49.00" in answer
    assert "your premium is €7.19 a month" in answer and "written confirmation" in answer
    kept = policy_of(stack, "C-1006")
    assert (kept["status"], kept["plan"], kept["premium_monthly"]) == ("active", "basic", 7.19)
    tracker = stack.tracker(chat.sender)
    assert tracker["paused"] is False
    assert ("cancel_policy", "done") in outcomes(stack, chat.sender)


def test_a_doubled_yes_cancels_once(stack: Stack) -> None:
    chat = vouched(stack, "C-1005")  # plus plan on a Pulse 2 smartwatch
    assert WHY in chat.say("please end the insurance on my smartwatch")
    assert CONFIRMATION in chat.say("I sold the watch")  # no offer for it
    first = chat.say("yes")
    again = chat.say("yes")
    assert "is cancelled" in first and "is cancelled" not in again
    assert policy_of(stack, "C-1005")["status"] == "cancelled"
    assert [r for g, r in outcomes(stack, chat.sender) if g == "cancel_policy"] == ["done"]


def test_the_backend_failing_at_the_yes_cancels_nothing_and_the_customer_hears_so(
    stack: Stack,
) -> None:
    chat = vouched(stack, "C-1040")  # plus plan on an AirX 14 laptop
    assert WHY in chat.say("I want to cancel my device policy")
    assert CONFIRMATION in chat.say("I no longer have the laptop")
    stack.stop_backend()
    try:
        answer = chat.say("yes")
    finally:
        stack.start_backend()
    assert APOLOGY in answer and "is cancelled" not in answer
    assert policy_of(stack, "C-1040")["status"] == "active"
    assert ("cancel_policy", "unavailable") in outcomes(stack, chat.sender)
