"""The personal data corpus (corpus.yml), read once for the unit and e2e tests."""

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

CORPUS = Path(__file__).with_name("corpus.yml")


@dataclass(frozen=True)
class Message:
    """One message of the corpus: what must not survive and what must."""

    kind: str
    text: str
    raw: list[str] = field(default_factory=list)
    keep: list[str] = field(default_factory=list)
    customer: str | None = None
    asks: str | None = None


@cache
def corpus() -> tuple[Message, ...]:
    return tuple(Message(**entry) for entry in yaml.safe_load(CORPUS.read_text())["messages"])


def survivors(message: Message, stored: str) -> list[str]:
    """The raw values of the message found in what was stored (case-insensitive)."""
    folded = stored.casefold()
    return [value for value in message.raw if value.casefold() in folded]
