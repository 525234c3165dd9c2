"""Masking personal data, and leaving alone what the contact centre must read."""

import pytest

from actions.redaction import is_phone_number, luhn_valid, mask_pii


@pytest.mark.parametrize(
    "text,expected",
    [
        ("card 4111 1111 1111 1111 thanks", "card **** **** **** 1111 thanks"),
        ("4111-1111-1111-1111", "**** **** **** 1111"),
        ("my card is 5500000000000004.", "my card is **** **** **** 0004."),
        ("amex 3782 822463 10005", "amex **** **** **** 0005"),
        ("13 digits: 4222222222222", "13 digits: **** **** **** 2222"),
        ("19 digits: 6011 0009 9013 9424 009", "19 digits: **** **** **** 4009"),
    ],
)
def test_card_numbers_keep_their_last_four_digits(text, expected):
    assert mask_pii(text) == expected


def test_a_long_number_failing_the_luhn_check_is_no_card():
    assert mask_pii("ref 4111 1111 1111 1112") == "ref 4111 1111 1111 1112"


@pytest.mark.parametrize(
    "digits,valid",
    [
        ("4111111111111111", True),
        ("79927398713", True),
        ("4111111111111112", False),
        ("378282246310005", True),
        ("0", True),
        ("1", False),
    ],
)
def test_luhn(digits, valid):
    assert luhn_valid(digits) is valid


@pytest.mark.parametrize(
    "text,expected",
    [
        ("mail noah.obrien0@example.com please", "mail n***@example.com please"),
        ("Kate.Clarke1@Example.co.uk", "K***@Example.co.uk"),
        ("a+b@mail.example.de, c@x.io", "a***@mail.example.de, c***@x.io"),
    ],
)
def test_email_addresses_keep_the_first_letter_and_the_domain(text, expected):
    assert mask_pii(text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("+447700998515", "+**********15"),  # E.164
        ("+44 7700 998515", "+** **** ****15"),
        ("+44 (0)7700 900123", "+** (*)**** ****23"),
        ("07700 900123", "***** ****23"),  # UK mobile
        ("07700900123", "*********23"),
        ("020 7946 0958", "*** **** **58"),  # UK landline
        ("+49151277278", "+*********78"),
        ("+49 30 12345678", "+** ** ******78"),  # DE
        ("030 12345678", "*** ******78"),
        ("030/1234567", "***/*****67"),
        ("0049 30 1234567", "**** ** *****67"),
        ("+33 6 12 34 56 78", "+** * ** ** ** 78"),  # FR
        ("06 12 34 56 78", "** ** ** ** 78"),
        ("01.23.45.67.89", "**.**.**.**.89"),
        ("+34 612 345 678", "+** *** *** *78"),  # ES
        ("612 345 678", "*** *** *78"),
        ("612 34 56 78", "*** ** ** 78"),
        ("+1 415 555 0123", "+* *** *** **23"),  # US
        ("(415) 555-0123", "(***) ***-**23"),
        ("415-555-0123", "***-***-**23"),
    ],
)
def test_phone_numbers_keep_their_last_two_digits(text, expected):
    assert mask_pii(text) == expected


def test_masks_inside_a_sentence_leave_the_words_and_punctuation():
    text = (
        "Call me on 07700 900123. Card 4111 1111 1111 1111, mail noah.obrien0@example.com, "
        "or WhatsApp +447700998515!"
    )
    assert mask_pii(text) == (
        "Call me on ***** ****23. Card **** **** **** 1111, mail "
        "n***@example.com, or WhatsApp +**********15!"
    )


@pytest.mark.parametrize(
    "text",
    [
        "BW-100002",
        "bw 100002",
        "BW100002",
        "CLM-70001",
        "INV-900001",
        "C-1001",
        "POL-50001",
        "APT-3001",
        "BW-100002 CLM-70001 INV-900001 C-1001 POL-50001 APT-3001",
        "postcode 98096",
        "98096 33628",
        "order bw 100002, postcode 98096",
        "2026-11-25",
        "25/11/2026",
        "05.12.2000",
        "05-12-2000",
        "05.12.2000 10:30",
        "2026-11-25T10:30:00",
        "25 November 2026",
        "born 5th of December 2000",
        "€35.37",
        "€1,234.56",
        "£1 234",
        "35.37 EUR",
        "1234567.89",
        "TRK7828088552",
        "tracking number TRK4807876435",
        "7828088552",
        "card ending 8648",
        "Invoice INV-900001 for €35.37 is due on 29 November 2026.",
        "10:30-12:00",
        "2 x Orbit 12 smartphone",
    ],
)
def test_what_the_team_must_read_is_not_masked(text):
    assert mask_pii(text) == text


@pytest.mark.parametrize(
    "candidate,phone",
    [
        ("+447700998515", True),
        ("0049 30 1234567", True),
        ("07700 900123", True),
        ("415-555-0123", True),
        ("612 345 678", True),
        ("98096 33628", False),
        ("7828088552", False),
        ("05.12.2000 10", False),
        ("+44 77", False),
    ],
)
def test_is_phone_number(candidate, phone):
    assert is_phone_number(candidate) is phone


def test_masking_is_idempotent():
    text = "4111 1111 1111 1111 / noah@example.com / +44 7700 998515"
    assert mask_pii(mask_pii(text)) == mask_pii(text)
