"""The words around the backend's values over REST, in the customer's language (issue
#18, "answering in it"): how an invoice is paid and how else it can be, the payment
methods, the protection plans described and quoted, a record named inside a sentence,
the support hours, and the clarifying question for two goals named in German, French or
Spanish, with its buttons titled in that language. No English word of the values'
wording is met inside the translated answer."""

import re

import pytest

from tests.support.crm import customer, first_with
from tests.support.languages import language
from tests.support.stack import Conversation, Stack, vouched

ENGLISH = ("card ending", " or ", " and ", "screen damage", "bank transfer", "Monday")


def without_english(answer: str) -> None:
    assert not [word for word in ENGLISH if word in answer], answer


def test_a_failed_invoice_names_the_card_and_the_other_methods_in_german(stack: Stack) -> None:
    invoice = first_with("invoices", id="INV-900085")
    assert invoice["status"] == "failed" and invoice["method"] == "card ending 5681"
    assert customer(invoice["customer_id"])["language"] == "de"
    chat = vouched(stack, invoice["customer_id"])
    answer = chat.say("Warum ist die Zahlung für meine Rechnung INV-900085 fehlgeschlagen?")
    assert "mit Ihrer Karte mit der Endung 5681" in answer, answer
    assert "Karte, PayPal, Überweisung oder Klarna" in answer, answer
    without_english(answer)
    assert language(stack, chat) == "de"


def test_a_due_invoice_names_the_card_in_spanish(stack: Stack) -> None:
    invoice = first_with("invoices", id="INV-900118")
    assert invoice["status"] == "due" and invoice["method"] == "card ending 7780"
    chat = vouched(stack, invoice["customer_id"])
    answer = chat.say("Hola, ¿cuándo vence mi factura INV-900118?")
    assert "se cargará a su tarjeta terminada en 7780" in answer, answer
    without_english(answer)


def test_the_payment_methods_are_named_in_french(chat: Conversation) -> None:
    answer = chat.say("Bonjour, quels moyens de paiement acceptez-vous ?")
    assert "carte bancaire, PayPal, virement bancaire et Klarna" in answer, answer
    without_english(answer)


def test_the_plans_are_described_in_german(stack: Stack, chat: Conversation) -> None:
    answer = chat.say("welche Schutzpakete gibt es bei euch?")
    assert language(stack, chat) == "de"
    assert "Displayschaden und Defekt" in answer, answer
    assert "49,00\xa0€" in answer and "0,9\xa0%" in answer, answer
    without_english(answer)


def test_a_plan_is_quoted_in_german(chat: Conversation) -> None:
    answer = chat.say("was würde der Basis-Schutz fürs Orbit 12 smartphone kosten")
    # The Basic plan only (named by its German name), with its working in German figures.
    assert "Basis" in answer and "0,9\xa0%" in answer and "799,00\xa0€" in answer, answer
    assert "7,19\xa0€" in answer, answer
    without_english(answer)


def test_a_product_price_is_in_german_figures(chat: Conversation) -> None:
    answer = chat.say("Was kostet eigentlich das Slate 10 Tablet bei Ihnen?")
    assert "529,00\xa0€" in answer and "€529.00" not in answer, answer


def test_a_record_not_on_the_account_is_named_in_german(stack: Stack) -> None:
    german = customer("C-1026")
    other = first_with("orders", id="BW-100001")
    assert other["customer_id"] != german["id"]
    chat = vouched(stack, german["id"])
    answer = chat.say(f"Wo ist meine Bestellung {other['id']}?")
    assert f"Ich finde die Bestellung {other['id']} nicht" in answer, answer


def test_the_support_hours_are_said_in_german(chat: Conversation) -> None:
    answer = chat.say("Wann ist Ihr Serviceteam telefonisch erreichbar?")
    assert re.search(r"Montag bis (Freitag|Samstag|Sonntag)|täglich", answer), answer
    without_english(answer)


@pytest.mark.parametrize(
    ("message", "spoken", "titles"),
    [
        (
            "Geht es um meine Bestellung oder meine Rechnung?",
            "de",
            ["Wo ist meine Bestellung?", "Eine Frage zu einer Rechnung"],
        ),
        (
            "C'est pour ma commande ou ma facture ?",
            "fr",
            ["Où en est ma commande ?", "Une question sur une facture"],
        ),
        (
            "¿Es sobre mi pedido o mi factura?",
            "es",
            ["¿Dónde está mi pedido?", "Una pregunta sobre una factura"],
        ),
    ],
)
def test_two_goals_named_in_a_language_get_the_clarifying_question_in_it(
    stack: Stack, chat: Conversation, message: str, spoken: str, titles: list[str]
) -> None:
    replies = chat.send(message)
    buttons = [b for reply in replies for b in reply.get("buttons") or []]
    assert [b["payload"] for b in buttons] == ["/check_order_status", "/check_invoice"], replies
    assert [b["title"] for b in buttons] == titles
    assert language(stack, chat) == spoken
