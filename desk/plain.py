"""A hand-over in an agent's words: why it came, on which channel, when, and the
transcript as the customer saw and wrote it.

The packet keeps what the machine knows (the escalation rule and its evidence, the
Rasa channel name, UTC times, button payloads such as `/check_claim_status`); an
agent needs the reason in a sentence, "WhatsApp", local times with an age, and the
title of the button the customer tapped or the option they chose by number.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from babel import Locale, UnknownLocaleError

from desk.settings import ROOT
from escalation.config import EscalationConfigError, escalation_config

Json = dict[str, Any]
ESCALATION_FILE = ROOT / "escalation.yml"
DOMAIN_FILE = ROOT / "domain.yml"
# The clarifying action offers the likeliest goals as buttons, titled by the domain's
# utter_option_<intent> responses.
CLARIFY_RESPONSE = "utter_clarify"
OPTION_PREFIX = "utter_option_"

CHANNEL_NAMES = {
    "socketio": "Web chat",
    "twilio": "WhatsApp",
    "twilio_voice": "Phone",
    "email": "E-mail",
    "rest": "API",
}
# Channels without buttons: the customer saw numbered options and answered by number.
NUMBERED_CHANNELS = frozenset({"twilio", "twilio_voice", "email"})

# The reason in words when escalation.yml gives the rule no `description`.
RULE_WORDS = {
    "human_request.intents": "The customer asked to speak to a person.",
    "human_request.wording": "The customer asked to speak to a person.",
    "emotion.turn_threshold": "The customer's last message was very upset or angry.",
    "emotion.trend_threshold": "The customer grew more and more upset over the conversation.",
    "system_trouble.max_backend_failures": "Our systems failed more than once while the "
    "assistant was helping.",
    "turn_limit.max_user_turns": "The conversation went on for many messages without the "
    "customer getting what they came for.",
    "confidence.misses_to_escalate": "The assistant did not understand the customer, "
    "more than once in a row.",
}
REASON_WORDS = {
    "human_requested": RULE_WORDS["human_request.intents"],
    "negative_emotion": "The customer sounded upset.",
    "system_trouble": "Our systems failed while the assistant was helping.",
    "turn_limit": RULE_WORDS["turn_limit.max_user_turns"],
    "low_confidence": RULE_WORDS["confidence.misses_to_escalate"],
}
TOPIC_WORDS = {
    "bereavement": "a bereavement",
    "legal": "a legal matter",
    "fraud": "possible fraud",
    "vulnerability": "a customer who may be vulnerable",
}
NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}


def channel_name(channel: str) -> str:
    """'twilio_voice' → 'Phone'; an unknown channel by its own name, readable."""
    return CHANNEL_NAMES.get(channel, channel.replace("_", " ").capitalize() or "Unknown")


def language_name(code: str) -> str:
    """'de' → 'German' (the desk's own language); an unknown code as it is."""
    try:
        return Locale.parse(code.replace("-", "_")).get_display_name("en") or code
    except (ValueError, UnknownLocaleError):
        return code or "Unknown"


# ------------------------------------------------------------------ why


def rule_descriptions(path: Path = ESCALATION_FILE) -> dict[str, str]:
    """Every `description` in escalation.yml by its dotted key ("topics.fraud"), read
    by the loader the assistant uses; none when the file cannot be used (the desk
    still shows its own wording)."""
    try:
        return dict(escalation_config(path).descriptions)
    except EscalationConfigError:
        return {}


def _described(rule: str, descriptions: Mapping[str, str]) -> str | None:
    """The description of the rule, of its section, or of its defaults entry."""
    parts = rule.split(".")
    for size in range(len(parts), 0, -1):
        key = ".".join(parts[:size])
        for candidate in (key, f"defaults.{key}"):
            if candidate in descriptions:
                return descriptions[candidate]
    return None


def why(escalation: Mapping[str, Any], descriptions: Mapping[str, str] | None = None) -> str:
    """The reason for the hand-over in a sentence: the rule's description in
    escalation.yml, else the desk's wording for the rule or its reason code."""
    descriptions = rule_descriptions() if descriptions is None else descriptions
    rule, code = str(escalation.get("rule") or ""), str(escalation.get("reason_code") or "")
    described = _described(rule, descriptions)
    if described:
        return described
    kind, _, topic = code.partition(":")
    if kind == "sensitive_topic":
        return (
            f"The conversation touched {TOPIC_WORDS.get(topic, topic.replace('_', ' '))}, "
            "which the assistant never handles alone."
        )
    sentence = RULE_WORDS.get(rule) or REASON_WORDS.get(code)
    if sentence:
        return sentence
    named = code.replace("_", " ").replace(":", ", ") or "no reason given"
    return f"The assistant handed over: {named}."


def why_evidence(escalation: Mapping[str, Any]) -> str | None:
    """The customer's own words that fired the rule, when the evidence names them."""
    phrase = (escalation.get("values") or {}).get("phrase")
    return f'They wrote "{phrase}".' if isinstance(phrase, str) and phrase else None


# ------------------------------------------------------------------ times


def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def local_time(value: str | None, time_zone: ZoneInfo) -> str | None:
    """'2026-11-29T23:58:00+00:00' → 'Mon 30 Nov, 00:58 CET' in the support hours' zone."""
    if not value:
        return None
    moment = parse_time(value).astimezone(time_zone)
    return f"{moment:%a} {moment.day} {moment:%b}, {moment:%H:%M %Z}"


def age(value: str, now: datetime) -> str:
    """How long ago: 'just now', '12 min ago', '3 h 5 min ago', '2 days ago'."""
    minutes = int((now - parse_time(value)).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {rest} min ago" if rest else f"{hours} h ago"
    days = hours // 24
    return "1 day ago" if days == 1 else f"{days} days ago"


# ------------------------------------------------------------------ the transcript


@dataclass(frozen=True)
class Offer:
    """A message of the assistant that offered buttons: its text and the buttons.
    `ordered` is False when the buttons are chosen per turn (the clarifying action
    offers some of them, in an order the packet does not keep)."""

    text: str
    buttons: tuple[tuple[str, str], ...]  # (payload, title)
    ordered: bool = True


def _text(variant: Mapping[str, Any]) -> str:
    return " ".join(str(variant.get("text") or "").split())


def _variants(domain: Any, name: str) -> list[Mapping[str, Any]]:
    responses = domain.get("responses") if isinstance(domain, dict) else None
    variants = (responses or {}).get(name)
    return [v for v in variants if isinstance(v, dict)] if isinstance(variants, list) else []


def _offers(domain: Any, clarify_labels: Mapping[str, str]) -> list[Offer]:
    clarify = tuple((f"/{intent}", title) for intent, title in clarify_labels.items())
    offers = (
        [
            Offer(_text(variant), clarify, ordered=False)
            for variant in _variants(domain, CLARIFY_RESPONSE)
        ]
        if clarify
        else []
    )
    responses = domain.get("responses") if isinstance(domain, dict) else None
    for name in responses or {}:
        for variant in _variants(domain, name):
            pairs = tuple(
                (str(b.get("payload")), str(b.get("title")))
                for b in variant.get("buttons") or []
                if isinstance(b, dict)
            )
            if pairs:
                offers.append(Offer(_text(variant), pairs))
    return offers


def clarify_labels(domain: Any) -> dict[str, str]:
    """The title of each goal the clarifying question may offer, from the domain."""
    responses = domain.get("responses") if isinstance(domain, dict) else None
    return {
        name.removeprefix(OPTION_PREFIX): _text(variants[0])
        for name in responses or {}
        if name.startswith(OPTION_PREFIX) and (variants := _variants(domain, name))
    }


@lru_cache(maxsize=4)
def button_offers(domain_path: Path = DOMAIN_FILE) -> tuple[Offer, ...]:
    """Every message of the assistant that offers buttons: the clarifying question
    first, then the responses in domain.yml with buttons; none when unreadable."""
    try:
        domain = yaml.safe_load(domain_path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return ()
    return tuple(_offers(domain, clarify_labels(domain)))


def _offer_for(assistant_text: str | None, offers: Sequence[Offer]) -> Offer | None:
    if not assistant_text:
        return None
    said = " ".join(assistant_text.split())
    return next((offer for offer in offers if offer.text and offer.text == said), None)


def _payload_intent(text: str) -> str:
    return text[1:].split("{", 1)[0].strip()


def _choice(text: str) -> int | None:
    choice = text.strip().rstrip(".").lower()
    number = NUMBER_WORDS.get(choice) or (
        int(choice) if choice.isdecimal() and len(choice) <= 2 else None
    )
    return number


def _customer_line(
    text: str, offer: Offer | None, offers: Sequence[Offer], channel: str, first: bool
) -> tuple[str, str | None]:
    """What the customer tapped, chose or wrote, and a note on how."""
    numbered = channel in NUMBERED_CHANNELS
    if text.startswith("/"):
        payload = text.strip()
        offered = list(offer.buttons) if offer else []
        for index, (button_payload, title) in enumerate(offered, start=1):
            if button_payload == payload:
                chose = f"chose option {index}" if offer and offer.ordered else "chose an option"
                return title, chose if numbered else "tapped a button"
        titles = [title for o in offers for p, title in o.buttons if p == payload]
        if titles:
            return titles[0], "chose an option" if numbered else "tapped a button"
        intent = _payload_intent(payload)
        if first and intent == "greet":
            return "(opened the conversation)", None
        return f"({intent.replace('_', ' ') or 'a choice'})", "sent by the page, not typed"
    number = _choice(text)
    if offer and offer.ordered and number and 1 <= number <= len(offer.buttons):
        return offer.buttons[number - 1][1], f"chose option {number}"
    return text, None


def transcript(
    lines: Sequence[Mapping[str, Any]],
    channel: str,
    time_zone: ZoneInfo,
    offers: Sequence[Offer] | None = None,
) -> list[Json]:
    """The packet's transcript as the customer saw and wrote it: the options the
    assistant offered with its message, a tapped button or a chosen number as the
    option's title, local times."""
    offers = button_offers() if offers is None else offers
    shown: list[Json] = []
    last_offer: Offer | None = None
    customer_lines = 0
    for line in lines:
        speaker, text = str(line.get("from")), str(line.get("text") or "")
        note: str | None = None
        options: list[str] = []
        if speaker == "customer":
            text, note = _customer_line(text, last_offer, offers, channel, customer_lines == 0)
            customer_lines += 1
            last_offer = None
        else:
            last_offer = _offer_for(text, offers)
            options = (
                [title for _, title in last_offer.buttons]
                if last_offer and last_offer.ordered
                else []
            )
        shown.append(
            {
                "from": speaker,
                "text": text,
                "note": note,
                "options": options,
                "at": local_time(str(line.get("at") or ""), time_zone),
            }
        )
    return shown


# ------------------------------------------------------------------ contact

CONTACT_FIELDS = {
    "email": "E-mail",
    "phone": "Phone",
    "whatsapp": "WhatsApp",
    "callback_number": "Callback number",
}


def contact(customer: Mapping[str, Any], channel: str) -> Json:
    """The contact details the packet's customer block holds, labelled; for a call,
    whether it holds a number to call back."""
    found = [
        {"label": label, "value": str(customer[key])}
        for key, label in CONTACT_FIELDS.items()
        if customer.get(key)
    ]
    nested = customer.get("contact")
    if isinstance(nested, dict):
        found += [
            {"label": label, "value": str(nested[key])}
            for key, label in CONTACT_FIELDS.items()
            if nested.get(key)
        ]
    callback = next(
        (item["value"] for item in found if item["label"] in ("Callback number", "Phone")), None
    )
    missing = None
    if channel == "twilio_voice" and callback is None:
        missing = "The packet holds no number to call back."
    elif not found:
        missing = "The packet holds no contact details."
    return {
        "details": found,
        "callback_number": callback if channel == "twilio_voice" else None,
        "missing": missing,
    }


def callback(chosen: Any, time_zone: ZoneInfo) -> str | None:
    """How a caller chose to hear from the team, in words (None when not asked)."""
    if not isinstance(chosen, dict):
        return None
    if chosen.get("by") == "message":
        return "Sent their reference by text message; no call back asked for."
    when = local_time(chosen.get("at"), time_zone)
    return f"Call back on this number: {when}." if when else "Call back when the team opens."


# ------------------------------------------------------------------ earlier contacts

HISTORY_OUTCOMES = {
    "resolved": "resolved",
    "handed_over": "handed to a person",
    "abandoned": "left without an answer",
    "open": "still open",
    "told": "told to the customer",
    "not_told": "not yet told to the customer",
    "noted": "noted by the assistant",
}
NO_HISTORY = "Not known: the customer is not verified or the customer memory did not answer."


def history(items: Any, time_zone: ZoneInfo) -> list[str]:
    """The packet's `history`, one line each, newest first: 'WhatsApp · Tue 24 Nov,
    10:00 CET · resolved · check claim status CLM-70001: answered'."""
    if not isinstance(items, list):
        return [NO_HISTORY]
    lines = []
    for item in items:
        where = channel_name(str(item.get("channel"))) if item.get("channel") else "Event"
        outcome = str(item.get("outcome"))
        state = (
            "this conversation"
            if item.get("this_conversation")
            else HISTORY_OUTCOMES.get(outcome, outcome)
        )
        when = local_time(str(item.get("at") or ""), time_zone)
        lines.append(" · ".join(str(part) for part in (where, when, state, item.get("summary"))))
    return lines


# ------------------------------------------------------------------ the whole view


def plain_view(
    packet: Mapping[str, Any],
    created_at: str,
    now: datetime,
    time_zone: ZoneInfo,
    human_available_at: str | None = None,
) -> Json:
    """What the page shows of a packet besides its records: everything in words."""
    channel = str(packet.get("channel") or "")
    escalation = packet.get("escalation") or {}
    return {
        "channel": channel_name(channel),
        "language": language_name(str(packet.get("language") or "en")),
        "why": why(escalation),
        "why_evidence": why_evidence(escalation),
        "received": local_time(created_at, time_zone),
        "age": age(created_at, now),
        "time_zone": time_zone.key,
        "human_available_at": local_time(human_available_at, time_zone),
        "contact": contact(packet.get("customer") or {}, channel),
        "callback": callback(packet.get("callback"), time_zone),
        "transcript": transcript(packet.get("transcript") or [], channel, time_zone),
        "history": history(packet.get("history"), time_zone),
    }
