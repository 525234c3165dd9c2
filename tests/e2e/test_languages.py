"""The conversation's language over the REST channel: what the customer's messages
tell, kept through messages that tell none, changed when they ask, the customer's
recorded one once they are known, and shown to the agent who takes over."""

from tests.support.crm import customer, first_with, german_delayed_order, of_customer
from tests.support.languages import language, order_answered_in
from tests.support.stack import Conversation, Stack, vouched


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
    assert order["status"] == "delivered" and order["delivered_at"] == "2026-11-05"
    answer = order_answered_in(
        stack,
        chat,
        "BW-100045",
        "Wo ist meine Bestellung BW-100045?",
        asked="Nennen Sie mir bitte die Postleitzahl",
        said="Ihre Bestellung BW-100045",
    )
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


def test_a_german_order_and_claim_answer_say_the_backends_values_in_german(
    stack: Stack, chat: Conversation
) -> None:
    _, owner = german_delayed_order()
    chat.say("Wo ist meine Bestellung BW-100055?")
    answer = chat.say(owner["postcode"])
    assert "Ihre Bestellung BW-100055" in answer
    # locales/de.yml's values: the backend's English reason in German.
    assert "verzögert sich wegen einer Zollkontrolle" in answer
    assert "customs" not in answer

    claim = first_with("claims", id="CLM-70009")
    assert (claim["status"], claim["type"]) == ("paid", "screen_damage")
    answer = vouched(stack, claim["customer_id"]).say(
        "Wie ist der Stand meiner Schadensmeldung CLM-70009?"
    )
    assert "Ihre Schadensmeldung CLM-70009 (Displayschaden) ist ausgezahlt" in answer
    assert "Die Auszahlung wurde auf Ihr hinterlegtes Konto überwiesen." in answer


def cancelling_in_german(stack: Stack, customer_id: str) -> Conversation:
    """A German customer with one active policy, asked why they cancel."""
    assert customer(customer_id)["language"] == "de"
    [policy] = [p for p in of_customer("device_policies", customer_id) if p["status"] == "active"]
    chat = vouched(stack, customer_id)
    asked = chat.say(f"Ich möchte den Geräteschutz für mein {policy['device']} kündigen")
    assert "Darf ich fragen, warum?" in asked
    return chat


def test_a_german_customer_types_why_they_cancel(stack: Stack) -> None:
    # Too expensive, a customer since 2021 on the basic plan: lifecycle.yml offers a month free.
    offered = cancelling_in_german(stack, "C-1031").say("zu teuer")
    assert "den nächsten Monat geschenkt" in offered
    assert "Tarif Basis" in offered

    # No longer needed: no offer, the cancellation restated.
    restated = cancelling_in_german(stack, "C-1029").say("ich brauche es nicht mehr")
    assert "Soll ich kündigen?" in restated
    assert "Tarifs Plus" in restated or "Tarif Plus" in restated
