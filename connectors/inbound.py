"""What a customer sends, made safe before Rasa reads it; every channel uses this.

- Text is valid Unicode only: lone surrogates and control characters (other than
  newline and tab) are removed, the rest is NFC-normalised; a message with nothing
  left, or longer than the channel allows, is refused with a 4xx.
- A typed command ("/restart", "/session_start", '/inform{"customer_id": "C-1001"}')
  is never acted on: Rasa takes any message starting with "/" as an intent named by
  the sender. A message is passed on as a command only when it is exactly the payload
  of a button the assistant offered in its last turn (the channel vouches that it
  offered it); anything else goes on as text with its leading slashes removed.
"""

import re
import unicodedata
from typing import Iterable, Optional

from connectors.webhook import BadRequest

COMMAND_PREFIX = "/"
# C0 and C1 control characters except tab and newline; DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean_text(text: str, max_chars: int, field: str = "message") -> str:
    """The text as Rasa may read it; BadRequest when nothing is left or it is too long."""
    cleaned = _CONTROL.sub(" ", _SURROGATE.sub("", text))
    cleaned = unicodedata.normalize("NFC", cleaned.replace("\r\n", "\n").replace("\r", "\n"))
    cleaned = cleaned.strip()
    if not cleaned:
        raise BadRequest(400, f"'{field}' holds no text")
    if len(cleaned) > max_chars:
        raise BadRequest(413, f"'{field}' is longer than {max_chars} characters")
    return cleaned


def customer_text(text: str, offered_payloads: Iterable[Optional[str]] = ()) -> str:
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
