"""What a customer is told when handed over, worded from the desk's receipt (contract
K2: `open_now`, `next_open`, `position`, `expected_wait_minutes`, `hours`,
`reference`). The desk owns the queue, the support hours and the wait; this module
only chooses the domain responses and fills their variables.

On a call, the caller is put through (`<Dial>`, connectors/voice.py) only when a
person takes the conversation live (`open_now`) and the channel has an agents'
number; otherwise they hear when a person will call back and their reference, and
the call ends politely. Outside support hours the caller is first offered a call back
when the team opens, at a time they choose, or a text message (actions/callback.py).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from actions import spoken
from actions.responses import render
from actions.support_hours import ENGLISH, hours_words, moment_words
from common.channel_metadata import CAN_PUT_THROUGH, CAN_TEXT, PUT_THROUGH

Json = dict[str, Any]
VOICE = "twilio_voice"
__all__ = [
    "CAN_PUT_THROUGH",
    "CAN_TEXT",
    "PUT_THROUGH",
    "Notice",
    "handoff_notice",
    "reason_response",
]

# The reason codes with a notice of their own (utter_handoff_<name> in domain.yml).
REASON_RESPONSES: dict[str, str] = {
    "human_requested": "utter_handoff_human_requested",
    "negative_emotion": "utter_handoff_negative_emotion",
    "system_trouble": "utter_handoff_system_trouble",
    "turn_limit": "utter_handoff_turn_limit",
    "low_confidence": "utter_handoff_low_confidence",
    "sensitive_topic:fraud": "utter_handoff_fraud",
    "sensitive_topic:bereavement": "utter_handoff_bereavement",
    "sensitive_topic:legal": "utter_handoff_legal",
    "sensitive_topic:vulnerability": "utter_handoff_vulnerability",
}


def reason_response(reason_code: str) -> str:
    """The response saying why the customer is handed over, in words that never blame them."""
    if reason_code in REASON_RESPONSES:
        return REASON_RESPONSES[reason_code]
    return (
        "utter_handoff_sensitive"
        if reason_code.startswith("sensitive_topic:")
        else "utter_handoff_other"
    )


# ------------------------------------------------------------------ the notice


@dataclass(frozen=True)
class Notice:
    """The responses to utter in order, whether the caller is put through, the offer
    of a call back made to a caller (actions/callback.py) and the packet's
    `customer_notice` (what the customer was told)."""

    messages: list[Json]
    put_through: bool
    callback_offer: Json | None
    packet_part: Json


def _said(response: str, **variables: Any) -> Json:
    return {"response": response, "variables": variables}


def _next_step(
    receipt: Mapping[str, Any], voice: bool, put_through: bool, now: datetime, language: str
) -> list[Json]:
    """What happens next: the queue and the wait, a call back, or the next opening."""
    wait = receipt.get("expected_wait_minutes")
    if receipt.get("open_now") and isinstance(wait, int):
        minutes = {"wait_minutes": wait, "wait_minutes_spoken": spoken.number(wait, language)}
        position = receipt.get("position")
        if voice and not put_through:
            return [_said("utter_handoff_call_back", **minutes)]
        if isinstance(position, int) and position > 0:
            return [
                _said(
                    "utter_handoff_queued",
                    position=position,
                    position_spoken=spoken.number(position, language),
                    **minutes,
                )
            ]
        return [_said("utter_handoff_wait", **minutes)]
    hours, next_open = receipt.get("hours"), receipt.get("next_open")
    if not (isinstance(hours, dict) and isinstance(next_open, str)):
        return [_said("utter_handoff_when_possible")]
    return [
        _said(
            "utter_handoff_after_hours",
            **hours_words(hours, now, language),
            **_available_at(receipt, language),
        )
    ]


def _available_at(receipt: Mapping[str, Any], language: str) -> dict[str, str]:
    back = datetime.fromisoformat(receipt["next_open"]).astimezone(
        ZoneInfo(receipt["hours"]["time_zone"])
    )
    written, said = moment_words(back, language)
    return {"available_at": written, "available_at_spoken": said}


def callback_offer(
    receipt: Mapping[str, Any], voice: bool, put_through: bool, can_text: bool
) -> Json | None:
    """Outside support hours a caller chooses a call back or (when the channel can
    send one) a text message: what the choice needs from the receipt
    (actions/callback.py), or None when not offered."""
    if not voice or put_through or receipt.get("open_now"):
        return None
    hours, next_open, reference = (receipt.get(k) for k in ("hours", "next_open", "reference"))
    if not (isinstance(hours, dict) and isinstance(next_open, str) and reference):
        return None
    return {
        "handoff_id": str(receipt["id"]) if receipt.get("id") else None,
        "reference": reference,
        "next_open": next_open,
        "hours": hours,
        "can_text": can_text,
    }


def handoff_notice(
    reason_code: str,
    receipt: Mapping[str, Any],
    channel: str | None,
    can_put_through: bool,
    now: datetime,
    can_text: bool = False,
    language: str = ENGLISH,
) -> Notice:
    """Why the customer is handed over, what happens next and their reference (not
    said to a caller who is put through to a person at once)."""
    voice = channel == VOICE
    put_through = voice and can_put_through and bool(receipt.get("open_now"))
    reference = receipt.get("reference")
    offer = callback_offer(receipt, voice, put_through, can_text)
    messages = [_said(reason_response(reason_code))]
    if offer:  # the hours, then the offer: the reference comes with the confirmation
        hours = hours_words(offer["hours"], now, language)
        messages.append(
            _said(
                "utter_callback_offer" if can_text else "utter_callback_offer_call",
                **hours,
                **_available_at(offer, language),
            )
        )
    else:
        messages += _next_step(receipt, voice, put_through, now, language)
    if reference and not put_through and not offer:
        messages.append(
            _said(
                "utter_handoff_reference",
                reference=reference,
                reference_spoken=spoken.spell(reference),
            )
        )
    text = "\n".join(render(m["response"], m["variables"], channel, language) for m in messages)
    live = bool(receipt.get("open_now"))
    return Notice(
        messages,
        put_through,
        offer,
        {
            "text": text,
            "messages": messages,
            "expected_wait_minutes": receipt.get("expected_wait_minutes") if live else None,
            "human_available_at": None if live else receipt.get("next_open"),
        },
    )
