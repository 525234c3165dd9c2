"""The cancellation form: which device policy (asked only when several), why the
customer wants to cancel, the retention offer lifecycle.yml's rules make for that
reason, plan, tier and tenure (if any), and, when the offer is declined or there is
none, the customer's yes to the cancellation restated with the notice period
(actions/cancel_policy.py carries out what was chosen).

The policies, the customer's tier and tenure and the notice period come from the
backend only. The form ends early, with the reason in `cancel_stop`, when there is no
policy to cancel, the customer reached lifecycle.yml's yearly limit, the customer
stopped, the backend is down, or another journey was asked for since.
"""

import re
from datetime import date
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client as backend
from actions.claim_form import chosen_policy, policy_summary
from actions.journey import BACKEND, YES, JourneyForm, Reply, ask_which_policy, leaving
from actions.language import conversation_language
from actions.lifecycle_config import lifecycle_config
from actions.render import value_text

GOAL = "cancel_policy"
FORM = "cancel_form"
POLICIES = "cancel_policies"  # the customer's active or pending policies
FACTS = "cancel_facts"  # tier, tenure in months, cancellations this year, notice days
POLICY = "cancel_policy_id"
REASON = "cancel_reason"
OFFER = "cancel_offer"  # the offer the rules make, once the reason is known
OFFER_ANSWER = "cancel_offer_answer"
CONFIRMED = "cancel_confirmed"
STOP = "cancel_stop"
ASKED = [POLICY, REASON, OFFER_ANSWER, CONFIRMED]
SLOTS = [POLICIES, FACTS, *ASKED, OFFER, STOP, "cancel_starting"]
# Why the form ended without a yes or no (cancel_stop).
NO_POLICY = "no_policy"
OVER_LIMIT = "over_limit"
CANCELLABLE = ("active", "pending_activation")
CANCELLED = "cancelled"
NO_OFFER = "none"
# The customer's English words for each reason (lifecycle.yml's reasons). Another
# language's are the NLU's regex entities cancel_reason_<reason> (data/nlu/<code>/).
REASON_ENTITY = "cancel_reason_"
REASON_WORDS = {
    "too_expensive": r"expensive|cost|price|afford|cheaper|money|pay less|too much",
    "no_longer_needed": r"no longer|don'?t have|sold|lost|broke|gave away|replac|don'?t need|"
    r"not needed|no need|new (phone|device)",
    "switching_provider": r"switch|another (provider|company|insur)|other (provider|insur)|"
    r"competitor|elsewhere|better deal|bank|carrier",
    "other": r"\bother\b|something else|rather not say|personal|just because",
}


def cancel_reason(text: str, entities: list[dict[str, Any]] | None = None) -> str | None:
    """The reason the customer's answer gives (a button's payload is the reason itself):
    the first of REASON_WORDS' order the NLU found as an entity, else the English words."""
    said = " ".join(text.lower().split())
    if said in REASON_WORDS:
        return said
    found = {str(e.get("entity", "")).removeprefix(REASON_ENTITY) for e in entities or []}
    return next((reason for reason in REASON_WORDS if reason in found), None) or next(
        (reason for reason, words in REASON_WORDS.items() if re.search(words, said)), None
    )


def months_between(since: date, today: date) -> int:
    """Whole months from since to today."""
    return max(
        0, (today.year - since.year) * 12 + today.month - since.month - (today.day < since.day)
    )


def the_policy(tracker: Tracker) -> dict[str, Any] | None:
    """The chosen policy's summary."""
    wanted = tracker.get_slot(POLICY)
    return next((p for p in tracker.get_slot(POLICIES) or [] if p["id"] == wanted), None)


def cancel_words(tracker: Tracker) -> dict[str, str]:
    """The variables that restate the cancellation: policy, device, plan, notice days."""
    policy = the_policy(tracker) or {}
    facts = tracker.get_slot(FACTS) or {}
    return {
        "policy_id": str(policy.get("id", "")),
        "device": str(policy.get("device", "")),
        "plan": value_text("plan", policy.get("plan", ""), conversation_language(tracker.slots)),
        "notice_days": str(facts.get("notice_days", 0)),
    }


class ValidateCancelForm(JourneyForm):
    """Reads each answer; the offer comes from lifecycle.yml's rules once the reason is known."""

    goal, form, stop, asked = GOAL, FORM, STOP, ASKED
    kept = [POLICY, REASON]

    def given(self, tracker: Tracker, answers: dict[str, str]) -> list[str]:
        policy = next(
            (p for p in tracker.get_slot(POLICIES) or [] if p["id"] == answers.get(POLICY)), None
        )
        return [
            *([f"{policy['device']} ({policy['id']})"] if policy else []),
            *(
                [value_text("cancel_reason", answers[REASON], conversation_language(tracker.slots))]
                if answers.get(REASON)
                else []
            ),
        ]

    async def restored(self, tracker: Tracker, answers: dict[str, Any]) -> dict[str, Any]:
        """A policy no longer cancellable is asked again; the offer is made as the rules
        say now."""
        if not any(p["id"] == answers.get(POLICY) for p in tracker.get_slot(POLICIES) or []):
            answers = {k: v for k, v in answers.items() if k != POLICY}
        if answers.get(REASON) in REASON_WORDS:
            return {**answers, OFFER: self._offer(tracker, answers)}
        return {k: v for k, v in answers.items() if k != REASON}

    def finished(self, updates: dict[str, Any]) -> bool:
        return updates.get(OFFER_ANSWER) == YES or super().finished(updates)

    def still_asked(self, tracker: Tracker) -> list[str]:
        """The offer is asked only when there is one; the cancellation only if it is declined."""
        offer = tracker.get_slot(OFFER)
        if offer == NO_OFFER:
            return [POLICY, REASON, CONFIRMED]
        if tracker.get_slot(OFFER_ANSWER) == YES:
            return [POLICY, REASON, OFFER_ANSWER]
        return self.asked

    async def answers(self, tracker: Tracker, reply: Reply) -> dict[str, Any]:
        asking, text = reply.asking, reply.text
        updates: dict[str, Any] = {}
        if tracker.get_slot(POLICIES) is None:
            try:
                updates = await self._facts(reply.customer_id)
            except backend.BackendError:
                return {STOP: BACKEND}
            if STOP in updates:
                return updates
        policies = updates.get(POLICIES, tracker.get_slot(POLICIES))
        if asking == POLICY:
            updates[POLICY] = chosen_policy(text, policies)
        if asking == REASON:
            updates[REASON] = cancel_reason(text, tracker.latest_message.get("entities"))
        if asking in (OFFER_ANSWER, CONFIRMED):
            updates[asking] = reply.confirmation
        answered = updates.get(asking or "") is not None
        left = leaving(asking, reply.intent, GOAL, answered, text)
        if left:
            return {STOP: left}
        if updates.get(REASON):
            updates[OFFER] = self._offer(tracker, updates)
        return updates

    @staticmethod
    async def _facts(customer_id: str) -> dict[str, Any]:
        """The cancellable policies and what the rules and the limit read, from the backend."""
        client = backend.client()
        found = await backend.call(client.customer_records, customer_id, "device_policies")
        who = await backend.call(client.record, "customers", customer_id)
        company = await backend.call(client.policies)
        today = await backend.call(client.today)  # tenure as the backend counts days
        policies = [
            {
                **policy_summary(p),
                "status": str(p.get("status")),
                "premium": float(p.get("premium_monthly") or 0),
            }
            for p in found
            if p.get("status") in CANCELLABLE
        ]
        # The backend's list gives no cancellation date: every cancelled policy on the
        # account counts towards this year's limit (the fixture's are all this year's).
        cancelled = sum(1 for p in found if p.get("status") == CANCELLED)
        since = str(who.get("customer_since") or today.isoformat())
        facts = {
            "tier": str(who.get("tier") or ""),
            "tenure_months": months_between(date.fromisoformat(since[:10]), today),
            "cancelled": cancelled,
            "notice_days": int(company.get("cancellation_notice_days") or 0),
        }
        updates: dict[str, Any] = {POLICIES: policies, FACTS: facts}
        if not policies:
            return {**updates, STOP: NO_POLICY}
        if cancelled >= lifecycle_config().retention.max_cancellations_per_year:
            return {**updates, STOP: OVER_LIMIT}
        if len(policies) == 1:
            updates[POLICY] = policies[0]["id"]
        return updates

    @staticmethod
    def _offer(tracker: Tracker, updates: dict[str, Any]) -> str:
        """The offer lifecycle.yml's rules make for this reason, plan, tier and tenure."""
        facts = updates.get(FACTS, tracker.get_slot(FACTS)) or {}
        policies = updates.get(POLICIES, tracker.get_slot(POLICIES)) or []
        wanted = updates.get(POLICY, tracker.get_slot(POLICY))
        policy: dict[str, Any] = next((p for p in policies if p["id"] == wanted), {})
        offer = lifecycle_config().retention.offer_for(
            str(updates[REASON]),
            str(policy.get("plan", "")),
            str(facts.get("tier", "")),
            int(facts.get("tenure_months", 0)),
        )
        return offer or NO_OFFER


class ActionAskCancelPolicyId(Action):
    """Which policy, by device."""

    def name(self) -> str:
        return "action_ask_cancel_policy_id"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        ask_which_policy(
            dispatcher,
            "utter_ask_cancel_policy_id",
            tracker.get_slot(POLICIES) or [],
            conversation_language(tracker.slots),
        )
        return []


class ActionAskCancelOfferAnswer(Action):
    """The offer the rules made, in its own words."""

    def name(self) -> str:
        return "action_ask_cancel_offer_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        offer = str(tracker.get_slot(OFFER))
        dispatcher.utter_message(
            response=f"utter_ask_cancel_offer_{offer}", **cancel_words(tracker)
        )
        return []


class ActionAskCancelConfirmed(Action):
    """The cancellation restated with the notice period before anything is cancelled."""

    def name(self) -> str:
        return "action_ask_cancel_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_ask_cancel_confirmed", **cancel_words(tracker))
        return []
