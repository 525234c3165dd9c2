"""The offer to go on with a journey left half-way (actions/resume.py), naming what
was already given, in the journey's own response."""

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.journey import latest_goal, resumable
from actions.language import conversation_language
from actions.render import join_words
from actions.resume import PAUSED


class ActionAskJourneyResume(Action):
    """'You started a claim earlier: … Shall we go on from there?'"""

    def name(self) -> str:
        return "action_ask_journey_resume"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        goal = latest_goal(tracker) or ""
        form = resumable().get(goal)
        given = form().given(tracker, tracker.get_slot(PAUSED) or {}) if form else []
        dispatcher.utter_message(
            response=f"utter_ask_journey_resume_{goal}",
            given=join_words(given, "and", conversation_language(tracker.slots)),
        )
        return []
