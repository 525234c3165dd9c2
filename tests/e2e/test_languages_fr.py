"""A French customer, end to end: verified and answered in French over REST and over
WhatsApp, a policy question answered in French, a request for a person handed over with
the packet's language French, and a conversation that moves between French and English.
One stack (the channels' shared one, tests/support/channels.py) serves REST and WhatsApp."""

from actions.render import day
from tests.channels.twilio_fake import TwilioApi
from tests.support.channels import (  # noqa: F401 (fixtures)
    WhatsAppChat,
    channel_stack,
    mailbox,
    twilio_api,
)
from tests.support.crm import customer, first_with
from tests.support.languages import language, order_answered_in
from tests.support.stack import Conversation, Stack


def test_a_french_customer_is_verified_and_answered_in_french(channel_stack: Stack) -> None:
    order = first_with("orders", id="BW-100045")
    owner = customer(order["customer_id"])
    assert owner["language"] != "fr"  # French because the messages are, not the record
    assert order["status"] == "delivered" and order["delivered_at"] == "2026-11-05"
    chat = Conversation(channel_stack)
    answer = order_answered_in(
        channel_stack,
        chat,
        "BW-100045",
        "Bonjour, où en est ma commande BW-100045 ?",
        asked="pouvez-vous m'indiquer le code postal",
        said="Votre commande BW-100045",
    )
    # The date formatted by Babel for French ("5 November 2026" in English).
    assert "a été livrée le 5 novembre 2026" in answer
    assert language(channel_stack, chat) == "fr"


def test_a_policy_question_is_answered_in_french(channel_stack: Stack) -> None:
    chat = Conversation(channel_stack)
    answer = chat.say("Bonjour, vous acceptez les retours jusqu'à combien de jours après l'achat ?")
    assert "Vous pouvez retourner un article dans les 30 jours" in answer
    assert "You can return" not in answer
    assert language(channel_stack, chat) == "fr"


def test_a_request_for_a_person_in_french_is_handed_over_in_french(
    channel_stack: Stack,
) -> None:
    chat = Conversation(channel_stack)
    notice = chat.say("Je voudrais parler à un conseiller, s'il vous plaît")
    assert "Je vous mets en relation avec quelqu'un de notre équipe" in notice
    listed = channel_stack.agent().get("/api/handoffs").json()
    [handoff] = [h for h in listed if h["conversation_id"] == chat.sender]
    assert handoff["packet"]["language"] == "fr"
    assert handoff["plain"]["language"] == "French"


def test_a_conversation_moves_from_french_to_english_and_back(channel_stack: Stack) -> None:
    chat = Conversation(channel_stack)
    french = chat.say("Quels moyens de paiement acceptez-vous ?")
    assert "Nous acceptons" in french
    assert language(channel_stack, chat) == "fr"
    chat.say("can we speak English?")
    assert language(channel_stack, chat) == "en"
    english = chat.say("which payment methods do you take?")
    assert "We accept" in english and "Nous acceptons" not in english
    back = chat.say(
        "Finalement, pouvez-vous me répondre en français ? Quels sont vos délais de livraison ?"
    )
    assert language(channel_stack, chat) == "fr"
    assert "La livraison standard prend" in back


def test_a_french_customer_is_verified_and_answered_in_french_on_whatsapp(
    channel_stack: Stack, twilio_api: TwilioApi
) -> None:
    order = first_with("orders", id="BW-100067")
    owner = customer(order["customer_id"])
    assert order["status"] == "delayed" and owner["language"] == "fr"
    chat = WhatsAppChat(channel_stack, twilio_api, owner["whatsapp"])
    asked = " ".join(chat.say("Bonjour, ma commande n'est toujours pas arrivée, elle est où ?"))
    assert "code postal" in asked and "postcode" not in asked
    answer = " ".join(chat.say(owner["postcode"]))
    assert f"Votre commande {order['id']}" in answer and "est retardée" in answer
    # The backend's reason in French (locales/fr.yml's values), not its English words.
    assert order["delay_reason"] == "item back-ordered at the warehouse"
    assert "(motif : article en réapprovisionnement à l'entrepôt)" in answer
    assert "back-ordered" not in answer
    assert day(order["eta"], "fr") in answer
