"""Activating a pending device policy over REST against the running stack: verified,
a yes to the device the policy names, its IMEI, a yes to the terms restated (plan,
cover, excess, premium, start), and the policy active in the sample backend with its
start date. A doubled yes activates once; a no activates nothing; a customer with
nothing pending hears so; the backend failing at the yes activates nothing and the
customer hears so."""

from typing import Any

import requests

from tests.support.crm import customer
from tests.support.stack import Conversation, Stack, vouched

FACTOR_QUESTION = "postcode, the e-mail address or the date of birth"
DEVICE_QUESTION = "Is that the device you'd like to protect?"
SERIAL_QUESTION = "serial number or IMEI"
TERMS = "Do you accept these terms?"
APOLOGY = "can't reach our systems"
IMEI = "352099001761481"


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


def test_a_customer_verifies_confirms_the_device_accepts_the_terms_and_it_is_active(
    chat: Conversation, stack: Stack
) -> None:
    owner = customer("C-1011")  # POL-50008, basic plan on an Orbit 12 smartphone, pending
    assert "order number" in chat.say("I'd like to activate the protection plan for my phone")
    assert FACTOR_QUESTION in chat.say("BW-100026")
    device = chat.say(owner["postcode"])
    assert "policy POL-50008 was bought for your Orbit 12 smartphone" in device
    assert DEVICE_QUESTION in device
    assert SERIAL_QUESTION in chat.say("yes")
    terms = chat.say(f"the IMEI is {IMEI}")
    assert TERMS in terms
    for restated in (
        "the basic plan on your Orbit 12 smartphone (serial ending 1481, policy POL-50008)",
        "covers screen damage and malfunction",
        "excess of €49.00",
        "€7.19 a month",
        "Cover starts today",
    ):
        assert restated in terms, restated
    assert policy_of(stack, "C-1011")["status"] == "pending_activation"  # not before the yes
    done = chat.say("yes")
    assert "your policy POL-50008 is active" in done
    assert "covered for screen damage and malfunction from 24 November 2026" in done
    policy = policy_of(stack, "C-1011")
    assert policy["status"] == "active" and policy["start_date"] == "2026-11-24"
    assert ("activate_policy", "done") in outcomes(stack, chat.sender)


def test_a_doubled_yes_activates_once(stack: Stack) -> None:
    chat = vouched(stack, "C-1012")  # POL-50009, plus plan on an Orbit 12 Lite smartphone
    assert DEVICE_QUESTION in chat.say("please activate my device protection")
    chat.say("yes")
    assert TERMS in chat.say("490154203237518")
    first = chat.say("yes")
    again = chat.say("yes")
    assert "is active" in first and "is active" not in again
    assert policy_of(stack, "C-1012")["status"] == "active"
    assert [r for g, r in outcomes(stack, chat.sender) if g == "activate_policy"] == ["done"]


def test_a_no_to_the_terms_activates_nothing(stack: Stack) -> None:
    chat = vouched(stack, "C-1032")  # POL-50024, plus plan on an Orbit 12 Lite smartphone
    assert DEVICE_QUESTION in chat.say("I want to activate my protection plan")
    chat.say("yes")
    assert TERMS in chat.say("serial ABCD12345678")
    assert "haven't activated anything" in chat.say("no")
    assert policy_of(stack, "C-1032")["status"] == "pending_activation"
    assert ("activate_policy", "declined") in outcomes(stack, chat.sender)


def test_a_customer_whose_policy_is_active_hears_so(stack: Stack) -> None:
    chat = vouched(stack, "C-1024")  # POL-50017, active; no other e2e test changes it
    assert "already active" in chat.say("how do I activate my device protection")
    assert ("activate_policy", "not_found") in outcomes(stack, chat.sender)


def test_the_backend_failing_at_the_yes_activates_nothing_and_the_customer_hears_so(
    stack: Stack,
) -> None:
    chat = vouched(stack, "C-1018")  # POL-50013, plus plan on a Pulse 2 smartwatch
    assert DEVICE_QUESTION in chat.say("activate my policy please")
    chat.say("yes")
    assert TERMS in chat.say("SN PW2X88776655")
    stack.stop_backend()
    try:
        answer = chat.say("yes")
    finally:
        stack.start_backend()
    assert APOLOGY in answer and "is active" not in answer
    assert policy_of(stack, "C-1018")["status"] == "pending_activation"
    assert ("activate_policy", "unavailable") in outcomes(stack, chat.sender)
