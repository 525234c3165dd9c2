"""What the customer is told at a hand-over, worded from the desk's receipt
(contract K2) with domain responses, on text channels and on a call."""

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from actions.handoff_notice import handoff_notice, reason_response
from actions.responses import render
from actions.support_hours import hours_words

UTC = UTC
WEDNESDAY_MORNING = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # 11:00 CET
WEEKDAYS = {
    "time_zone": "Europe/Berlin",
    "days": ["mon", "tue", "wed", "thu", "fri"],
    "open": "08:00",
    "close": "20:00",
}
REASON = (
    "Of course. I'm passing you to a member of our team. They'll see our conversation "
    "so far, so you won't need to repeat anything."
)


def receipt(
    open_now: bool, position: int = 2, wait: int = 6, next_open: str = "2026-11-30T08:00:00+01:00"
) -> dict[str, Any]:
    return {
        "id": "3f9a0c" + "0" * 26,
        "reference": "H-3F9A0C",
        "status": "waiting" if open_now else "ticket",
        "position": position,
        "expected_wait_minutes": wait if open_now else None,
        "human_available_at": None if open_now else next_open,
        "open_now": open_now,
        "next_open": None if open_now else next_open,
        "hours": WEEKDAYS,
    }


def test_within_hours_the_customer_hears_place_wait_and_reference() -> None:
    notice = handoff_notice("human_requested", receipt(True), "rest", False, WEDNESDAY_MORNING)
    assert notice.packet_part == {
        "text": f"{REASON}\nYou're number 2 in the queue; the expected wait is about 6 "
        "minutes.\nYour reference is H-3F9A0C.",
        "messages": notice.messages,
        "expected_wait_minutes": 6,
        "human_available_at": None,
    }
    assert [m["response"] for m in notice.messages] == [
        "utter_handoff_human_requested",
        "utter_handoff_queued",
        "utter_handoff_reference",
    ]
    assert not notice.put_through


def test_outside_hours_the_customer_learns_when_a_person_replies() -> None:
    notice = handoff_notice(
        "negative_emotion",
        receipt(False),
        "socketio",
        False,
        datetime(2026, 11, 29, 22, 0, tzinfo=UTC),
    )
    assert notice.packet_part["text"].startswith("I'm sorry this has been so frustrating.")
    assert notice.packet_part["text"].endswith(
        "Our team is available Monday to Friday, 08:00 to 20:00 CET; a person will reply on "
        "Monday 30 November at 08:00 CET.\nYour reference is H-3F9A0C."
    )
    assert notice.packet_part["human_available_at"] == "2026-11-30T08:00:00+01:00"
    assert notice.packet_part["expected_wait_minutes"] is None


def test_a_caller_is_put_through_only_when_a_person_is_there_and_a_number_is_set() -> None:
    live = handoff_notice("human_requested", receipt(True), "twilio_voice", True, WEDNESDAY_MORNING)
    assert live.put_through
    assert live.packet_part["text"].endswith(
        "You're number two in the queue. The wait is about six minutes. Please stay on the "
        "line while I put you through."
    )
    for open_now, can in [(True, False), (False, True), (False, False)]:
        assert not handoff_notice(
            "human_requested", receipt(open_now), "twilio_voice", can, WEDNESDAY_MORNING
        ).put_through
    # Not on a call, whatever the metadata says.
    assert not handoff_notice(
        "human_requested", receipt(True), "rest", True, WEDNESDAY_MORNING
    ).put_through


def test_a_caller_not_put_through_hears_the_call_back_the_reference_and_goodbye() -> None:
    within = handoff_notice(
        "human_requested", receipt(True), "twilio_voice", False, WEDNESDAY_MORNING
    ).packet_part["text"]
    assert within.endswith(
        "A member of our team will call you back on this number in about six minutes.\n"
        "Your reference is H 3 F 9 A 0 C. Thank you for calling Brightwave. Goodbye."
    )
    after = handoff_notice(
        "human_requested",
        receipt(False),
        "twilio_voice",
        True,
        datetime(2026, 11, 29, 22, 0, tzinfo=UTC),
        can_text=True,
    ).packet_part["text"]
    assert after.endswith(
        "Our team is available Monday to Friday, from eight a m to eight p m, Central European "
        "Time. Would you like a call back when we open, on Monday the thirtieth of November "
        "at eight a m? You can also say another day and time, or say message, and we will "
        "text you your reference."
    )


def test_outside_hours_a_caller_is_offered_a_call_back_with_what_the_choice_needs() -> None:
    notice = handoff_notice(
        "human_requested", receipt(False), "twilio_voice", True, WEDNESDAY_MORNING, can_text=True
    )
    assert notice.callback_offer is not None
    assert notice.callback_offer["reference"] == "H-3F9A0C"
    assert notice.callback_offer["next_open"] == "2026-11-30T08:00:00+01:00"
    assert notice.callback_offer["can_text"] is True
    assert [m["response"] for m in notice.messages][-1] == "utter_callback_offer"
    # No number to send a text message from: none is offered.
    no_text = handoff_notice(
        "human_requested", receipt(False), "twilio_voice", True, WEDNESDAY_MORNING
    )
    assert no_text.callback_offer is not None and no_text.callback_offer["can_text"] is False
    assert [m["response"] for m in no_text.messages][-1] == "utter_callback_offer_call"
    assert "message" not in no_text.packet_part["text"].rsplit("\n", 1)[-1]
    within = handoff_notice(
        "human_requested", receipt(True), "twilio_voice", False, WEDNESDAY_MORNING
    )
    assert within.callback_offer is None
    chat = handoff_notice("human_requested", receipt(False), "socketio", False, WEDNESDAY_MORNING)
    assert chat.callback_offer is None


def test_a_receipt_without_hours_promises_no_time() -> None:
    bare = {"id": "x", "status": "ticket", "position": 1, "open_now": False}
    notice = handoff_notice("turn_limit", bare, "rest", False, WEDNESDAY_MORNING)
    assert notice.packet_part["text"].endswith("They'll reply as soon as they can.")
    assert notice.packet_part["human_available_at"] is None


@pytest.mark.parametrize(
    "hours, written, said",
    [
        (
            WEEKDAYS,
            "Monday to Friday, 08:00 to 20:00 CET",
            "Monday to Friday, from eight a m to eight p m, Central European Time",
        ),
        (
            {**WEEKDAYS, "days": ["sat", "mon"], "open": "09:30", "close": "14:00"},
            "Monday and Saturday, 09:30 to 14:00 CET",
            "Monday and Saturday, from nine thirty a m to two p m, Central European Time",
        ),
        (
            {**WEEKDAYS, "time_zone": "Europe/London", "days": ["mon", "wed", "fri"]},
            "Monday, Wednesday and Friday, 08:00 to 20:00 GMT",
            "Monday, Wednesday and Friday, from eight a m to eight p m, Greenwich Mean Time",
        ),
        (
            {
                **WEEKDAYS,
                "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                "open": "00:00",
                "close": "24:00",
            },
            "every day, around the clock",
            "every day, around the clock",
        ),
    ],
)
def test_the_desks_hours_in_words(hours: dict[str, Any], written: str, said: str) -> None:
    assert hours_words(hours, WEDNESDAY_MORNING) == {
        "support_hours": written,
        "support_hours_spoken": said,
    }


def test_summer_time_names_the_summer_zone() -> None:
    assert hours_words(WEEKDAYS, datetime(2026, 7, 1, tzinfo=UTC))["support_hours"].endswith("CEST")


@pytest.mark.parametrize(
    "reason_code",
    [
        "negative_emotion",
        "human_requested",
        "turn_limit",
        "low_confidence",
        "system_trouble",
        "sensitive_topic:fraud",
        "sensitive_topic:bereavement",
        "sensitive_topic:legal",
        "sensitive_topic:vulnerability",
        "sensitive_topic:something_new",
        "none",
    ],
)
def test_every_reason_is_told_kindly_without_blaming_the_customer(reason_code: str) -> None:
    sentence = render(reason_response(reason_code), {})
    assert "member of our team" in sentence or "specialist on our team" in sentence
    assert not re.search(
        r"\byou (did|didn't|failed|should have)\b|\byour fault\b", sentence, re.IGNORECASE
    )


def test_sensitive_topics_get_their_own_sentence() -> None:
    sentences = {
        reason_response(f"sensitive_topic:{topic}")
        for topic in ("fraud", "bereavement", "legal", "vulnerability", "other")
    }
    assert len(sentences) == 5
    assert "sorry for your loss" in render(reason_response("sensitive_topic:bereavement"), {})
