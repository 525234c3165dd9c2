"""Carry out what a customer who wanted to cancel a device policy chose
(actions/cancel_form.py asked why and made lifecycle.yml's offer).

An accepted offer (switch to the basic plan, a month free) is recorded and handed to a
person with a packet: the sample backend has no write for either, so the customer is
told a colleague will set it up and that nothing has changed yet. A declined offer (or
none) and a yes to the cancellation restated cancel through the backend client with an
idempotency key from (conversation, action, policy, reason): a doubled yes cancels once
and hears the same end date, which the backend computes from the company's notice
period. A customer at lifecycle.yml's yearly limit goes to a person with a packet."""

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client as backend
from actions.backend_writes import idempotency_key
from actions.cancel_form import (
    CONFIRMED,
    GOAL,
    NO_OFFER,
    NO_POLICY,
    OFFER,
    OFFER_ANSWER,
    OVER_LIMIT,
    POLICY,
    REASON,
    SLOTS,
    STOP,
    cancel_words,
)
from actions.failures import backend_trouble
from actions.file_claim import limit_decision
from actions.journey import BACKEND, OTHER_GOAL, YES, answer_instead, ended, unproven
from actions.outcomes import (
    DECLINED,
    DONE,
    FAILED,
    HANDED_OVER,
    NOT_FOUND,
    UNAVAILABLE,
    record,
)
from actions.render import day
from actions.slots import HUMAN_OFFERED
from actions.verification import verified_customer
from escalation.names import DECISION_SLOT, ESCALATE_ACTION

ACTION = "action_cancel_policy"
LIMIT_RULE = "lifecycle.retention.max_cancellations_per_year"
OFFER_RULE = "lifecycle.retention.offers"


def steps_taken(tracker: Tracker) -> list[str]:
    """The journey's steps the customer completed, in order (for metrics)."""
    offer, answer = tracker.get_slot(OFFER), tracker.get_slot(OFFER_ANSWER)
    done = {
        "policy_chosen": tracker.get_slot(POLICY),
        "reason_given": tracker.get_slot(REASON),
        "offer_made": offer not in (None, NO_OFFER),
        "offer_accepted": answer == YES,
        "offer_declined": answer not in (None, YES),
        "cancellation_confirmed": tracker.get_slot(CONFIRMED) == YES,
    }
    return ["verified", *(step for step, taken in done.items() if taken)]


class ActionCancelPolicy(Action):
    """Cancels the confirmed policy, hands an accepted offer over, or says why not."""

    def name(self) -> str:
        return ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        events = ended(SLOTS)
        stop = tracker.get_slot(STOP)
        if stop == OTHER_GOAL:
            return await answer_instead(dispatcher, tracker, domain, SLOTS)
        policy_id, offer = tracker.get_slot(POLICY), tracker.get_slot(OFFER)

        def outcome(result: str, **detail: Any) -> EventType:
            detail = {
                "policy": policy_id,
                "reason": tracker.get_slot(REASON),
                "offer": offer,
                "steps": steps_taken(tracker),
                **detail,
            }
            return record(tracker, ACTION, GOAL, result, policy_id, detail)

        refusal = unproven(dispatcher, tracker, outcome)
        if refusal is not None:
            return events + refusal
        if stop == BACKEND:
            return events + backend_trouble(dispatcher, tracker) + [outcome(UNAVAILABLE)]
        if stop == NO_POLICY:
            dispatcher.utter_message(response="utter_cancel_no_policy")
            return events + [outcome(NOT_FOUND, reason="no_policy")]
        words = cancel_words(tracker)
        if stop == OVER_LIMIT:
            dispatcher.utter_message(response="utter_cancel_to_person")
            return events + self._hand_over(tracker, outcome, LIMIT_RULE, "cancellation", {})
        if tracker.get_slot(OFFER_ANSWER) == YES:
            dispatcher.utter_message(response=f"utter_cancel_offer_accepted_{offer}", **words)
            return events + self._hand_over(tracker, outcome, OFFER_RULE, "offer", {"offer": offer})
        if tracker.get_slot(CONFIRMED) != YES:
            dispatcher.utter_message(response="utter_cancel_not_done", **words)
            return events + [outcome(DECLINED)]
        return events + await self._cancel(dispatcher, tracker, words, outcome)

    @staticmethod
    def _hand_over(
        tracker: Tracker, outcome: Any, rule: str, what: str, values: dict[str, Any]
    ) -> list[EventType]:
        """To a person with a packet: the outcome and the decision name the rule."""
        decision = limit_decision(tracker, values, f"action_limit:{what}", rule)
        return [
            outcome(HANDED_OVER, reason=what, rule=rule),
            SlotSet(DECISION_SLOT, decision),
            FollowupAction(ESCALATE_ACTION),
        ]

    @staticmethod
    async def _cancel(
        dispatcher: CollectingDispatcher, tracker: Tracker, words: dict[str, str], outcome: Any
    ) -> list[EventType]:
        policy_id, reason = str(tracker.get_slot(POLICY)), str(tracker.get_slot(REASON))
        key = idempotency_key(tracker.sender_id, ACTION, policy_id, reason)
        try:
            cancelled = await backend.call(
                backend.client().cancel_policy,
                key,
                policy_id,
                str(verified_customer(tracker)),
                reason,
            )
        except (backend.BackendRejected, backend.RecordNotFound):
            dispatcher.utter_message(response="utter_cancel_refused", **words)
            return [SlotSet(HUMAN_OFFERED, True), outcome(FAILED, reason="rejected")]
        except backend.BackendError:  # nothing was cancelled: the customer hears so
            return backend_trouble(dispatcher, tracker) + [outcome(UNAVAILABLE, reason="backend")]
        ends = str(cancelled.get("effective_date") or "")
        dispatcher.utter_message(
            response="utter_cancel_done",
            end_date=day(ends),
            **{**words, "notice_days": str(cancelled.get("notice_days", words["notice_days"]))},
        )
        return [outcome(DONE, effective_date=ends)]
