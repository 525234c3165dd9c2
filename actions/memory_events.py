"""Business events reaching a live conversation: the memory triggers the intent
`EXTERNAL_memory_event` over Rasa's HTTP API with the events' data as entities (one
entity `group` per event, memory/live.py), and this action says each on the
customer's channel, only in the conversation of the verified customer it is about."""

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.language import conversation_language
from actions.memory_words import event_message
from actions.slots import VERIFIED_CUSTOMER_ID
from common.channel_metadata import LIVE_EVENT

logger = logging.getLogger(__name__)
PREFIX = "memory_event_"


def events_from_entities(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events as the memory sent them (`memory_event_*` entities, by group)."""
    groups: dict[str, dict[str, Any]] = {}
    for entity in entities:
        name = str(entity.get("entity", ""))
        if name.startswith(PREFIX):
            values = groups.setdefault(str(entity.get("group") or "0"), {})
            values[name[len(PREFIX) :]] = entity.get("value")
    return [
        {
            "id": values.get("id"),
            "type": values.get("type"),
            "record": values.get("record"),
            "customer_id": values.get("customer"),
            "data": {"detail": values.get("detail")},
        }
        for values in groups.values()
    ]


class ActionMemoryEvent(Action):
    def name(self) -> str:
        return "action_memory_event"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        for event in events_from_entities(tracker.latest_message.get("entities") or []):
            if event["customer_id"] != tracker.get_slot(VERIFIED_CUSTOMER_ID) or not event["id"]:
                logger.warning(
                    "memory.event.not_said id=%s: not this conversation's verified customer",
                    event["id"],
                )
                continue
            message = event_message(event, conversation_language(tracker.slots))
            if message:
                dispatcher.utter_message(response=message[0], **message[1], **{LIVE_EVENT: True})
        return []
