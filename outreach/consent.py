"""A customer's consent as it stands: derived from the ledger's history, never stored.

Without any recorded change, service messages (about the customer's own payment,
parcel or policy) are allowed and marketing is not: marketing needs an opt-in.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from outreach.config import Channel, Purpose

DEFAULT_OPTED_IN: Mapping[str, bool] = MappingProxyType({"service": True, "marketing": False})


@dataclass(frozen=True)
class ConsentChange:
    """One entry of the ledger: who changed what, how and when."""

    customer_id: str
    channel: Channel
    purpose: Purpose
    opted_in: bool
    source: str
    at: datetime


@dataclass(frozen=True)
class ConsentState:
    """The latest change per channel and purpose of one customer."""

    customer_id: str
    latest: Mapping[tuple[str, str], ConsentChange] = field(
        default_factory=lambda: MappingProxyType({})
    )

    @classmethod
    def from_history(cls, customer_id: str, changes: Iterable[ConsentChange]) -> "ConsentState":
        """The state after changes, applied in the order given (the ledger's order)."""
        latest: dict[tuple[str, str], ConsentChange] = {}
        for change in changes:
            latest[(change.channel, change.purpose)] = change
        return cls(customer_id, MappingProxyType(latest))

    def allows(self, channel: str, purpose: str) -> bool:
        change = self.latest.get((channel, purpose))
        return DEFAULT_OPTED_IN[purpose] if change is None else change.opted_in
