"""The conversation's language over the REST channel: what the customer's messages
tell, kept through messages that tell none, changed when they ask, the customer's
recorded one once they are known, and shown to the agent who takes over."""

from typing import Any

from tests.support.crm import customer, first_with, of_customer
from tests.support.stack import Conversation, Stack, vouched


def language(stack: Stack, chat: Conversation) -> Any:
    return stack.tracker(chat.sender)["slots"]["language"]


def test_the_conversation_follows_what_the_customers_messages_tell(
    stack: Stack, chat: Conversation
) -> None:
    chat.say("hello")
    assert language(stack, chat) == "en"
    chat.say("Wo ist meine Bestellung? Ich warte seit einer Woche.")
    assert language(stack, chat) == "de"
    chat.say("ok")
    chat.say("BW-100045")
    assert language(stack, chat) == "de"
    chat.say("can we speak English?")
    assert language(stack, chat) == "en"


def test_a_known_customer_is_in_their_recorded_language_and_the_agent_sees_it(
    stack: Stack, chat: Conversation
) -> None:
    german = customer("C-1026")
    assert german["language"] == "de"
    [order] = of_customer("orders", german["id"])
    chat.say(order["id"])
    assert language(stack, chat) is None  # nothing told yet: the default
    chat.say(german["postcode"])
    assert language(stack, chat) == "de"
    chat.say("human")
    listed = stack.agent().get("/api/handoffs").json()
    [handoff] = [h for h in listed if h["conversation_id"] == chat.sender]
    assert handoff["packet"]["language"] == "de"
    assert handoff["plain"]["language"] == "German"


def test_a_german_customer_is_verified_and_answered_in_german(
    stack: Stack, chat: Conversation
) -> None:
    order = first_with("orders", id="BW-100045")
    owner = customer(order["customer_id"])
    assert order["status"] == "delivered" and order["delivered_at"] == "2026-11-05"
    asked = chat.say("Wo ist meine Bestellung BW-100045?")
    assert "Nennen Sie mir bitte die Postleitzahl" in asked
    assert "postcode" not in asked
    answer = chat.say(owner["postcode"])
    assert "Ihre Bestellung BW-100045" in answer
    # The date formatted by Babel for German ("5 November 2026" in English).
    assert "wurde am 5. November 2026 zugestellt" in answer
    assert language(stack, chat) == "de"


def test_a_german_conversation_stays_german_after_tapping_an_english_worded_button(
    stack: Stack,
) -> None:
    """The cancellation reasons' buttons send English text ("I no longer have the
    device"): tapped in a German conversation, it tells no language."""
    chat = vouched(stack, "C-1030")  # German, one active policy (basic, Slate 10 tablet)
    asked = chat.send("Ich möchte die Versicherung für mein Tablet kündigen")
    assert "Darf ich fragen, warum?" in "\n".join(m.get("text", "") for m in asked)
    [tapped] = [
        button["payload"]
        for message in asked
        for button in message.get("buttons") or []
        if button["title"] == "Ich habe das Gerät nicht mehr"
    ]
    assert tapped == "I no longer have the device"
    restated = chat.say(tapped)
    assert "Soll ich kündigen?" in restated and "Shall I" not in restated
    assert language(stack, chat) == "de"
