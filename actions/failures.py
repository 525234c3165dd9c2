"""What the customer hears when Brightwave's systems cannot answer: an apology and
the offer of a person, never silence or a stack trace."""

from typing import List

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.slots import BACKEND_FAILURES, HUMAN_OFFERED


def backend_trouble(dispatcher: CollectingDispatcher, tracker: Tracker,
                    counted: bool = False) -> List[EventType]:
    """Apologise and offer a person; count the failure unless it already was."""
    dispatcher.utter_message(response="utter_backend_down")
    events: List[EventType] = [SlotSet(HUMAN_OFFERED, True)]
    if not counted:
        failures = int(tracker.get_slot(BACKEND_FAILURES) or 0) + 1
        events.append(SlotSet(BACKEND_FAILURES, failures))
    return events
