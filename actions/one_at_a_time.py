"""On a call, a customer's open records one at a time.

A caller cannot skim: three orders read out in one turn are too much to hold, and
"what about my other order?" used to repeat the first. So on the phone, when a
verified customer's open records of a kind are listed (no record named), the
assistant says how many there are, tells the first and offers the next ("You have
two open orders. Here's the first. … Shall I tell you about the second?"). What is
still to tell waits in the `answers_pending` slot; `more_to_tell` (featurized)
lets the rules send a yes or a no to action_list_next, and asking about the same
kind again ("what about my other order?") gets the next one too. Other channels
show the list at once.
"""

from typing import Any

from num2words import num2words
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.outcomes import ANSWERED, record, topic_goal
from actions.records import TOPICS
from actions.render import Answer
from actions.slots import HUMAN_OFFERED

SPOKEN = "twilio_voice"
PENDING = "answers_pending"
MORE = "more_to_tell"


def one_at_a_time(tracker: Tracker, record_named: bool, answers: list[Answer]) -> bool:
    """Whether the answers are offered one by one: a listing of several, on a call."""
    return tracker.get_latest_input_channel() == SPOKEN and not record_named and len(answers) > 1


def pending(tracker: Tracker, topic: str | None = None) -> dict[str, Any] | None:
    """What is still to tell (of the topic, when given), or None."""
    kept = tracker.get_slot(PENDING)
    if not isinstance(kept, dict) or not kept.get("answers"):
        return None
    return kept if topic is None or kept.get("topic") == topic else None


def first_of_many(
    dispatcher: CollectingDispatcher, topic: str, answers: list[Answer], language: str
) -> list[EventType]:
    """How many there are, the first, and the offer of the next."""
    dispatcher.utter_message(
        response=f"utter_list_intro_{topic}",
        count=len(answers),
        count_spoken=num2words(len(answers), lang=language),
    )
    return tell_next(dispatcher, {"topic": topic, "answers": answers})


def tell_next(dispatcher: CollectingDispatcher, kept: dict[str, Any]) -> list[EventType]:
    """The first answer still to tell, and the offer of the one after it."""
    (response, variables), *rest = kept["answers"]
    dispatcher.utter_message(response=response, **variables)
    if not rest:
        return stop()
    dispatcher.utter_message(response=f"utter_list_more_{kept['topic']}")
    return [
        SlotSet(PENDING, {**kept, "answers": rest}),
        SlotSet(MORE, True),
        SlotSet(HUMAN_OFFERED, False),
    ]


def stop() -> list[EventType]:
    return [SlotSet(PENDING, None), SlotSet(MORE, False)]


class ActionListNext(Action):
    """The caller's yes (the next record) or no (nothing more) to the offer."""

    def name(self) -> str:
        return "action_list_next"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        kept = pending(tracker)
        if kept is None or (tracker.latest_message.get("intent") or {}).get("name") == "deny":
            dispatcher.utter_message(response="utter_anything_else")
            return stop()
        goal = topic_goal(TOPICS.get(str(kept.get("topic"))))
        return tell_next(dispatcher, kept) + [
            record(tracker, self.name(), goal, ANSWERED, detail={"scope": "open"})
        ]
