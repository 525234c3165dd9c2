"""Identity checks: knowledge factors typed by the customer, and identities vouched
for by a trusted integration.

A customer proves who they are with one knowledge factor from their record:
postcode, e-mail address or date of birth. A trusted integration (say, the
logged-in area of Brightwave's website) can instead vouch for a customer by
sending, in the message metadata, the customer id and an HMAC-SHA256 of
"<sender>:<customer id>" keyed with SWITCHBOARD_INTEGRATION_SECRET. The
signature binds the identity to one conversation, so it cannot be replayed in
another, and no channel can forge it without the secret.
"""

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import pairwise
from typing import Any

from actions.records import strip_ids
from common.channel_metadata import CHANNEL_NUMBER

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_MONTH = r"[A-Za-z]{3,9}\.?"
_ORD = r"(?:st|nd|rd|th)?"
DATE_PATTERNS = [
    re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}\b"),
    re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{4}\b"),
    re.compile(rf"\b\d{{1,2}}{_ORD}\s+(?:of\s+)?{_MONTH},?\s+\d{{4}}\b", re.IGNORECASE),
    re.compile(rf"\b{_MONTH}\s+\d{{1,2}}{_ORD},?\s+\d{{4}}\b", re.IGNORECASE),
]
DATE_FORMATS = [
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%d %B %Y",
    "%d %b %Y",
    "%B %d %Y",
    "%b %d %Y",
]
TOKEN = re.compile(r"[A-Z0-9]+")
# The second half of a UK postcode ("1AA" in "SW1A 1AA"): a digit and two letters.
UK_INWARD_CODE = re.compile(r"\d[A-Z]{2}")
# More candidate answers than this in one message is guessing, not answering.
MAX_CANDIDATES = 2

# Words that say a message carries a knowledge factor along with its request.
FACTOR_CUES = re.compile(r"\b(?:post\s?code|zip|e-?mail|born|birth|dob|d\.o\.b)\b", re.IGNORECASE)

METADATA_CUSTOMER_ID = "verified_customer_id"
METADATA_SIGNATURE = "verification_signature"
# The number a message came from, as a connector that has checked Twilio's signature
# passes it (common.channel_metadata.CHANNEL_NUMBER), and the CRM field it is looked
# up in. The number is something the customer has, so its owner is the claimed
# identity; one knowledge factor must still confirm it. Read only on these channels:
# the REST channel passes client metadata through, and Rasa sets the input channel,
# not the client.
NUMBER_CHANNELS: dict[str, str] = {"twilio": "whatsapp", "twilio_voice": "phone"}


@dataclass
class FactorAnswer:
    """What a customer's message offers as knowledge factors."""

    emails: set[str] = field(default_factory=set)
    birthdates: set[date] = field(default_factory=set)
    postcodes: set[str] = field(default_factory=set)
    # How many values were typed: an ambiguous date or a two-token postcode is one.
    offered: int = 0


def parse_date(text: str) -> date | None:
    """A date written in one of the usual ways ('5 Dec 2000', '05/12/2000', …)."""
    cleaned = re.sub(rf"(\d){_ORD}\b", r"\1", text.strip(), flags=re.IGNORECASE)
    cleaned = re.sub(r"\bof\b|,|\.(?=\s)", " ", cleaned)
    # "Sept" is a usual abbreviation that strptime's %b ("Sep") does not know.
    cleaned = re.sub(r"\bsept\b", "Sep", cleaned, flags=re.IGNORECASE)
    cleaned = re.sub(r"\s+", " ", cleaned).strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    return None


def _birthdates(text: str) -> list[set[date]]:
    """For every date in the text, its readings: 03/04/1990 may be either order."""
    found = []
    for pattern in DATE_PATTERNS:
        for match in pattern.finditer(text):
            raw = match.group(0)
            readings = {d for d in (parse_date(raw), _us_reading(raw)) if d}
            if readings:
                found.append(readings)
    return found


def _us_reading(raw: str) -> date | None:
    try:
        return datetime.strptime(raw, "%m/%d/%Y").date()
    except ValueError:
        return None


def read_factors(text: str) -> FactorAnswer:
    """Pick the postcode, e-mail address and date-of-birth candidates out of a message."""
    answer = FactorAnswer(emails={e.lower() for e in EMAIL.findall(text)})
    rest = EMAIL.sub(" ", strip_ids(text))
    dates = _birthdates(rest)
    answer.birthdates = set().union(*dates)
    for pattern in DATE_PATTERNS:
        rest = pattern.sub(" ", rest)
    tokens = TOKEN.findall(rest.upper())
    single = {t for t in tokens if len(t) >= 3 and any(ch.isdigit() for ch in t)}
    # Postcodes such as "SW1A 1AA" are written as two tokens.
    pairs = {
        a + b
        for a, b in pairwise(tokens)
        if any(ch.isdigit() for ch in a) and any(ch.isdigit() for ch in b)
    }
    answer.postcodes = single | pairs
    answer.offered = len(answer.emails) + len(dates) + _postcode_values(tokens, single)
    return answer


def _postcode_values(tokens: list[str], single: set[str]) -> int:
    """How many distinct postcodes the tokens offer: "SW1A 1AA" is one value, not
    two, while "SW1A 1AA SW1A 1AB" is still two (so guesses cannot hide in pairs)."""
    values: set[str] = set()
    i = 0
    while i < len(tokens):
        token = tokens[i]
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        if (
            any(ch.isdigit() for ch in token)
            and following in single
            and UK_INWARD_CODE.fullmatch(following)
        ):
            values.add(token + following)
            i += 2
            continue
        if token in single:
            values.add(token)
        i += 1
    return len(values)


def volunteers_factor(text: str) -> bool:
    """True when a message offers a knowledge factor unasked, as in "where is
    BW-100002, postcode 98096"; a bare number or date alone could be anything."""
    return bool(EMAIL.search(text) or FACTOR_CUES.search(text))


def normalize_postcode(value: str) -> str:
    return re.sub(r"\s+", "", value).upper()


def matches(customer: dict[str, Any], answer: FactorAnswer) -> bool:
    """True when the answer contains one of the customer's knowledge factors."""
    email = str(customer.get("email") or "").lower()
    postcode = normalize_postcode(str(customer.get("postcode") or ""))
    birthdate = parse_date(str(customer.get("date_of_birth") or ""))
    return bool(
        (email and email in answer.emails)
        or (postcode and postcode in answer.postcodes)
        or (birthdate and birthdate in answer.birthdates)
    )


def sign(secret: str, sender_id: str, customer_id: str) -> str:
    """The signature a trusted integration sends along with a verified customer id."""
    message = f"{sender_id}:{customer_id}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def vouched_customer_id(
    sender_id: str, metadata: dict[str, Any] | None, secret: str | None
) -> str | None:
    """The customer id a trusted integration vouched for in this message, if the
    signature is right; None otherwise (and always None without a secret)."""
    if not secret or not isinstance(metadata, dict):
        return None
    customer_id = metadata.get(METADATA_CUSTOMER_ID)
    signature = metadata.get(METADATA_SIGNATURE)
    if not isinstance(customer_id, str) or not isinstance(signature, str):
        return None
    # compare_digest raises TypeError on non-ASCII str, and the metadata comes from
    # the channel: a stray character must be a wrong signature, not a crash.
    if not signature.isascii() or not hmac.compare_digest(
        sign(secret, sender_id, customer_id), signature
    ):
        return None
    return customer_id


def channel_number(
    input_channel: str | None, metadata: dict[str, Any] | None
) -> tuple[str, str] | None:
    """(CRM field, number) a number-checking channel says the message came from."""
    field = NUMBER_CHANNELS.get(input_channel or "")
    if field is None or not isinstance(metadata, dict):
        return None
    number = metadata.get(CHANNEL_NUMBER)
    return (field, number) if isinstance(number, str) and number.strip() else None
