"""Answers to questions about company policy, read from the backend each time so a
changed policy changes the answer without retraining. The team's support hours are
the desk's (it decides who is handed over live), read from its queue."""

import asyncio
from datetime import UTC, datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client as backend
from actions.desk_client import desk
from actions.failures import backend_trouble
from actions.language import conversation_language
from actions.outcomes import ANSWERED, FAILED, UNAVAILABLE, UNKNOWN_GOAL, record
from actions.render import POLICY_ANSWERS, support_hours_answer

SUPPORT_HOURS = "ask_support_hours"

ACTION = "action_answer_policy"


class ActionAnswerPolicy(Action):
    """Answers the policy question named by the latest intent."""

    def name(self) -> str:
        return ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        intent = tracker.get_intent_of_latest_message() or ""
        answer = POLICY_ANSWERS.get(intent)
        if answer is None and intent != SUPPORT_HOURS:
            dispatcher.utter_message(response="utter_default")
            return [record(tracker, ACTION, UNKNOWN_GOAL, FAILED, detail={"reason": "unclear"})]
        try:
            if answer is None:
                policies, queue = await asyncio.gather(
                    backend.call(backend.client().policies), backend.call(desk().queue)
                )
                response, variables = support_hours_answer(
                    queue["hours"],
                    policies,
                    datetime.now(UTC),
                    conversation_language(tracker.slots),
                )
            else:
                policies = await backend.call(backend.client().policies)
                response, variables = answer(policies, conversation_language(tracker.slots))
        except (backend.BackendError, KeyError, TypeError):
            return backend_trouble(dispatcher, tracker) + [
                record(tracker, ACTION, intent, UNAVAILABLE, detail={"reason": "backend"})
            ]
        dispatcher.utter_message(response=response, **variables)
        return [record(tracker, ACTION, intent, ANSWERED)]
