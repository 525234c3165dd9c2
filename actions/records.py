"""The kinds of record a customer can name, and how their ids are written."""

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class RecordKind:
    """One kind of record: the slot holding its id, its backend collection, its wording."""

    topic: str
    slot: str
    collection: str
    label: str
    pattern: "re.Pattern[str]"
    prefix: str

    def normalize(self, raw: object) -> str | None:
        """'bw 100002' → 'BW-100002'; None when raw is not an id of this kind."""
        if not isinstance(raw, str):
            return None
        match = self.pattern.search(raw)
        return f"{self.prefix}-{match.group(1)}" if match else None


def _kind(topic: str, collection: str, label: str, prefix: str, digits: int) -> RecordKind:
    letters = "".join(f"[{c}{c.lower()}]" for c in prefix)
    pattern = re.compile(rf"\b{letters}[- ]?(\d{{{digits}}})\b")
    return RecordKind(topic, f"{topic}_id", collection, label, pattern, prefix)


ORDER = _kind("order", "orders", "order", "BW", 6)
CLAIM = _kind("claim", "claims", "claim", "CLM", 5)
INVOICE = _kind("invoice", "invoices", "invoice", "INV", 6)
CUSTOMER = _kind("customer", "customers", "customer number", "C", 4)

# The journeys a customer can ask about, by the topic slot's value.
TOPICS: dict[str, RecordKind] = {kind.topic: kind for kind in (ORDER, CLAIM, INVOICE)}
ALL_KINDS = (ORDER, CLAIM, INVOICE, CUSTOMER)


def strip_ids(text: str) -> str:
    """The text with every record id removed (so its digits are not read as a postcode)."""
    for kind in ALL_KINDS:
        text = kind.pattern.sub(" ", text)
    return text
