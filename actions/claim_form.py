"""The claim form: which device policy, what happened, when, and a short description,
then the customer's yes to exactly what will be filed (actions/file_claim.py files it).

The policies and what each covers come from the backend only. The form ends early,
with the reason in `claim_stop`, when there is nothing it may file: the customer
stopped, no policy in cover, an incident the plan does not cover, an incident
lifecycle.yml hands to a person, the backend down, or another journey asked for
since. The action after the form tells the customer which.
"""

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client as backend
from actions.claim_facts import incident_day, incident_type, incident_words
from actions.journey import BACKEND, JourneyForm, Reply, ask_which_policy, leaving, opening_text
from actions.language import conversation_language
from actions.lifecycle_config import lifecycle_config
from actions.render import day, join_words, money, value_text

GOAL = "file_claim"
FORM = "claim_form"
POLICIES = "claim_policies"  # the customer's policies in cover, as the backend has them
POLICY = "claim_policy"
INCIDENT = "claim_incident"
DATE = "claim_date"
DESCRIPTION = "claim_description"
CONFIRMED = "claim_confirmed"
STOP = "claim_stop"
ASKED = [POLICY, INCIDENT, DATE, DESCRIPTION, CONFIRMED]
SLOTS = [POLICIES, *ASKED, STOP, "claim_filing"]
# Why the form ended without a yes or no (claim_stop).
NO_POLICY = "no_policy"
NOT_COVERED = "not_covered"
HAND_OVER = "hand_over"
IN_COVER = "active"
POLICY_ID = re.compile(r"\bpol[\s_-]?(\d{5})\b", re.IGNORECASE)
ORDINALS = ("first", "second", "third", "fourth", "fifth")


def policy_summary(policy: dict[str, Any]) -> dict[str, Any]:
    """What the journey keeps of a policy: no personal data, only what it says."""
    return {
        "id": str(policy["id"]),
        "device": str(policy.get("device") or "device"),
        "plan": str(policy.get("plan") or ""),
        "covers": [str(kind) for kind in policy.get("covers") or []],
        "excess": float(policy.get("excess") or 0),
        "currency": str(policy.get("currency") or "EUR"),
    }


def chosen_policy(text: str, policies: list[dict[str, Any]]) -> str | None:
    """The policy the customer's answer names: its id, its device, or its place in the list."""
    said = " ".join(text.lower().split())
    if match := POLICY_ID.search(said):
        wanted = f"POL-{match[1]}"
        return wanted if any(p["id"] == wanted for p in policies) else None
    by_device = [p["id"] for p in policies if _device_named(p["device"], said)]
    if len(by_device) == 1:
        return str(by_device[0])
    for index, policy in enumerate(policies):
        if re.search(rf"\b({ORDINALS[index]}|{index + 1})\b", said) if index < 5 else False:
            return str(policy["id"])
    return None


def _device_named(device: str, said: str) -> bool:
    words = [w for w in re.findall(r"[a-z]+", device.lower()) if len(w) > 2]
    return any(re.search(rf"\b{w}\b", said) for w in words)


def the_policy(tracker: Tracker) -> dict[str, Any] | None:
    """The chosen policy's summary."""
    wanted = tracker.get_slot(POLICY)
    return next((p for p in tracker.get_slot(POLICIES) or [] if p["id"] == wanted), None)


def claim_words(tracker: Tracker) -> dict[str, str]:
    """The variables that restate the claim: policy, device, incident, day, description,
    what the plan covers and the excess."""
    policy = the_policy(tracker) or {}
    incident = tracker.get_slot(INCIDENT)
    when = tracker.get_slot(DATE)
    language = conversation_language(tracker.slots)
    return {
        "policy_id": str(policy.get("id", "")),
        "device": str(policy.get("device", "")),
        "plan": value_text("plan", policy.get("plan", ""), language),
        "covered": join_words(
            [incident_words(k, language) for k in policy.get("covers", [])], "or", language
        ),
        "excess": money(policy.get("excess", 0), str(policy.get("currency", "EUR")), language),
        "incident": incident_words(incident, language) if incident else "",
        "incident_date": day(when, language) if when else "",
        "description": str(tracker.get_slot(DESCRIPTION) or ""),
    }


class ValidateClaimForm(JourneyForm):
    """Reads each answer and checks it against the customer's policies."""

    goal, form, stop, asked = GOAL, FORM, STOP, ASKED
    kept = [POLICY, INCIDENT, DATE, DESCRIPTION]

    def given(self, tracker: Tracker, answers: dict[str, str]) -> list[str]:
        policies = tracker.get_slot(POLICIES) or []
        policy = next((p for p in policies if p["id"] == answers.get(POLICY)), None)
        language = conversation_language(tracker.slots)
        return [
            *([f"{policy['device']} ({policy['id']})"] if policy else []),
            *([incident_words(answers[INCIDENT], language)] if answers.get(INCIDENT) else []),
            *([day(answers[DATE], language)] if answers.get(DATE) else []),
            *([f"“{answers[DESCRIPTION]}”"] if answers.get(DESCRIPTION) else []),
        ]

    async def restored(self, tracker: Tracker, answers: dict[str, Any]) -> dict[str, Any]:
        """A policy no longer in cover is asked again; the cover and limits hold as now."""
        policies = tracker.get_slot(POLICIES) or []
        if not any(p["id"] == answers.get(POLICY) for p in policies):
            answers = {k: v for k, v in answers.items() if k != POLICY}
        return {**answers, **self._limits(tracker, answers)}

    async def answers(self, tracker: Tracker, reply: Reply) -> dict[str, Any]:
        asking, text = reply.asking, reply.text
        updates: dict[str, Any] = {}
        policies = tracker.get_slot(POLICIES)
        if policies is None:
            try:
                found = await backend.call(
                    backend.client().customer_records, reply.customer_id, "device_policies"
                )
            except backend.BackendError:
                return {STOP: BACKEND}
            policies = [policy_summary(p) for p in found if p.get("status") == IN_COVER]
            updates[POLICIES] = policies
            if not policies:
                return {**updates, STOP: NO_POLICY}
            if len(policies) == 1:
                updates[POLICY] = policies[0]["id"]
        if asking == POLICY:
            updates[POLICY] = chosen_policy(text, policies)
        if asking is None:
            # The opening message often says what happened ("my phone was stolen").
            updates[INCIDENT] = incident_type(opening_text(tracker, GOAL))
        elif asking == INCIDENT or (asking == POLICY and not tracker.get_slot(INCIDENT)):
            # Asked, the slot holds the raw answer; a device named may say what happened.
            updates[INCIDENT] = incident_type(text)
        if asking == DATE:
            try:  # the backend's today, which it judges the claim's date against
                today = await backend.call(backend.client().today)
            except backend.BackendError:
                return {STOP: BACKEND}
            found_day = incident_day(text, today)
            updates[DATE] = found_day.isoformat() if found_day else None
        if asking == DESCRIPTION:
            limit = lifecycle_config().claims.description_max_chars
            updates[DESCRIPTION] = " ".join(text.split())[:limit] or None
        if asking == CONFIRMED:
            updates[CONFIRMED] = reply.confirmation
        answered = updates.get(asking or "") is not None
        left = leaving(
            asking, reply.intent, GOAL, answered, text, long_answer=asking == DESCRIPTION
        )
        if left:
            return {STOP: left}
        return {**updates, **self._limits(tracker, {**updates})}

    @staticmethod
    def _limits(tracker: Tracker, updates: dict[str, Any]) -> dict[str, Any]:
        """Stop at an incident the chosen plan does not cover or a person must take."""
        policies = updates.get(POLICIES, tracker.get_slot(POLICIES)) or []
        wanted = updates.get(POLICY, tracker.get_slot(POLICY))
        incident = updates.get(INCIDENT, tracker.get_slot(INCIDENT))
        policy = next((p for p in policies if p["id"] == wanted), None)
        if policy is None or not incident:
            return {}
        if incident not in policy["covers"]:
            return {STOP: NOT_COVERED}
        if incident in lifecycle_config().claims.hand_over_incidents:
            return {STOP: HAND_OVER}
        return {}


class ActionAskClaimPolicy(Action):
    """Which policy: the customer's policies in cover, by device."""

    def name(self) -> str:
        return "action_ask_claim_policy"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        ask_which_policy(
            dispatcher,
            "utter_ask_claim_policy",
            tracker.get_slot(POLICIES) or [],
            conversation_language(tracker.slots),
        )
        return []


class ActionAskClaimIncident(Action):
    """What happened, with what the chosen plan covers."""

    def name(self) -> str:
        return "action_ask_claim_incident"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        words = claim_words(tracker)
        dispatcher.utter_message(
            response="utter_ask_claim_incident",
            device=words["device"],
            plan=words["plan"],
            covered=words["covered"],
        )
        return []


class ActionAskClaimConfirmed(Action):
    """The claim restated exactly, with the excess, before anything is filed."""

    def name(self) -> str:
        return "action_ask_claim_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_ask_claim_confirmed", **claim_words(tracker))
        return []
