"""Carry out what a customer who wanted to cancel a device policy chose
(actions/cancel_form.py asked why and made lifecycle.yml's offer).

An accepted offer (switch to the basic plan, a month free) is carried out through the
backend client with an idempotency key from (conversation, action, policy, offer) and
confirmed in writing with what changed (the new plan, cover, excess and premium, or the
month credited); a month free dearer than lifecycle.yml's limit is handed to a person
with a packet, nothing changed yet. A declined offer (or none) and a yes to the cancellation restated cancel through the backend client with an
idempotency key from (conversation, action, policy, reason): a doubled yes cancels once
and hears the same end date, which the backend computes from the company's notice
period. A customer at lifecycle.yml's yearly limit goes to a person with a packet."""

from collections.abc import Callable
from datetime import date
from typing import Any

from babel.dates import format_skeleton
from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet

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
    POLICIES,
    POLICY,
    REASON,
    SLOTS,
    STOP,
    cancel_words,
)
from actions.claim_facts import incident_words
from actions.failures import backend_trouble
from actions.file_claim import limit_decision
from actions.journey import BACKEND, YES, Ending, JourneyEnd, unproven
from actions.language import conversation_language
from actions.lifecycle_config import lifecycle_config
from actions.outcomes import (
    DECLINED,
    DONE,
    FAILED,
    HANDED_OVER,
    NOT_FOUND,
    UNAVAILABLE,
    record,
)
from actions.render import DEFAULT_LOCALE, day, join_words, money, value_text
from actions.slots import HUMAN_OFFERED
from actions.verification import verified_customer
from escalation.names import DECISION_SLOT, ESCALATE_ACTION

ACTION = "action_cancel_policy"
LIMIT_RULE = "lifecycle.retention.max_cancellations_per_year"
OFFER_LIMIT_RULE = "lifecycle.retention.month_free_max_credit"
MONTH_FREE = "month_free"


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


class ActionCancelPolicy(JourneyEnd):
    """Cancels the confirmed policy, hands an accepted offer over, or says why not."""

    action, slots, stop_slot = ACTION, SLOTS, STOP

    async def finish(self, ending: Ending) -> list[EventType]:
        dispatcher, tracker, events, stop = ending
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
            premium = float(the_premium(tracker))
            if offer == MONTH_FREE and premium > lifecycle_config().retention.month_free_max_credit:
                dispatcher.utter_message(response=f"utter_cancel_offer_accepted_{offer}", **words)
                values = {"offer": offer, "credit": premium}
                return events + self._hand_over(tracker, outcome, OFFER_LIMIT_RULE, "offer", values)
            return events + await self._retain(ending, words, outcome)
        if tracker.get_slot(CONFIRMED) != YES:
            dispatcher.utter_message(response="utter_cancel_not_done", **words)
            return events + [outcome(DECLINED)]
        return events + await self._cancel(ending, words, outcome)

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
    async def _write(
        ending: Ending,
        words: dict[str, str],
        outcome: Any,
        write: Callable[..., dict[str, Any]],
        choice: str,
        refused: str,
    ) -> dict[str, Any] | list[EventType]:
        """One write on the chosen policy (choice: the offer or the reason), with its
        own idempotency key: the backend's answer, or the events that say truthfully
        nothing was changed."""
        dispatcher, tracker = ending.dispatcher, ending.tracker
        policy_id = str(tracker.get_slot(POLICY))
        key = idempotency_key(tracker.sender_id, ACTION, policy_id, choice)
        try:
            return await backend.call(
                write, key, policy_id, str(verified_customer(tracker)), choice
            )
        except (backend.BackendRejected, backend.RecordNotFound):
            dispatcher.utter_message(response=refused, **words)
            return [SlotSet(HUMAN_OFFERED, True), outcome(FAILED, reason="rejected")]
        except backend.BackendError:  # nothing was changed: the customer hears so
            return backend_trouble(dispatcher, tracker) + [outcome(UNAVAILABLE, reason="backend")]

    async def _retain(self, ending: Ending, words: dict[str, str], outcome: Any) -> list[EventType]:
        """Carry the accepted offer out and confirm in writing what changed."""
        offer = str(ending.tracker.get_slot(OFFER))
        kept = await self._write(
            ending,
            words,
            outcome,
            backend.client().retain_policy,
            offer,
            "utter_cancel_offer_refused",
        )
        if isinstance(kept, list):
            return kept
        ending.dispatcher.utter_message(
            response=f"utter_cancel_offer_done_{offer}",
            **offer_words(kept, conversation_language(ending.tracker.slots)),
        )
        return [outcome(DONE, kept=offer, retention_id=kept.get("retention_id"))]

    async def _cancel(self, ending: Ending, words: dict[str, str], outcome: Any) -> list[EventType]:
        reason = str(ending.tracker.get_slot(REASON))
        cancelled = await self._write(
            ending, words, outcome, backend.client().cancel_policy, reason, "utter_cancel_refused"
        )
        if isinstance(cancelled, list):
            return cancelled
        ends = str(cancelled.get("effective_date") or "")
        ending.dispatcher.utter_message(
            response="utter_cancel_done",
            end_date=day(ends, conversation_language(ending.tracker.slots)),
            **{**words, "notice_days": str(cancelled.get("notice_days", words["notice_days"]))},
        )
        return [outcome(DONE, effective_date=ends)]


def the_premium(tracker: Tracker) -> float:
    """The chosen policy's monthly premium, as the backend gave it to the form."""
    wanted = tracker.get_slot(POLICY)
    policies: list[dict[str, Any]] = tracker.get_slot(POLICIES) or []
    policy = next((p for p in policies if p["id"] == wanted), {})
    return float(policy.get("premium", 0))


def offer_words(kept: dict[str, Any], language: str = DEFAULT_LOCALE) -> dict[str, str]:
    """What the written confirmation of a carried-out offer says, from the backend's
    answer: the policy as it now stands and what changed."""
    currency = str(kept.get("currency") or "EUR")
    free_month = str(kept.get("free_month") or "")
    return {
        "policy_id": str(kept.get("id", "")),
        "device": str(kept.get("device", "")),
        "plan": value_text("plan", kept.get("plan", ""), language),
        "previous_plan": value_text("plan", kept.get("previous_plan", ""), language),
        "covered": join_words(
            [incident_words(k, language) for k in kept.get("covers") or []], "and", language
        ),
        "excess": money(float(kept.get("excess") or 0), currency, language),
        "premium": money(float(kept.get("premium_monthly") or 0), currency, language),
        "credit": money(float(kept.get("credit") or 0), currency, language),
        "free_month": month_words(free_month, language),
        "applied_on": day(str(kept.get("applied_on") or ""), language),
    }


def month_words(iso: str, language: str = DEFAULT_LOCALE) -> str:
    """'2026-12-01' → 'December 2026' ('Dezember 2026' in German)."""
    if not iso:
        return ""
    return format_skeleton("yMMMM", date.fromisoformat(iso[:10]), locale=language)
