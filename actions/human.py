"""The customer's answer to the offer of a person: a yes is a hand-over (see
actions/escalate.py, by a rule); a no carries on with the assistant."""

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.outcomes import DECLINED, HAND_OVER, record
from actions.slots import HUMAN_OFFERED

ACTION = "action_decline_human"


class ActionDeclineHuman(Action):
    """The customer said no to a person: carry on with the assistant."""

    def name(self) -> str:
        return ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_anything_else")
        return [SlotSet(HUMAN_OFFERED, False), record(tracker, ACTION, HAND_OVER, DECLINED)]
