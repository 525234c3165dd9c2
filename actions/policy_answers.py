"""Answers to questions about company policy, read from the backend each time so a
changed policy changes the answer without retraining."""

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client as backend
from actions.failures import backend_trouble
from actions.outcomes import ANSWERED, FAILED, UNAVAILABLE, UNKNOWN_GOAL, record
from actions.render import POLICY_ANSWERS

ACTION = "action_answer_policy"


class ActionAnswerPolicy(Action):
    """Answers the policy question named by the latest intent."""

    def name(self) -> Text:
        return ACTION

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        intent = tracker.get_intent_of_latest_message() or ""
        answer = POLICY_ANSWERS.get(intent)
        if answer is None:
            dispatcher.utter_message(response="utter_default")
            return [record(tracker, ACTION, UNKNOWN_GOAL, FAILED, detail={"reason": "unclear"})]
        try:
            policies = await backend.call(backend.client().policies)
            response, variables = answer(policies)
        except (backend.BackendError, KeyError):
            return backend_trouble(dispatcher, tracker) + [
                record(tracker, ACTION, intent, UNAVAILABLE, detail={"reason": "backend"})]
        dispatcher.utter_message(response=response, **variables)
        return [record(tracker, ACTION, intent, ANSWERED)]
