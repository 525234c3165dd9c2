"""Send-time governance: one pure function, `decide`, checked every time before a send.

It reads only what it is given (the rule, the customer, the clock, their consent,
their recent outreach and the signals about the problem), so the scheduler calls it
again at the moment of sending, and tests run it with any clock. The checks, in order:
stop conditions, the hold-out group, consent and reachability per channel in the rule's
order, the frequency caps, then quiet hours, which defer rather than suppress.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo

from outreach.config import Channel, OutreachConfig, Rule, TimeZones
from outreach.consent import ConsentState

DAY = timedelta(days=1)
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Customer:
    """What governance needs of a customer record (no message content)."""

    id: str
    city: str | None = None
    phone: str | None = None
    whatsapp: str | None = None
    email: str | None = None
    language: str | None = None  # the CRM's, what outreach messages are worded in

    def reachable(self, channel: Channel) -> bool:
        address = {"whatsapp": self.whatsapp, "email": self.email, "voice": self.phone}[channel]
        return bool(address)


@dataclass(frozen=True)
class Send:
    """An outreach message already sent to the customer."""

    at: datetime
    channel: Channel
    rule: str


@dataclass(frozen=True)
class Signals:
    """What is known now about the customer and the problem the rule is about."""

    problem_resolved: bool = False  # the invoice is paid, the parcel arrived
    last_contact_at: datetime | None = None  # the customer's latest contact about it
    agent_holds_conversation: bool = False
    open_complaint: bool = False
    never_automated_topic: bool = False


@dataclass(frozen=True)
class Decision:
    """send (on `channel`, with the disclosure when `disclose`: on every message if so
    configured, else when `recent` holds no earlier outreach), defer (until `not_before`,
    then decide again) or suppress; `reason` says which check decided, `skipped` which
    channels were passed over and why (consent, no_address)."""

    action: Literal["send", "defer", "suppress"]
    reason: str
    channel: Channel | None = None
    not_before: datetime | None = None
    disclose: bool = False
    skipped: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def time_zone(customer: Customer, zones: TimeZones) -> tzinfo:
    """The customer's city's zone, else their number's country code's (longest
    matching code), else the default."""
    if customer.city and customer.city in zones.cities:
        return ZoneInfo(zones.cities[customer.city])
    for number in (customer.phone, customer.whatsapp):
        codes = [c for c in zones.country_codes if number and number.startswith(c)]
        if codes:
            return ZoneInfo(zones.country_codes[max(codes, key=len)])
    return ZoneInfo(zones.default)


def in_holdout(customer_id: str, share: float) -> bool:
    """The same answer for a customer every time and in every process (not Python's
    salted hash): the first 8 bytes of SHA-256 as a fraction below share."""
    digest = hashlib.sha256(customer_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def _stopped(rule: Rule, now: datetime, signals: Signals) -> str | None:
    for condition in rule.stop_when:
        if condition.name == "contacted_recently":
            since = signals.last_contact_at
            hours = condition.hours or 0
            if since is not None and now - since < timedelta(hours=hours):
                return "stop:contacted_recently"
        elif getattr(signals, condition.name):
            return f"stop:{condition.name}"
    return None


def _quiet_until(config: OutreachConfig, now: datetime, zone: tzinfo) -> datetime | None:
    """When quiet hours end, if now is inside them in zone; None otherwise."""
    quiet = config.quiet_hours
    local = now.astimezone(zone)
    if not quiet.covers(local.time()):
        return None
    end = datetime.combine(local.date(), quiet.end, tzinfo=zone)
    if end <= local:  # quiet hours began this evening and end tomorrow morning
        end = datetime.combine(local.date() + DAY, quiet.end, tzinfo=zone)
    return end.astimezone(now.tzinfo)


def decide(
    config: OutreachConfig,
    rule: Rule,
    customer: Customer,
    now: datetime,
    consent: ConsentState,
    recent: Sequence[Send],
    signals: Signals,
) -> Decision:
    """Whether to send rule's message to customer now, where, or why not."""
    if now.tzinfo is None:
        raise ValueError("decide needs a timezone-aware now")
    stopped = _stopped(rule, now, signals)
    if stopped:
        return Decision("suppress", stopped)
    if in_holdout(customer.id, config.holdout_share):
        return Decision("suppress", "holdout")
    skipped: list[tuple[str, str]] = []
    channel: Channel | None = None
    for candidate in rule.channels:
        if not consent.allows(candidate, rule.purpose):
            skipped.append((candidate, "consent"))
        elif not customer.reachable(candidate):
            skipped.append((candidate, "no_address"))
        else:
            channel = candidate
            break
    if channel is None:
        reason = "consent" if all(why == "consent" for _, why in skipped) else "no_channel"
        return Decision("suppress", reason, skipped=tuple(skipped))
    if sum(now - DAY < s.at <= now for s in recent) >= config.caps.per_day:
        return Decision("suppress", "cap:per_day", skipped=tuple(skipped))
    if sum(now - WEEK < s.at <= now for s in recent) >= config.caps.per_week:
        return Decision("suppress", "cap:per_week", skipped=tuple(skipped))
    quiet_until = _quiet_until(config, now, time_zone(customer, config.time_zones))
    if quiet_until is not None:
        return Decision(
            "defer", "quiet_hours", channel, not_before=quiet_until, skipped=tuple(skipped)
        )
    disclose = config.disclosure.send_with == "every_message" or not recent
    return Decision("send", "allowed", channel, disclose=disclose, skipped=tuple(skipped))
