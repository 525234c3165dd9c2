"""Finding customers by how they contact Brightwave."""

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.models import Customer
from common.errors import RequestRejected, Unprocessable

_PREFIX = re.compile(r"^\s*whatsapp:", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s\-.()]")
_E164 = re.compile(r"\+[1-9]\d{5,14}")


def normalise_phone(raw: str) -> str | None:
    """The E.164 form of a phone or WhatsApp number as people and channels write it,
    or None if it is not one. A ``whatsapp:`` prefix, spaces, dashes, dots and
    brackets are dropped; a leading 00, or no + at all (a + sent unencoded in a
    URL arrives as a space), becomes +."""
    number = _SEPARATORS.sub("", _PREFIX.sub("", raw))
    if number.startswith("00"):
        number = "+" + number[2:]
    elif number.isdigit():
        number = "+" + number
    return number if _E164.fullmatch(number) else None


def find_customers(
    session: Session,
    phone: str | None = None,
    email: str | None = None,
    whatsapp: str | None = None,
) -> list[Customer]:
    """Customers matching every criterion given (numbers normalised, e-mail
    ignoring case); at least one criterion is needed."""
    conditions = []
    for field, column, value in (
        ("phone", Customer.phone, phone),
        ("whatsapp", Customer.whatsapp, whatsapp),
    ):
        if value:
            number = normalise_phone(value)
            if number is None:
                raise Unprocessable(
                    f"{field}: not a phone number in international format, e.g. +447700900123"
                )
            conditions.append(column == number)
    if email:
        address = email.strip().lower()
        if "@" not in address or "\x00" in address:
            raise Unprocessable("email: not an e-mail address")
        conditions.append(func.lower(Customer.email) == address)
    if not conditions:
        raise RequestRejected("give phone, email or whatsapp to look a customer up")
    return list(session.scalars(select(Customer).where(*conditions).order_by(Customer.id)))
