"""A Spanish customer over the REST channel: verified and answered in Spanish, a policy
question answered in Spanish, handed to a person with the packet's language Spanish,
and a conversation that switches to English and back when the customer asks."""

from tests.support.crm import first_with
from tests.support.languages import language, order_answered_in
from tests.support.stack import Conversation, Stack


def test_a_spanish_customer_is_verified_and_answered_in_spanish(
    stack: Stack, chat: Conversation
) -> None:
    order = first_with("orders", id="BW-100070")
    assert order["status"] == "delivered" and order["delivered_at"] == "2026-11-11"
    answer = order_answered_in(
        stack,
        chat,
        "BW-100070",
        "Hola, ¿me dice dónde está mi pedido BW-100070?",
        asked="indíqueme, por favor, el código postal",
        said="Su pedido BW-100070",
    )
    # The date formatted by Babel for Spanish ("11 November 2026" in English).
    assert "se entregó el 11 de noviembre de 2026" in answer
    assert language(stack, chat) == "es"


def test_a_policy_question_in_spanish_is_answered_in_spanish(
    stack: Stack, chat: Conversation
) -> None:
    answer = chat.say("Buenas, ¿cuántos días suele tardar un envío normal?")
    assert "El envío estándar tarda 2-4 días laborables" in answer
    assert "business days" not in answer
    assert language(stack, chat) == "es"


def test_a_spanish_request_for_a_person_is_handed_over_in_spanish(
    stack: Stack, chat: Conversation
) -> None:
    answer = chat.say("Quiero hablar con una persona de su equipo, por favor")
    assert "Le paso con alguien de nuestro equipo" in answer
    listed = stack.agent().get("/api/handoffs").json()
    [handoff] = [h for h in listed if h["conversation_id"] == chat.sender]
    assert handoff["packet"]["language"] == "es"
    assert handoff["plain"]["language"] == "Spanish"


def test_a_spanish_conversation_switches_to_english_and_back_when_asked(
    stack: Stack, chat: Conversation
) -> None:
    assert "Aceptamos" in chat.say("Hola, ¿qué formas de pago aceptan ustedes?")
    assert language(stack, chat) == "es"
    chat.say("can we speak English?")
    assert language(stack, chat) == "en"
    answer = chat.say("ok, what is your returns policy?")
    assert "You can return" in answer
    chat.say("¿podemos hablar en español?")
    assert language(stack, chat) == "es"
    assert "el envío estándar es gratuito" in chat.say("¿y el envío sale gratis?")
