"""A customer's request for a person: acknowledged, and recorded on their file."""

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client as backend
from actions.slots import HUMAN_OFFERED, HUMAN_REQUESTED, VERIFIED_CUSTOMER_ID

logger = logging.getLogger(__name__)

SUMMARY_LIMIT = 500
UNKNOWN_HOURS = "during business hours"


async def _support_hours() -> str:
    try:
        policies = await backend.call(backend.client().policies)
    except backend.BackendError:
        return UNKNOWN_HOURS
    return str(policies.get("support_hours_human") or UNKNOWN_HOURS)


async def _record_request(tracker: Tracker, customer_id: Optional[str]) -> None:
    """Log the request on the customer's file; a backend failure must not stop
    the acknowledgement, so it is only logged here."""
    summary = (tracker.latest_message.get("text") or "asked for a person")[:SUMMARY_LIMIT]
    try:
        await backend.call(backend.client().log_interaction, tracker.sender_id,
                           tracker.get_latest_input_channel() or "unknown",
                           "human_requested", summary, customer_id)
    except backend.BackendError as error:
        logger.warning("could not record the request for a person: %s", error)


class ActionRequestHuman(Action):
    """Acknowledges the request for a person and records it."""

    def name(self) -> Text:
        return "action_request_human"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        await _record_request(tracker, tracker.get_slot(VERIFIED_CUSTOMER_ID))
        dispatcher.utter_message(response="utter_human_requested",
                                 support_hours=await _support_hours())
        return [SlotSet(HUMAN_REQUESTED, True), SlotSet(HUMAN_OFFERED, False)]


class ActionDeclineHuman(Action):
    """The customer said no to a person: carry on with the assistant."""

    def name(self) -> Text:
        return "action_decline_human"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(response="utter_anything_else")
        return [SlotSet(HUMAN_OFFERED, False)]
