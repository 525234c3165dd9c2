"""The one-question satisfaction prompt at the end of a chat or WhatsApp conversation,
on the channels metrics.yml's `satisfaction.channels` names (common/satisfaction.py),
and the customer's answer kept in the `satisfaction` slot, which the analytics service
reads from Rasa's events with the rest of the conversation."""

from functools import lru_cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from common.satisfaction import SCORES, Satisfaction, load_satisfaction

ASK = "action_ask_satisfaction"
RATE = "action_rate_satisfaction"
SLOT = "satisfaction"  # the answer, 1 to 5
ASKED_SLOT = "satisfaction_asked"
SCORE_ENTITY = "satisfaction_score"  # in the prompt's buttons' payloads


@lru_cache(maxsize=1)
def satisfaction_config() -> Satisfaction:
    """metrics.yml's satisfaction settings, read once (checked at the server's start)."""
    return load_satisfaction()


def score_of(tracker: Tracker) -> int | None:
    """The score the customer's message chose among the prompt's options, if any."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") != SCORE_ENTITY:
            continue
        try:
            score = int(str(entity.get("value")))
        except ValueError:
            return None
        return score if score in SCORES else None
    return None


class ActionAskSatisfaction(Action):
    """After the goodbye: the prompt, once per conversation session, on the channels
    metrics.yml asks on; elsewhere nothing."""

    def name(self) -> str:
        return ASK

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        channel = tracker.get_latest_input_channel()
        if tracker.get_slot(ASKED_SLOT) or not satisfaction_config().asked_on(channel):
            return []
        dispatcher.utter_message(response="utter_ask_satisfaction")
        return [SlotSet(ASKED_SLOT, True)]


class ActionRateSatisfaction(Action):
    """The customer's answer: kept when it is one of the prompt's options in a session
    that asked, and thanked for; anything else is thanked for and not kept."""

    def name(self) -> str:
        return RATE

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        score = score_of(tracker)
        dispatcher.utter_message(response="utter_satisfaction_thanks")
        if score is None or not tracker.get_slot(ASKED_SLOT):
            return []
        return [SlotSet(SLOT, score)]
