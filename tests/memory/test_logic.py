"""The memory's pure logic: summaries from the outcome record, what the action server
sends after an action, and the variables of the memory's responses."""

from datetime import UTC, datetime

import pytest

from actions import spoken
from actions.memory_events import events_from_entities
from actions.memory_turns import conversation_record, external, sentiment_shift
from actions.memory_words import event_message, last_contact, when
from actions.responses import placeholders, render
from memory.live import grouped_entities
from memory.summary import summarise

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC).timestamp()  # a Wednesday
DAY = 86400


def k1(goal: str, result: str, record: str | None = None) -> dict:
    return {
        "action": "action_x",
        "goal": goal,
        "result": result,
        "record": record,
        "detail": {},
        "at": NOW,
    }


def test_the_summary_is_built_from_outcomes_only() -> None:
    facts = summarise(
        [
            k1("verify_identity", "verified", "C-1001"),
            k1("check_order_status", "answered", "BW-100002"),
            k1("check_invoice_status", "failed", "INV-900001"),
        ],
        False,
        False,
    )
    assert facts["goals"] == ["check_order_status", "check_invoice_status"]
    # The customer's own records only: not the customer id a verification names.
    assert facts["records"] == ["BW-100002", "INV-900001"]
    assert facts["outcome"] == "open"
    assert facts["summary"] == (
        "check order status BW-100002: answered; check invoice status INV-900001: failed"
    )
    assert summarise([k1("check_order_status", "answered")], False, True)["outcome"] == "resolved"
    assert summarise([k1("check_order_status", "not_found")], False, True)["outcome"] == "abandoned"
    assert summarise([], True, False)["outcome"] == "handed_over"


def test_the_day_is_said_as_people_say_it() -> None:
    assert when(NOW - 3600, NOW) == "earlier today"
    assert when(NOW - DAY, NOW) == "yesterday"
    assert when(NOW - 2 * DAY, NOW) == "on Monday"
    assert when(NOW - 10 * DAY, NOW) == "on 22 November"


def test_the_last_contact_names_channel_day_and_record_in_each_form() -> None:
    contact = {
        "channel": "twilio",
        "started_at": NOW - 1 * DAY,
        "outcome": "open",
        "records": ["C-1001", "BW-100002"],
    }
    response, variables = last_contact(contact, "Noah", NOW)
    assert response == "utter_memory_last_contact_open"
    assert variables == {
        "first_name": "Noah",
        "last_channel": "WhatsApp",
        "last_when": "yesterday",
        "last_subject": "order BW-100002",
        "last_subject_spoken": "order B W 1 0 0 0 0 2",
    }
    assert last_contact({**contact, "records": []}, "Noah", NOW) is None
    assert (
        last_contact({**contact, "outcome": "handed_over"}, "Noah", NOW)[0]
        == "utter_memory_last_contact_handed_over"
    )


def test_events_are_worded_from_their_data_and_page_views_are_not_said() -> None:
    event = {
        "id": 7,
        "type": "payment_failed",
        "record": "INV-900043",
        "data": {"customer_id": "C-1015", "invoice_id": "INV-900043", "detail": "card expired"},
    }
    assert event_message(event) == (
        "utter_memory_event_payment_failed",
        {
            "invoice_id": "INV-900043",
            "invoice_id_spoken": "I N V 9 0 0 0 4 3",
            "detail": "card expired",
        },
    )
    assert event_message({"type": "page_viewed", "data": {"page": "/x"}}) is None
    # What the memory sends as entities is what the live action reads back, each
    # event of a batch in its own group.
    delayed = {**event, "id": 8, "type": "shipment_delayed", "record": "BW-100002"}
    back = events_from_entities(grouped_entities([event, delayed]))
    assert [e["customer_id"] for e in back] == ["C-1015", "C-1015"]
    assert [event_message(e) for e in back] == [event_message(event), event_message(delayed)]


def tracker(events: list, slots: dict) -> dict:
    return {
        "sender_id": "webchat-1",
        "slots": slots,
        "events": events,
        "latest_input_channel": "socketio",
    }


def test_the_session_facts_go_with_the_record() -> None:
    events = [
        {"event": "session_started", "timestamp": NOW - 100},
        {"event": "user", "timestamp": NOW - 90, "parse_data": {"sentiment": {"score": -0.6}}},
    ]
    outcomes = [k1("check_order_status", "answered", "BW-100002")]
    call = {
        "next_action": "action_answer_request",
        "tracker": tracker(events, {"verified_customer_id": "C-1001", "outcomes": outcomes}),
    }
    record = conversation_record(call, {"events": []}, NOW)
    assert record["customer_id"] == "C-1001" and record["started_at"] == NOW - 100
    assert record["channel"] == "socketio" and record["sentiment"] == "negative"
    assert record["outcomes"] == outcomes and not record["handed_over"]


@pytest.mark.parametrize(
    "intent,taken_by_the_customer",
    [
        ("EXTERNAL_memory_event", False),
        ("EXTERNAL_outreach", False),
        ("check_order_status", True),
        (None, True),
    ],
)
def test_a_turn_another_system_started_is_not_the_customers_activity(
    intent: str | None, taken_by_the_customer: bool
) -> None:
    """An event told live or an outreach message would otherwise keep a conversation
    looking live, and count as the customer's contact."""
    conversation = tracker([], {"verified_customer_id": "C-1001"})
    conversation["latest_message"] = {"intent": {"name": intent}} if intent else {}
    assert external({"tracker": conversation}) is not taken_by_the_customer


def test_the_outcomes_slot_is_read_when_present_and_nothing_goes_unverified() -> None:
    outcomes = [k1("check_claim_status", "answered", "CLM-70001")]
    call = {"next_action": "action_x", "tracker": tracker([], {"outcomes": []})}
    answer = {
        "events": [
            {"event": "slot", "name": "verified_customer_id", "value": "C-1001"},
            {"event": "slot", "name": "outcomes", "value": outcomes},
            {"event": "pause"},
        ]
    }
    record = conversation_record(call, answer, NOW)
    assert record["outcomes"] == outcomes and record["handed_over"]
    assert conversation_record(call, {"events": []}, NOW) is None  # not verified


def test_a_hand_overs_reason_code_goes_with_its_outcome() -> None:
    """Outreach reads it from the timeline: a never-automated topic on file."""
    handed = {
        **k1("hand_over", "handed_over", "HO-1"),
        "detail": {"reason_code": "sensitive_topic:bereavement", "note": "n"},
    }
    answered = k1("check_order_status", "answered", "BW-100002")
    call = {
        "next_action": "action_x",
        "tracker": tracker([], {"verified_customer_id": "C-1001", "outcomes": [answered, handed]}),
    }
    kept = conversation_record(call, {"events": []}, NOW)["outcomes"]
    assert kept == [answered, {**handed, "reason": "sensitive_topic:bereavement"}]


def said(score: float | None, at: float) -> dict:
    parse_data = {"sentiment": {"score": score}} if score is not None else {}
    return {"event": "user", "text": "(never sent)", "timestamp": at, "parse_data": parse_data}


def shift_after(messages: list, slots: dict | None = None) -> dict | None:
    events = [{"event": "session_started", "timestamp": NOW - 100}, *messages]
    verified = {"verified_customer_id": "C-1001"} if slots is None else slots
    call = {"next_action": "action_x", "tracker": tracker(events, verified)}
    return sentiment_shift(call, {"events": []})


def test_a_message_that_turns_the_sentiment_negative_is_a_shift_once() -> None:
    assert shift_after([said(0.1, NOW - 90), said(-0.7, NOW - 80)]) == {
        "customer_id": "C-1001",
        "conversation_id": "webchat-1",
        "from": "neutral",
        "to": "negative",
        "at": NOW - 80,
    }
    assert shift_after([said(0.6, NOW - 90), said(-0.4, NOW - 80)])["from"] == "positive"
    # The first message of the session, or one after a message without a score.
    assert shift_after([said(-0.9, NOW - 90)])["from"] is None
    assert shift_after([said(None, NOW - 90), said(-0.9, NOW - 80)])["from"] is None
    # Staying negative is no new shift; not negative, none at all.
    assert shift_after([said(-0.5, NOW - 90), said(-0.9, NOW - 80)]) is None
    assert shift_after([said(-0.5, NOW - 90), said(0.0, NOW - 80)]) is None
    assert shift_after([]) is None
    # Nothing is recorded of a customer who is not verified.
    assert shift_after([said(0.1, NOW - 90), said(-0.7, NOW - 80)], slots={}) is None
    # A shift is an event of the timeline, never told to the customer.
    assert event_message({"type": "sentiment_shift", "data": {"to": "negative"}}) is None


EVENTS = [
    {"type": "payment_failed", "record": "INV-900043", "data": {"detail": "card expired"}},
    {"type": "shipment_delayed", "record": "BW-100002", "data": {"detail": "customs"}},
    {"type": "order_delivered", "record": "BW-100008", "data": {}},
    {"type": "claim_updated", "record": "CLM-70001", "data": {"status": "approved"}},
    {"type": "appointment_missed", "record": "APT-3001", "data": {}},
]


@pytest.mark.parametrize("outcome", ["open", "resolved", "handed_over", "abandoned"])
def test_every_variant_of_the_last_contact_is_filled(outcome: str) -> None:
    contact = {
        "channel": "email",
        "started_at": NOW - DAY,
        "outcome": outcome,
        "records": ["CLM-70001"],
    }
    response, variables = last_contact(contact, "Noah", NOW)
    assert placeholders(response) <= set(variables)
    assert "{" not in render(response, variables, "twilio_voice")


@pytest.mark.parametrize("event", EVENTS, ids=[e["type"] for e in EVENTS])
def test_every_variant_of_each_event_is_filled(event: dict) -> None:
    response, variables = event_message(event)
    assert placeholders(response) <= set(variables), response
    for channel in (None, "twilio_voice", "email"):
        assert event["record"] in render(response, variables, channel).replace(
            " ", ""
        ) or spoken.spell(event["record"]) in render(response, variables, channel)


def test_the_welcome_and_since_responses_exist() -> None:
    assert placeholders("utter_memory_welcome") == {"first_name"}
    assert placeholders("utter_memory_since") == set()
