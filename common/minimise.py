"""Personal data minimised before it is kept or logged (issue 17): the one set of rules
every store applies to what it writes.

- Card numbers are removed (CARD_MASK): the assistant never takes card details in a
  conversation. The channels already remove them from what a customer sends
  (connectors/inbound.py uses `mask_card_numbers` from here); every store removes
  them again from whatever else reaches it (metadata, a bot's words, an API client).
- Verification answers are never kept in clear. A user message is one when its turn
  filled `knowledge_factor` or `pending_factor` with what the customer typed, or when
  it names one ("my postcode is 98096", "born 5 Dec 2000"): its postcode-, date-
  and e-mail-shaped parts are withheld, record ids (BW-100045, CLM-70001) stay. The
  slots' typed values are not kept; that the check passed is (`knowledge_factor` is
  then "confirmed", `verified_customer_id` is set, the outcome record says "verified").
- E-mail addresses and phone numbers are masked (actions/redaction.py: the first
  letter and the domain, the last two digits): the channels keep where replies go
  (connectors/state.py) and the CRM keeps the customer's contact details. The one
  exception is a contact a prospect gives to be contacted on (CONTACT_SLOTS): the
  lead form needs it on the next turns, until the lead is stored in the CRM.

Rasa's running conversation keeps the values during the turn: only what is written
(tracker store rows, its journal, the event broker) goes through here.
"""

import copy
import logging
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

from actions.identity import DATE_PATTERNS, EMAIL, FACTOR_CUES
from actions.records import ALL_KINDS
from actions.redaction import mask_contacts
from common.channel_metadata import CARD_MASK

CARD_DIGITS = range(13, 20)
# A 15-digit card is an American Express one (34…, 37…); any other 15 digits passing
# the Luhn check are far likelier a device's IMEI, which a customer gives on purpose.
IMEI_DIGITS = 15
AMEX_PREFIXES = ("34", "37")
# Groups of digits joined by one space or dash, letters-and-digits groups included so
# that an IBAN's country group ("DE89 3704 …") stays with the digits after it.
_DIGIT_CHAIN = re.compile(r"(?<![\w-])[A-Za-z0-9]+(?:[ -][A-Za-z0-9]+)*(?![\w-])")
_IBAN_START = re.compile(r"[A-Za-z]{2}\d{2}")


def luhn_valid(digits: str) -> bool:
    """The Luhn check every payment card number passes (ISO/IEC 7812)."""
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def is_card_number(digits: str) -> bool:
    """Whether a run of ASCII digits is a payment card number (not an IMEI)."""
    if len(digits) not in CARD_DIGITS or not luhn_valid(digits):
        return False
    return len(digits) != IMEI_DIGITS or digits.startswith(AMEX_PREFIXES)


def _masked_chain(chain: str) -> str:
    """The chain of groups with each card number in it (whole digit groups making
    13 to 19 Luhn-valid digits, the longest first) replaced by CARD_MASK."""
    groups = re.split(r"([ -])", chain)  # groups at even places, separators between
    words, joints = groups[::2], groups[1::2]
    if _IBAN_START.fullmatch(words[0]):  # an account number, not a card
        return chain
    out: list[str] = []
    start = 0
    while start < len(words):
        end = _card_end(words, start)
        if end is None:
            out.append(words[start] + (joints[start] if start < len(joints) else ""))
            start += 1
            continue
        out.append(CARD_MASK + (joints[end - 1] if end - 1 < len(joints) else ""))
        start = end
    return "".join(out)


def _card_end(words: list[str], start: int) -> int | None:
    """Where the longest card number made of words[start:] ends, if one starts there."""
    digits = ""
    found = None
    for end in range(start, len(words)):
        if not (words[end].isascii() and words[end].isdecimal()):
            break
        digits += words[end]
        if len(digits) > CARD_DIGITS.stop - 1:
            break
        if is_card_number(digits):
            found = end + 1
    return found


def mask_card_numbers(text: str) -> str:
    """The text with every card number in it replaced by CARD_MASK."""
    return _DIGIT_CHAIN.sub(lambda match: _masked_chain(match[0]), text)


WITHHELD = "[withheld]"
# Slots a verification answer is typed into, and the values that only say how it went
# (actions/slots.py's names, spelled out so that no service imports rasa_sdk for them).
ANSWER_SLOTS = ("knowledge_factor", "pending_factor")
VERDICTS = ("confirmed", "refused")
# A record id the customer needs read back: a prefix of letters glued to its digits
# (POL-50001, APT-3001, TRK7828088552), or one of the kinds written with a space.
_RECORD_ID = re.compile(r"\b[A-Za-z]{1,4}-?\d{3,}\b")
# An amount or a time ("£35.37", "1,299.00", "14:30"), which no factor is written as.
_AMOUNT = re.compile(r"[£€$]\s?\d[\d,]*(?:\.\d+)?|\b\d+(?:[.,:]\d+)+\b")
_WITH_DIGIT = re.compile(r"[^\W_]*\d[^\W_]*")
# The parts of an event that hold what someone wrote.
_WRITTEN = ("text", "parse_data", "metadata", "data")
# Slots holding a contact given to be contacted on (actions/lead_form.py): only card
# numbers are removed from them.
CONTACT_SLOTS = ("lead_contact",)


def minimise_text(text: str) -> str:
    """The text with card numbers removed and e-mail addresses and phone numbers masked."""
    return mask_contacts(mask_card_numbers(text))


def withhold_factors(text: str) -> str:
    """A message carrying a verification answer, minimised, with its e-mail addresses,
    dates and every other word holding a digit (postcodes, dates written as numbers)
    withheld; record ids stay, so the desk still reads what the customer asked about."""
    return _withheld(text)[0]


def _withheld(text: str) -> tuple[str, list[str]]:
    """withhold_factors' text, and the parts it withheld."""
    parts: list[str] = []

    def withhold(match: "re.Match[str]") -> str:
        parts.append(match.group(0))
        return WITHHELD

    text = EMAIL.sub(withhold, mask_card_numbers(text))
    for pattern in DATE_PATTERNS:
        text = pattern.sub(withhold, text)
    kept = [m.span() for m in _RECORD_ID.finditer(text)]
    kept += [m.span() for m in _AMOUNT.finditer(text)]
    kept += [m.span() for kind in ALL_KINDS for m in kind.pattern.finditer(text)]

    def unless_id(match: "re.Match[str]") -> str:
        inside = any(start <= match.start() < end for start, end in kept)
        return match.group(0) if inside else withhold(match)

    return _WITH_DIGIT.sub(unless_id, text), parts


def _strings(value: Any, rule: Callable[[str], str]) -> Any:
    """The value (JSON) with the rule applied to every string in it."""
    if isinstance(value, str):
        return rule(value)
    if isinstance(value, list):
        return [_strings(item, rule) for item in value]
    if isinstance(value, dict):
        return {key: _strings(item, rule) for key, item in value.items()}
    return value


def is_typed_answer(event: Mapping[str, Any]) -> bool:
    """A slot event holding what the customer typed as a verification answer."""
    value = event.get("value")
    return (
        event.get("event") == "slot"
        and event.get("name") in ANSWER_SLOTS
        and isinstance(value, str)
        and value not in VERDICTS
    )


def is_withheld_answer(event: Mapping[str, Any]) -> bool:
    """A slot event as a typed verification answer is stored: its value withheld. A
    store gives back the answer it holds in memory, or nothing (the slot empty), so
    that no check ever reads the mark as an answer."""
    return event.get("name") in ANSWER_SLOTS and event.get("value") == WITHHELD


def answer_messages(events: Sequence[Mapping[str, Any]]) -> set[int]:
    """The places of the user messages that carry a verification answer: their turn
    (up to the next user message) fills an answer slot with typed text, or they
    name one ("postcode", "born", "e-mail": actions/identity.py's cues)."""
    found: set[int] = set()
    current: int | None = None
    for place, event in enumerate(events):
        if event.get("event") == "user":
            current = place
            if FACTOR_CUES.search(str(event.get("text") or "")):
                found.add(place)
        elif current is not None and is_typed_answer(event):
            found.add(current)
    return found


def minimise_event(
    event: Mapping[str, Any], answer: bool = False, secrets: Collection[str] = ()
) -> dict[str, Any]:
    """One event (Rasa's `as_dict`) as it may be kept; `answer` when it is a user
    message carrying a verification answer; `secrets` are the answers typed in its
    batch, withheld wherever they are repeated (a bot's words, another slot)."""
    kept = copy.deepcopy(dict(event))
    if is_typed_answer(kept):
        kept["value"] = WITHHELD
        return kept

    def rule(text: str) -> str:
        for secret in secrets:
            text = text.replace(secret, WITHHELD)
        return minimise_text(text)

    if answer:
        # The answer's own words first, so that "my postcode is 98096" keeps its
        # words; the metadata's ids (a model id holds digits) stay.
        parse_data = kept.get("parse_data") or {}
        for holder in (kept, parse_data, *(parse_data.get("entities") or [])):
            for key in ("text", "value"):
                if isinstance(holder.get(key), str):
                    holder[key] = withhold_factors(holder[key])
    kind = kept.get("event")
    if kind == "slot" and kept.get("name") in CONTACT_SLOTS:
        kept["value"] = _strings(kept.get("value"), mask_card_numbers)
    elif kind == "slot":
        kept["value"] = _strings(kept.get("value"), rule)
    elif kind in ("user", "bot"):
        for key in _WRITTEN:
            if key in kept:
                kept[key] = _strings(kept[key], rule)
    return kept


def minimise_events(events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Events (Rasa's `as_dict`, in order; a turn or more) as they may be kept."""
    listed = list(events)
    answers = answer_messages(listed)
    secrets = {str(event["value"]).strip() for event in listed if is_typed_answer(event)}
    for place in answers:
        secrets.update(p for p in _withheld(str(listed[place].get("text") or ""))[1] if len(p) > 2)
    # Longest first, so a shorter one inside a longer one leaves nothing of it.
    ordered = sorted((s for s in secrets if s), key=len, reverse=True)
    return [minimise_event(event, place in answers, ordered) for place, event in enumerate(listed)]


def _minimised_record(make: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def minimised(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        if record.name == "uvicorn.access" and isinstance(record.args, tuple):
            # (client, method, path with query, HTTP version, status): a query such as
            # `?whatsapp=%2B44…` is percent-encoded, so it goes as a whole.
            fields = list(record.args)
            if len(fields) > 2:
                fields[2] = str(fields[2]).split("?", 1)[0]
            record.args = tuple(fields)
            return record
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a bad format string: logging reports it
            return record
        record.msg, record.args = minimise_text(message), ()
        return record

    setattr(minimised, _MINIMISING, True)
    return minimised


_MINIMISING = "minimises_personal_data"


def minimise_logs() -> None:
    """Every log record this process makes is minimised as it is made, whichever
    library logs it and whatever handler writes it; an HTTP access line loses its
    query string. Each service calls this first thing in its main()."""
    make = logging.getLogRecordFactory()
    if not getattr(make, _MINIMISING, False):
        logging.setLogRecordFactory(_minimised_record(make))
