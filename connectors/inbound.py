"""What a customer sends, made safe before Rasa reads it; every channel uses this.

- Text is valid Unicode only: lone surrogates and control characters (other than
  newline and tab) are removed, the rest is NFC-normalised; a message with nothing
  left, or longer than the channel allows, is refused with a 4xx.
- A typed command ("/restart", "/session_start", '/inform{"customer_id": "C-1001"}')
  is never acted on: Rasa takes any message starting with "/" as an intent named by
  the sender. A message is passed on as a command only when it is exactly the payload
  of a button the assistant offered in its last turn (the channel vouches that it
  offered it); anything else goes on as text with its leading slashes removed.
- A card number (13 to 19 digits, spaced or dashed, passing the Luhn check) is
  replaced by CARD_MASK (common/minimise.py) before anything keeps or reads the text: the assistant never
  takes card details in a conversation, so the tracker store, the desk, the memory
  and the logs never get them. The channel then flags the message's metadata
  (`card_flag`), and the NLU reads the masked message as `give_card_number`.
"""

import json
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from common.channel_metadata import CARD_MASK, CARD_NUMBER_REMOVED
from common.minimise import mask_card_numbers
from connectors.webhook import BadRequest

COMMAND_PREFIX = "/"
# C0 and C1 control characters except tab and newline; DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]")
MAX_JSON_DEPTH = 8


def load_json(body: bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """A JSON body, its nesting checked before it is parsed; BadRequest saying what
    is wrong with it otherwise (not UTF-8, too deep, not JSON, a number too long)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest(400, "the body is not valid UTF-8") from None
    depth = deepest = 0
    for bracket in _NOT_BRACKET.sub("", _JSON_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    if deepest > max_depth:
        raise BadRequest(400, f"the JSON is nested deeper than {max_depth} levels")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise BadRequest(400, f"the body is not valid JSON ({error.msg})") from None
    except (ValueError, RecursionError) as error:  # e.g. an integer of over 4,300 digits
        raise BadRequest(400, f"the body is not usable JSON ({error})"[:200]) from None


def valid_unicode(value: Any, field: str) -> Any:
    """A JSON value (say, client metadata) whose strings are all valid Unicode, so that
    whatever stores or renders it later can; BadRequest 400 otherwise."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest(400, f"'{field}' holds text that is not valid Unicode") from None
    return value


def card_flag(text: str) -> dict[str, bool]:
    """The metadata a channel adds to a message whose card number was removed."""
    return {CARD_NUMBER_REMOVED: True} if CARD_MASK in text else {}


def clean_text(text: str, max_chars: int, field: str = "message") -> str:
    """The text as Rasa may read it, card numbers masked; BadRequest when nothing is
    left or it is too long."""
    # Line breaks first: "\r" is a control character too.
    cleaned = _SURROGATE.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    cleaned = unicodedata.normalize("NFC", _CONTROL.sub(" ", cleaned))
    cleaned = mask_card_numbers(cleaned.strip())
    if not cleaned:
        raise BadRequest(400, f"'{field}' holds no text")
    if len(cleaned) > max_chars:
        raise BadRequest(413, f"'{field}' is longer than {max_chars} characters")
    return cleaned


def customer_text(text: str, offered_payloads: Iterable[str | None] = ()) -> str:
    """The text, with a typed command turned into plain text unless it is the payload
    of a button just offered."""
    stripped = text.strip()
    if not stripped.startswith(COMMAND_PREFIX):
        return text
    if stripped in {payload for payload in offered_payloads if payload}:
        return stripped
    plain = stripped.lstrip(COMMAND_PREFIX).strip()
    if not plain:
        raise BadRequest(400, "the message holds no text")
    return plain
