"""What the customer hears when Brightwave's systems cannot answer: an apology and
the offer of a person, never silence or a stack trace. The failure that reaches
escalation.yml's `system_trouble` limit is not offered a person: the escalation
policy hands the customer over right after it."""

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.slots import BACKEND_FAILURES, HUMAN_OFFERED
from escalation.config import escalation_config
from escalation.names import UNNAMED_CHANNEL


def failure_limit(tracker: Tracker) -> int:
    """How many backend failures hand this conversation over, on its channel."""
    channel = tracker.get_latest_input_channel() or UNNAMED_CHANNEL
    return escalation_config().for_channel(channel).system_trouble.max_backend_failures


def backend_trouble(
    dispatcher: CollectingDispatcher, tracker: Tracker, counted: bool = False
) -> list[EventType]:
    """Apologise and offer a person; count the failure unless it already was."""
    failures = int(tracker.get_slot(BACKEND_FAILURES) or 0) + (0 if counted else 1)
    if failures >= failure_limit(tracker):
        dispatcher.utter_message(response="utter_backend_down_again")
        events: list[EventType] = []
    else:
        dispatcher.utter_message(response="utter_backend_down")
        events = [SlotSet(HUMAN_OFFERED, True)]
    if not counted:
        events.append(SlotSet(BACKEND_FAILURES, failures))
    return events
