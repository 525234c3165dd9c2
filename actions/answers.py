"""The answer to an order, claim or invoice question, once the form has verified
who is asking."""

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client as backend
from actions import lockout
from actions import one_at_a_time as one_by_one
from actions.failures import backend_trouble
from actions.language import conversation_language
from actions.outcomes import ANSWERED, FAILED, NOT_FOUND, REFUSED, UNAVAILABLE, record, topic_goal
from actions.records import RecordKind
from actions.render import (
    RECORD_ANSWERS,
    Answer,
    not_on_account,
    open_records,
)
from actions.slots import (
    BACKEND_ERROR,
    HUMAN_OFFERED,
    VERIFICATION_FAILED,
    VERIFICATION_LOCKED,
    request_finished,
)
from actions.verification import current_topic, verified_customer

ACTION = "action_answer_request"


async def _answers(
    topic: RecordKind, record_id: Any, customer_id: str, locale: str
) -> list[Answer]:
    """The responses (and their variables) that answer the request, from the backend's
    records, their dates and amounts in the conversation's language."""
    client = backend.client()
    policies: dict[str, Any] = {}
    if topic.topic == "invoice":
        policies = await backend.call(client.policies)
    if record_id:
        record = await backend.call(client.record, topic.collection, str(record_id))
        if record.get("customer_id") != customer_id:
            raise PermissionError(record_id)
        return [RECORD_ANSWERS[topic.topic](record, policies, locale)]
    records = await backend.call(client.customer_records, customer_id, topic.collection)
    return open_records(topic.topic, records, policies, locale)


class ActionAnswerRequest(Action):
    """Tells a verified customer about the record they asked for, or their open
    records of that kind; says why not when verification failed or the backend
    is down. Either way the request's references are cleared for the next one."""

    def name(self) -> str:
        return ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        topic = current_topic(tracker)
        record_id = topic.normalize(tracker.get_slot(topic.slot)) if topic else None

        def outcome(result: str, **detail: Any) -> EventType:
            return record(tracker, ACTION, topic_goal(topic), result, record_id, detail)

        events = request_finished()
        if tracker.get_slot(VERIFICATION_LOCKED):
            dispatcher.utter_message(response="utter_account_locked")
            return events + [SlotSet(HUMAN_OFFERED, True), outcome(REFUSED, reason="locked")]
        if tracker.get_slot(VERIFICATION_FAILED):
            dispatcher.utter_message(response="utter_verification_failed")
            return events + [SlotSet(HUMAN_OFFERED, True), outcome(REFUSED, reason="not_verified")]
        if tracker.get_slot(BACKEND_ERROR):
            return (
                events
                + backend_trouble(dispatcher, tracker, counted=True)
                + [outcome(UNAVAILABLE, reason="backend")]
            )
        customer_id = verified_customer(tracker)
        if topic is None or customer_id is None:
            dispatcher.utter_message(response="utter_default")
            return events + [outcome(FAILED, reason="unclear")]
        record_named = bool(tracker.get_slot(topic.slot))
        locale = conversation_language(tracker.slots)
        kept = None if record_named else one_by_one.pending(tracker, topic.topic)
        if kept is not None:  # "what about my other order?" on a call: the next one
            return (
                events + one_by_one.tell_next(dispatcher, kept) + [outcome(ANSWERED, scope="open")]
            )
        try:
            # A record locked after someone else's guesses is locked on every channel,
            # for sessions verified before the lock or vouched for by an integration too.
            if (await asyncio.to_thread(lockout.store().status, customer_id)).locked:
                dispatcher.utter_message(response="utter_account_locked")
                return events + [SlotSet(HUMAN_OFFERED, True), outcome(REFUSED, reason="locked")]
            answers = await _answers(topic, tracker.get_slot(topic.slot), customer_id, locale)
        except (PermissionError, backend.RecordNotFound):
            # Unknown and someone else's read the same (the form says so too).
            dispatcher.utter_message(
                response="utter_record_not_on_account",
                **not_on_account(topic, tracker.get_slot(topic.slot), locale),
            )
            return events + [outcome(NOT_FOUND)]
        except backend.BackendError:
            return (
                events
                + backend_trouble(dispatcher, tracker)
                + [outcome(UNAVAILABLE, reason="backend")]
            )
        # Without a record id the customer's open records were listed.
        answered = outcome(ANSWERED) if record_id else outcome(ANSWERED, scope="open")
        if one_by_one.one_at_a_time(tracker, record_named, answers):
            return (
                events
                + one_by_one.first_of_many(dispatcher, topic.topic, answers, locale)
                + [answered]
            )
        for response, variables in answers:
            dispatcher.utter_message(response=response, **variables)
        return events + one_by_one.stop() + [answered]
