"""On a call, open records are told one at a time; elsewhere all at once."""

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.one_at_a_time import (
    MORE,
    PENDING,
    first_of_many,
    one_at_a_time,
    pending,
    stop,
    tell_next,
)

ANSWERS = [
    ("utter_order_delayed", {"order_id": "BW-1"}),
    ("utter_order_processing", {"order_id": "BW-2"}),
    ("utter_order_shipped", {"order_id": "BW-3"}),
]


def tracker(channel: str = "twilio_voice", slots: dict[str, Any] | None = None) -> Tracker:
    return Tracker(
        "c",
        slots or {},
        {"intent": {"name": "affirm"}},
        [{"event": "user", "input_channel": channel}],
        False,
        None,
        {},
        "action_listen",
    )


def said(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["response"] for m in dispatcher.messages]


def test_only_a_listing_of_several_on_a_call_goes_one_by_one() -> None:
    assert one_at_a_time(tracker(), record_named=False, answers=list(ANSWERS))
    assert not one_at_a_time(tracker("socketio"), record_named=False, answers=list(ANSWERS))
    assert not one_at_a_time(tracker(), record_named=True, answers=list(ANSWERS))
    assert not one_at_a_time(tracker(), record_named=False, answers=ANSWERS[:1])


def test_the_count_the_first_and_the_offer_of_the_second_then_each_in_turn() -> None:
    dispatcher = CollectingDispatcher()
    events = first_of_many(dispatcher, "order", list(ANSWERS), "en")
    assert said(dispatcher) == [
        "utter_list_intro_order",
        "utter_order_delayed",
        "utter_list_more_order",
    ]
    assert dispatcher.messages[0]["count_spoken"] == "three"
    slots = {e["name"]: e["value"] for e in events}
    assert slots[MORE] is True and len(slots[PENDING]["answers"]) == 2

    kept = pending(tracker(slots=slots), "order")
    assert kept is not None and pending(tracker(slots=slots), "claim") is None
    dispatcher = CollectingDispatcher()
    events = tell_next(dispatcher, kept)
    assert said(dispatcher) == ["utter_order_processing", "utter_list_more_order"]
    slots = {e["name"]: e["value"] for e in events}
    dispatcher = CollectingDispatcher()
    assert tell_next(dispatcher, slots[PENDING]) == stop()  # the last: nothing more offered
    assert said(dispatcher) == ["utter_order_shipped"]
