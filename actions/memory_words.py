"""The memory's facts as the named variables of its domain responses: which
channel, when, what about, and what a business event was. Pure functions, tested
without a server; the sentences are responses in domain.yml (with voice and e-mail
variants)."""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from babel.dates import format_date, format_skeleton

from actions import spoken
from actions.records import ALL_KINDS
from actions.render import DEFAULT_LOCALE, record_label, value_text
from common.locale_values import codes

# Business events the assistant brings up, by type, and the record's variable name.
EVENT_RESPONSES: dict[str, tuple[str, str]] = {
    "payment_failed": ("utter_memory_event_payment_failed", "invoice_id"),
    "shipment_delayed": ("utter_memory_event_shipment_delayed", "order_id"),
    "order_delivered": ("utter_memory_event_order_delivered", "order_id"),
    "claim_updated": ("utter_memory_event_claim_updated", "claim_id"),
    "appointment_missed": ("utter_memory_event_appointment_missed", "appointment_id"),
}
# The kind of value (locales' `values`) each event's detail is.
EVENT_DETAILS = {
    "payment_failed": "failure_reason",
    "shipment_delayed": "delay_reason",
    "claim_updated": "claim_status",
}
LAST_CONTACT_RESPONSES = {
    "resolved": "utter_memory_last_contact_resolved",
    "handed_over": "utter_memory_last_contact_handed_over",
}
LAST_CONTACT_OPEN = "utter_memory_last_contact_open"


def channel_name(channel: str | None, language: str = DEFAULT_LOCALE) -> str:
    return value_text("channel", channel if channel in codes("channel") else "other", language)


def when(at: float, now: float, language: str = DEFAULT_LOCALE) -> str:
    """'earlier today', 'yesterday', 'on Tuesday' (within a week) or 'on 23 November'
    ('am Dienstag', 'am 23. November' in German, the day and date by Babel)."""
    then = datetime.fromtimestamp(at, UTC).date()
    today = datetime.fromtimestamp(now, UTC).date()
    days = (today - then).days
    if days <= 0:
        return value_text("relative_day", "earlier_today", language)
    if days == 1:
        return value_text("relative_day", "yesterday", language)
    on = value_text("relative_day", "on", language)
    if language == DEFAULT_LOCALE:
        return f"{on} {then:%A}" if days < 7 else f"{on} {then.day} {then:%B}"
    if days < 7:
        return f"{on} {format_date(then, 'EEEE', locale=language)}"
    return f"{on} {format_skeleton('MMMMd', then, locale=language)}"


def named_record(record_id: str, language: str = DEFAULT_LOCALE) -> str | None:
    """'BW-100002' → 'order BW-100002' ('Bestellung BW-100002' in German)."""
    kind = next((k for k in ALL_KINDS if k.normalize(record_id) == record_id), None)
    return f"{record_label(kind, language)} {record_id}" if kind else None


def record_topic(record_id: str) -> str | None:
    """'BW-100002' → 'order' (the journeys' topics only)."""
    kind = next((k for k in ALL_KINDS if k.normalize(record_id) == record_id), None)
    return kind.topic if kind and kind.topic != "customer" else None


def last_contact(
    contact: Mapping[str, Any], first_name: str, now: float, language: str = DEFAULT_LOCALE
) -> tuple[str, dict[str, Any]] | None:
    """The response recalling the last contact and its variables; None when it
    touched no record worth naming."""
    labels = [
        named_record(r, language) for r in contact.get("records") or [] if record_topic(str(r))
    ]
    if not labels or labels[0] is None:
        return None
    record = labels[0].rsplit(" ", 1)[1]
    response = LAST_CONTACT_RESPONSES.get(str(contact.get("outcome")), LAST_CONTACT_OPEN)
    said_when = when(float(contact["started_at"]), now, language)
    return response, {
        "first_name": first_name,
        "last_channel": channel_name(contact.get("channel"), language),
        "last_when": said_when,
        "last_subject": labels[0],
        "last_subject_spoken": f"{labels[0].rsplit(' ', 1)[0]} {spoken.spell(record)}",
    }


def event_message(
    event: Mapping[str, Any], language: str = DEFAULT_LOCALE
) -> tuple[str, dict[str, Any]] | None:
    """The response that tells the customer about a business event, and its variables
    (its detail in the conversation's language); None for a type the assistant does not
    bring up in conversation (page_viewed)."""
    found = EVENT_RESPONSES.get(str(event.get("type")))
    if found is None:
        return None
    response, id_name = found
    data = event.get("data") or {}
    record = str(event.get("record") or data.get(id_name) or "")
    detail = str(data.get("detail") or data.get("status") or "")
    kind = EVENT_DETAILS.get(str(event.get("type")))
    detail = value_text(kind, detail, language) if kind else detail.replace("_", " ")
    return response, {id_name: record, f"{id_name}_spoken": spoken.spell(record), "detail": detail}
