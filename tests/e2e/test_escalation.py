"""Every escalation trigger over the REST channel, against the whole stack: exactly
one hand-over at the agent desk, a packet that matches the schema and tells the
story of that conversation, the customer told why and what happens next, and the
assistant silent afterwards. Calm, clear requests hand nothing over."""

import re
import time
from typing import Any

import pytest
import requests

from actions.packet.schema import validate_packet
from stack.launch import start_desk
from tests.support.stack import Conversation, Stack, vouched

MISSES = ["order, claim, invoice, whatever", "the usual please"]  # NLU unsure of both


def note_on_file(stack: Stack, customer_id: str, sender: str, wait: float = 10.0) -> bool:
    """Whether the hand-over's note reaches the customer's file: the action server's
    outbox delivers it just after the answer."""
    deadline = time.monotonic() + wait
    while True:
        items = requests.get(
            f"{stack.config.backend_url}/customers/{customer_id}/interactions", timeout=10
        ).json()["items"]
        if any(i["conversation_id"] == sender and i["type"] == "handoff" for i in items):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def handoffs(stack: Stack, chat: Conversation) -> list[dict[str, Any]]:
    response = stack.agent().get("/api/handoffs")
    assert response.status_code == 200, response.text
    return [h for h in response.json() if h["conversation_id"] == chat.sender]


def the_handoff(stack: Stack, chat: Conversation, reason_code: str) -> dict[str, Any]:
    """The conversation's one hand-over, checked against the schema and the tracker."""
    found = handoffs(stack, chat)
    assert len(found) == 1, found
    packet = found[0]["packet"]
    validate_packet(packet)
    assert packet["conversation_id"] == chat.sender
    assert packet["channel"] == "rest"
    assert packet["escalation"]["reason_code"] == reason_code
    tracker = stack.tracker(chat.sender)
    said = [e["text"] for e in tracker["events"] if e["event"] == "user"]
    assert [m["text"] for m in packet["transcript"] if m["from"] == "customer"] == said
    assert tracker["paused"] is True
    handed_over = tracker["slots"]["outcomes"][-1]
    assert (handed_over["action"], handed_over["goal"], handed_over["result"]) == (
        "action_escalate",
        "hand_over",
        "handed_over",
    )
    assert handed_over["record"] == found[0]["id"]
    assert handed_over["detail"]["reason_code"] == reason_code
    return packet


def told_why_and_what_next(reply: str, packet: dict[str, Any]) -> None:
    notice = packet["customer_notice"]
    assert notice["text"] in reply
    assert "won't need to repeat anything" in reply
    assert re.search(r"Your reference is H-[0-9A-F]{6}\.", reply)
    if notice["human_available_at"] is not None:
        assert "a person will reply on" in reply
    elif notice["expected_wait_minutes"] is not None:
        assert f"about {notice['expected_wait_minutes']} minutes" in reply
    else:  # the support hours could not be read: no promise made
        assert "as soon as they can" in reply


def silent_now(stack: Stack, chat: Conversation) -> None:
    """While a person holds the conversation the assistant only acknowledges, once per
    quiet period (stack/handoff_ack.py), and the customer's messages are kept for the agent."""
    assert "Your message is with our team" in chat.say("hello? are you still there")
    assert chat.send("hello?") == []
    said = [e["text"] for e in stack.tracker(chat.sender)["events"] if e["event"] == "user"]
    assert said[-2:] == ["hello? are you still there", "hello?"]


def test_an_explicit_request_hands_over_at_once(stack: Stack) -> None:
    chat = vouched(stack, "C-1001")
    assert "carrier capacity shortage" in chat.say("where is my order BW-100002")
    reply = chat.say("I want to speak to a human")
    packet = the_handoff(stack, chat, "human_requested")
    told_why_and_what_next(reply, packet)
    assert packet["escalation"]["rule"] in ("human_request.intents", "human_request.wording")
    assert packet["customer"] == {
        "verified": True,
        "customer_id": "C-1001",
        "name": "Noah O'Brien",
        "tier": packet["customer"]["tier"],
    }
    assert packet["stated_issue"]["customer_words"] == "where is my order BW-100002"
    assert packet["stated_issue"]["intent"] == "check_order_status"
    assert [o["id"] for o in packet["account_snapshot"]["orders"]] == ["BW-100002"]
    assert any(
        a["action"] == "action_answer_request" and a["result"] == "ok"
        for a in packet["actions_taken"]
    )
    assert note_on_file(stack, "C-1001", chat.sender)
    silent_now(stack, chat)
    assert len(handoffs(stack, chat)) == 1


def test_an_angry_message_hands_over(chat: Conversation, stack: Stack) -> None:
    chat.say("where is my order BW-100002")
    reply = chat.say(
        "Where is my order?! This is the THIRD time I'm asking, absolutely UNACCEPTABLE!!!"
    )
    packet = the_handoff(stack, chat, "negative_emotion")
    told_why_and_what_next(reply, packet)
    assert "frustrating" in reply
    assert packet["sentiment"]["current"] <= -0.6
    assert packet["customer"]["verified"] is False
    assert packet["account_snapshot"]["orders"] == []  # nothing of an unproven customer


def test_a_first_miss_clarifies_and_a_second_hands_over(chat: Conversation, stack: Stack) -> None:
    first = chat.send(MISSES[0])
    assert "not sure I understood" in first[0]["text"]
    assert handoffs(stack, chat) == []
    reply = chat.say(MISSES[1])
    packet = the_handoff(stack, chat, "low_confidence")
    told_why_and_what_next(reply, packet)
    assert packet["escalation"]["values"]["consecutive_misses"] == 2


def test_a_tap_on_a_clarifying_option_is_understood(chat: Conversation, stack: Stack) -> None:
    buttons = chat.send(MISSES[0])[0].get("buttons") or []
    payloads = [b["payload"] for b in buttons]
    assert payloads and all(p.startswith("/") for p in payloads)
    tapped = chat.say(payloads[0])  # a tap sends the offered button's payload
    assert tapped and "not sure I understood" not in tapped
    assert f"/{stack.tracker(chat.sender)['latest_message']['intent']['name']}" == payloads[0]
    assert chat.say(MISSES[1])  # not two misses in a row: a clarification again
    assert handoffs(stack, chat) == []


def test_the_turn_cap_on_chat_hands_over(chat: Conversation, stack: Stack) -> None:
    for _ in range(11):
        assert "virtual assistant" in chat.say("hello")
    reply = chat.say("hello")
    packet = the_handoff(stack, chat, "turn_limit")
    told_why_and_what_next(reply, packet)
    assert packet["escalation"]["values"] == {"user_turns": 12, "max_user_turns": 12}


@pytest.mark.parametrize(
    "topic,message",
    [
        ("bereavement", "My husband passed away last month and I need to sort out his account"),
        ("legal", "I want to make a formal complaint about how my claim was handled"),
        ("fraud", "There's a payment on my card for an order I didn't make"),
        ("vulnerability", "I'm 84 and not very good with computers, can someone help me"),
    ],
)
def test_a_topic_never_automated_hands_over_at_once(stack: Stack, topic: str, message: str) -> None:
    chat = vouched(stack, "C-1002")  # a logged-in customer: known from the first message
    reply = chat.say(message)
    packet = the_handoff(stack, chat, f"sensitive_topic:{topic}")
    told_why_and_what_next(reply, packet)
    assert packet["escalation"]["rule"] == f"topics.{topic}"
    assert packet["stated_issue"]["customer_words"] == message
    assert packet["customer"]["verified"] and packet["customer"]["customer_id"] == "C-1002"


def test_repeated_backend_failure_hands_over(stack: Stack) -> None:
    chat = vouched(stack, "C-1001")
    stack.stop_backend()
    try:
        assert "can't reach our systems" in chat.say("where is my order BW-100002")
        assert handoffs(stack, chat) == []
        reply = chat.say("and what's your return policy?")
    finally:
        stack.start_backend()
    packet = the_handoff(stack, chat, "system_trouble")
    told_why_and_what_next(reply, packet)
    assert "systems aren't working properly" in reply
    assert "Would you like" not in reply  # no offer of what is happening anyway
    assert packet["escalation"]["values"]["backend_failures"] == 2
    # The records could not be read at hand-over; once the backend answers again the
    # hand-over is completed with them (actions/late_enrichment.py): either may be seen.
    snapshot = packet["account_snapshot"]
    assert snapshot["note"] or [order["id"] for order in snapshot["orders"]] == ["BW-100002"]
    assert [a["result"] for a in packet["actions_taken"]].count("failed") >= 2


@pytest.mark.parametrize(
    "messages",
    [
        ["where is my order BW-100002", "98096"],
        ["what is your return policy", "and how long does delivery take?"],
        ["hi", "can I pay with PayPal?", "thanks, bye"],
        ["status of my claim CLM-70001 please"],
        ["I'd like to check invoice INV-900001", "I don't have the postcode to hand"],
        ["is the warranty on a laptop two years?", "great, thank you!"],
    ],
)
def test_calm_clear_requests_hand_nothing_over(stack: Stack, messages: list[str]) -> None:
    chat = Conversation(stack)
    for message in messages:
        assert chat.say(message)
    assert handoffs(stack, chat) == []
    tracker = stack.tracker(chat.sender)
    assert tracker["paused"] is False
    assert tracker["slots"]["escalation_decision"]["escalate"] is False


@pytest.mark.parametrize(
    "query,reason",
    [
        ({"since": "0"}, "'sender'"),
        ({"sender": "bad sender!", "since": "0"}, "'sender'"),
        ({"sender": "someone", "since": "yesterday"}, "'since'"),
        ({"sender": "someone", "since": "-5"}, "'since'"),
        ({"sender": "someone", "since": "nan"}, "'since'"),
    ],
)
def test_polling_for_messages_refuses_a_bad_query_with_a_reason(
    stack: Stack, query: dict[str, str], reason: str
) -> None:
    response = requests.get(stack.poll_url, params=query, timeout=10)
    assert response.status_code == 400 and reason in response.json()["error"]


def test_polling_returns_the_assistants_messages_after_a_moment(
    stack: Stack, chat: Conversation
) -> None:
    chat.say("hello")
    everything = chat.poll(since=0)
    assert everything["paused"] is False
    assert [m["agent"] for m in everything["messages"]] == [None]
    later = everything["messages"][-1]["timestamp"]
    assert chat.poll(since=later)["messages"] == []
    unknown = Conversation(stack, "nobody-here").poll(since=0)
    assert unknown == {"paused": False, "messages": []}


def test_a_desk_that_cannot_be_reached_loses_nothing(stack: Stack) -> None:
    chat = vouched(stack, "C-1001")
    assert stack.desk is not None
    stack.desk.stop()
    try:
        reply = chat.say("I want to speak to a human")
        assert "couldn't reach our team" in reply and "ask me again in a few minutes" in reply
        tracker = stack.tracker(chat.sender)
        assert tracker["paused"] is False  # the assistant still answers
        not_queued = tracker["slots"]["outcomes"][-1]
        assert (not_queued["action"], not_queued["result"], not_queued["record"]) == (
            "action_escalate",
            "unavailable",
            None,
        )
        assert not_queued["detail"]["note"] == "queued"  # the note waits in the outbox
        assert "carrier capacity shortage" in chat.say("where is my order BW-100002")
    finally:
        stack.desk = start_desk(stack.config)
    assert note_on_file(stack, "C-1001", chat.sender)
