"""Masking of personal data in text a person will read later (hand-over packets, logs).

Payment-card numbers keep their last four digits, e-mail addresses the first letter
and the domain, phone numbers their last two digits. What the contact centre needs
to read stays as it is: Brightwave record ids (BW-100002, CLM-70001, INV-900001,
C-1001, POL-50001, APT-3001), tracking numbers (TRK7828088552), postcodes, dates
and amounts. Every number candidate must stand alone: a digit run glued to letters
or a dash (an id) or to a decimal point or colon (an amount, a time) is never one.
"""

import re
from collections.abc import Callable

from actions.identity import DATE_PATTERNS, EMAIL

# What may not touch a candidate on its left or right: letters and digits (ids,
# tracking numbers), an e-mail, an earlier mask, and the punctuation of ids,
# amounts, dates and times.
_BEFORE = r"(?<![\w@*+.,:/-])"
_AFTER = r"(?![\w@*]|[.,:/-]?\d)"

# 13 to 19 digits, single spaces or dashes between them.
CARD = re.compile(rf"{_BEFORE}\d(?:[ -]?\d){{12,18}}{_AFTER}")
# Digits with single spaces, dots, dashes or slashes between them, an optional
# leading "+" and brackets around a group: "+44 (0)7700 900123", "(415) 555-0123".
PHONE = re.compile(rf"{_BEFORE}\+?\(?\d(?:\)?[ ./-]?\(?\d){{6,16}}{_AFTER}")
# National numbers without a trunk "0": US "415-555-0123", Spanish "612 345 678".
US_NUMBER = re.compile(r"\(?[2-9]\d{2}\)?[ .-]?\d{3}[ .-]\d{4}")
ES_NUMBER = re.compile(r"[6-9]\d{2}(?:[ .]\d{2,3}){2,3}")

INTERNATIONAL_DIGITS = range(8, 16)  # E.164: country code and number, at most 15
NATIONAL_DIGITS = range(9, 13)
CARD_MASK = "**** **** **** "


def luhn_valid(digits: str) -> bool:
    """The check digit of payment-card numbers, which tells them from other long numbers."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _digits(text: str) -> str:
    return "".join(char for char in text if char.isdigit())


def _mask_card(match: "re.Match[str]") -> str:
    digits = _digits(match.group(0))
    return CARD_MASK + digits[-4:] if luhn_valid(digits) else match.group(0)


def _mask_email(match: "re.Match[str]") -> str:
    local, domain = match.group(0).split("@", 1)
    return f"{local[0]}***@{domain}"


def is_phone_number(candidate: str) -> bool:
    """True for international numbers ("+44…", "0049…") and national ones that start
    with a trunk "0" or have the US or Spanish shape; dates are never phone numbers."""
    if any(pattern.search(candidate) for pattern in DATE_PATTERNS):
        return False
    count = len(_digits(candidate))
    if candidate.startswith(("+", "00")):
        return count in INTERNATIONAL_DIGITS
    if count not in NATIONAL_DIGITS:
        return False
    return (
        candidate.lstrip("(").startswith("0")
        or bool(US_NUMBER.fullmatch(candidate))
        or bool(ES_NUMBER.fullmatch(candidate))
    )


def _mask_phone(match: "re.Match[str]") -> str:
    number = match.group(0)
    if not is_phone_number(number):
        return number
    keep_from = [i for i, char in enumerate(number) if char.isdigit()][-2]
    return "".join(
        "*" if char.isdigit() and i < keep_from else char for i, char in enumerate(number)
    )


_CONTACT_MASKS: tuple[tuple["re.Pattern[str]", Callable[["re.Match[str]"], str]], ...] = (
    (EMAIL, _mask_email),
    (PHONE, _mask_phone),
)


def mask_contacts(text: str) -> str:
    """The text with e-mail addresses and phone numbers masked."""
    for pattern, mask in _CONTACT_MASKS:
        text = pattern.sub(mask, text)
    return text


def mask_pii(text: str) -> str:
    """The text with card numbers, e-mail addresses and phone numbers masked. Cards go
    first: a card number also has the shape of a long phone number."""
    return mask_contacts(CARD.sub(_mask_card, text))
