"""A backend failure: the offer of a person, until the one that hands over anyway."""

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.failures import backend_trouble, failure_limit


def tracker(failures: int, channel: str = "rest") -> Tracker:
    events: list[dict[str, Any]] = [{"event": "user", "text": "hi", "input_channel": channel}]
    return Tracker("customer", {"backend_failures": failures}, {}, events, False, None, {}, "")


def said(failures: int, counted: bool = False) -> tuple[list[str], list[Any]]:
    dispatcher = CollectingDispatcher()
    events = backend_trouble(dispatcher, tracker(failures), counted)
    return [m["response"] for m in dispatcher.messages], events


def test_the_first_failure_offers_a_person_and_is_counted() -> None:
    responses, events = said(0)
    assert responses == ["utter_backend_down"]
    assert {e["name"]: e["value"] for e in events} == {"human_offered": True, "backend_failures": 1}


def test_the_failure_that_reaches_the_limit_offers_nothing() -> None:
    assert failure_limit(tracker(0)) == 2
    responses, events = said(1)
    assert responses == ["utter_backend_down_again"]
    assert {e["name"]: e["value"] for e in events} == {"backend_failures": 2}


def test_a_failure_already_counted_is_not_counted_again() -> None:
    responses, events = said(2, counted=True)
    assert responses == ["utter_backend_down_again"] and events == []
