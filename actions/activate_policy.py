"""Activate a device policy pending activation once the customer confirmed the device,
gave its serial number or IMEI and said yes to the terms restated
(actions/activation_form.py asked).

The activation goes through the backend client with an idempotency key from
(conversation, action, policy, serial, terms version): a doubled or repeated yes
activates once and hears the same start date. A refusal (a serial already covered, a
policy activated meanwhile) or a failure at the backend is told as it is: nothing was
activated, and a person is offered. The outcome lists the steps the journey went through.
"""

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client as backend
from actions.activation_form import (
    ALREADY_ACTIVE,
    CONFIRMED,
    DEVICE,
    GOAL,
    NONE_PENDING,
    POLICY,
    SERIAL,
    SLOTS,
    STOP,
    WRONG_DEVICE,
    activation_words,
    the_policy,
)
from actions.backend_writes import idempotency_key
from actions.failures import backend_trouble
from actions.journey import BACKEND, YES, Ending, JourneyEnd, unproven
from actions.language import conversation_language
from actions.lifecycle_config import lifecycle_config
from actions.outcomes import DECLINED, DONE, FAILED, NOT_FOUND, REFUSED, UNAVAILABLE, record
from actions.render import day
from actions.slots import HUMAN_OFFERED
from actions.verification import verified_customer

ACTION = "action_activate_policy"


def steps_taken(tracker: Tracker) -> list[str]:
    """The journey's steps the customer completed, in order (for metrics)."""
    done = {
        "policy_chosen": tracker.get_slot(POLICY),
        "device_confirmed": tracker.get_slot(DEVICE) == YES,
        "serial_given": tracker.get_slot(SERIAL),
        "terms_accepted": tracker.get_slot(CONFIRMED) == YES,
    }
    return ["verified", *(step for step, taken in done.items() if taken)]


class ActionActivatePolicy(JourneyEnd):
    """Activates the confirmed policy, or says truthfully why it was not activated."""

    action, slots, stop_slot = ACTION, SLOTS, STOP

    async def finish(self, ending: Ending) -> list[EventType]:
        dispatcher, tracker, events, stop = ending
        policy_id = tracker.get_slot(POLICY)

        def outcome(result: str, **detail: Any) -> EventType:
            detail = {"policy": policy_id, "steps": steps_taken(tracker), **detail}
            return record(tracker, ACTION, GOAL, result, policy_id, detail)

        refusal = unproven(dispatcher, tracker, outcome)
        if refusal is not None:
            return events + refusal
        if stop == BACKEND:
            return events + backend_trouble(dispatcher, tracker) + [outcome(UNAVAILABLE)]
        if stop == NONE_PENDING:
            dispatcher.utter_message(response="utter_activation_none_pending")
            return events + [outcome(NOT_FOUND, reason="none_pending")]
        if stop == ALREADY_ACTIVE:
            dispatcher.utter_message(response="utter_activation_already_active")
            return events + [outcome(NOT_FOUND, reason="already_active")]
        words = activation_words(tracker)
        if stop == WRONG_DEVICE:
            dispatcher.utter_message(response="utter_activation_wrong_device", **words)
            return events + [SlotSet(HUMAN_OFFERED, True), outcome(REFUSED, reason="wrong_device")]
        if tracker.get_slot(CONFIRMED) != YES:
            dispatcher.utter_message(response="utter_activation_not_done", **words)
            return events + [outcome(DECLINED)]
        return events + await self._activate(dispatcher, tracker, words, outcome)

    @staticmethod
    async def _activate(
        dispatcher: CollectingDispatcher, tracker: Tracker, words: dict[str, str], outcome: Any
    ) -> list[EventType]:
        policy = the_policy(tracker) or {}
        policy_id, serial = str(tracker.get_slot(POLICY)), str(tracker.get_slot(SERIAL))
        terms = lifecycle_config().activation.terms_version
        key = idempotency_key(tracker.sender_id, ACTION, policy_id, serial, terms)
        try:
            active = await backend.call(
                backend.client().activate_policy,
                key,
                policy_id,
                str(verified_customer(tracker)),
                str(policy.get("device", "")),
                serial,
                terms,
            )
        except (backend.BackendRejected, backend.RecordNotFound):
            # Refused, e.g. the device is already covered or the policy changed meanwhile.
            dispatcher.utter_message(response="utter_activation_refused", **words)
            return [SlotSet(HUMAN_OFFERED, True), outcome(FAILED, reason="rejected")]
        except backend.BackendError:  # nothing was activated: the customer hears so
            return backend_trouble(dispatcher, tracker) + [outcome(UNAVAILABLE, reason="backend")]
        dispatcher.utter_message(
            response="utter_activation_done",
            start_date=day(
                str(active.get("start_date") or ""), conversation_language(tracker.slots)
            ),
            **words,
        )
        return [outcome(DONE, terms_version=terms)]
