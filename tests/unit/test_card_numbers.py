"""Card numbers never enter the conversation (connectors/inbound.py): every format a
customer may type one in is masked by clean_text, and what only looks like one
(order ids, phone numbers, dates, postcodes, account numbers) is left alone."""

import json
import re

import pytest

from common.minimise import luhn_valid, mask_card_numbers
from connectors.inbound import CARD_MASK, CARD_NUMBER_REMOVED, card_flag, clean_text
from connectors.mail_message import parse_inbound

# Test numbers of the card schemes (all Luhn-valid), as customers type them.
CARDS = [
    "4111111111111111",  # Visa, 16 digits
    "4111 1111 1111 1111",
    "4111-1111-1111-1111",
    "4222222222222",  # Visa, 13 digits
    "5555555555554444",  # Mastercard
    "5555 5555 5555 4444",
    "2223 0031 2200 3222",  # Mastercard 2-series
    "378282246310005",  # American Express, 15 digits
    "3782 822463 10005",  # as printed on an Amex card
    "6011 0009 9013 9424",  # Discover
    "30569309025904",  # Diners, 14 digits
    "3530 1113 3330 0000",  # JCB
    "6759649826438453",  # Maestro
    "4000 0566 5566 5556",
    "6304 0000 0000 0000 018",  # 19 digits
]

# In the sentences customers write around them.
SENTENCES = [
    "my card is {card}",
    "{card}",
    "please use {card} exp 12/27 cvc 123",
    "card number: {card}.",
    "new card ({card}), old one expired",
    "Hi, charge {card}, thanks!",
    "card no.{card}",
]

# What must survive: each kept exactly as typed.
LOOK_ALIKES = [
    "my order BW-100002 has not arrived",
    "invoice INV-900001 and claim CLM-70001",
    "customer number C-1001",
    "call me on +44 20 7946 0958",
    "my number is 0151 496 0123",
    "+49 30 901820 is our office",
    "it was delivered on 2026-11-24",
    "born 04/07/1989",
    "postcode SW1A 1AA",
    "my postcode is 10115",
    "IBAN DE89 3704 0044 0532 0130 00",
    "GB29 NWBK 6016 1331 9268 19 is my account",
    "NL91ABNA0417164300",
    "sort code 20-00-00, account 55779911",
    "tracking number 1Z999AA10123456784",
    "IMEI 490154203237518",  # 15 Luhn-valid digits, but not an American Express number
    "my imei is 35-209900-176148-1",
    "serial SN-4111111111111111X",
    "1234567812345678",  # 16 digits, not Luhn-valid: not a card
    "4111 1111 1111 1112",  # a card with a digit wrong: not a card either
    "100 200 300 400 500",  # amounts in a list: too few digits per sense, not Luhn
    "12345",
    "I paid 1,234.56 EUR on 2026-11-20",
]


@pytest.mark.parametrize("card", CARDS)
def test_the_test_cards_pass_the_luhn_check(card: str) -> None:
    assert luhn_valid(re.sub(r"\D", "", card))


@pytest.mark.parametrize("sentence", SENTENCES)
@pytest.mark.parametrize("card", CARDS)
def test_a_card_number_is_masked_wherever_it_is_typed(card: str, sentence: str) -> None:
    cleaned = clean_text(sentence.format(card=card), 1000)
    assert cleaned == sentence.format(card=CARD_MASK)
    assert card_flag(cleaned) == {CARD_NUMBER_REMOVED: True}


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_what_only_looks_like_a_card_number_survives(text: str) -> None:
    assert clean_text(text, 1000) == text
    assert card_flag(text) == {}


def test_every_card_in_a_message_is_masked_and_no_digit_of_them_is_left() -> None:
    text = "old 4111 1111 1111 1111, new 5555-5555-5555-4444 for order BW-100002"
    masked = mask_card_numbers(text)
    assert masked == f"old {CARD_MASK}, new {CARD_MASK} for order BW-100002"
    assert re.sub(r"BW-\d+", "", masked).isascii()
    assert not re.search(r"\d", re.sub(r"BW-\d+", "", masked))


def test_a_card_followed_by_its_security_code_loses_the_card() -> None:
    masked = mask_card_numbers("4111 1111 1111 1111 123")
    assert "4111" not in masked and "1111" not in masked and CARD_MASK in masked


def test_an_emails_subject_and_text_lose_the_card_number_as_the_mail_is_taken() -> None:
    mail = parse_inbound(
        json.dumps(
            {
                "from": "Noah <noah@example.com>",
                "subject": "New card 4111 1111 1111 1111",
                "message_id": "<c@mail.example>",
                "text": "Please charge 4111-1111-1111-1111 for INV-900001.",
            }
        ).encode(),
        20000,
    )
    assert mail.subject == f"New card {CARD_MASK}"
    assert mail.text == f"Please charge {CARD_MASK} for INV-900001."
