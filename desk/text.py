"""Text from customers and integrations, made safe to store and render.

Whatever arrives in a packet or a conversation is kept, but only as valid Unicode:
lone surrogates (which no encoder can write, so every later answer would fail) and
control characters other than newline and tab (NUL among them, which PostgreSQL
refuses) are removed. Everything else, emoji and right-to-left marks included, is
kept as sent; the page renders it with textContent in bidi-isolated elements.
"""

import re
from typing import Any

_UNSAFE = re.compile(r"[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def safe_text(text: str) -> str:
    """The text without lone surrogates and control characters."""
    return _UNSAFE.sub("", text)


def safe_json(value: Any) -> Any:
    """A JSON value with every string in it (keys too) made safe."""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, list):
        return [safe_json(item) for item in value]
    if isinstance(value, dict):
        return {safe_text(str(key)): safe_json(item) for key, item in value.items()}
    return value
