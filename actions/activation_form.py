"""The activation form: which pending device policy (asked only when several), a yes
to the device the policy names, the device's serial number or IMEI, then the
customer's yes to the terms restated (plan, cover, excess, start)
(actions/activate_policy.py activates it).

The policies come from the backend only. The form ends early, with the reason in
`activation_stop`, when there is nothing to activate (none pending, or all already
active), the device is not the one the policy names, the customer stopped, the backend
is down, or another journey was asked for since. The action after the form says which.
"""

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client as backend
from actions.claim_facts import incident_words
from actions.claim_form import chosen_policy, policy_summary
from actions.journey import BACKEND, NO, JourneyForm, Reply, ask_which_policy, leaving
from actions.language import conversation_language
from actions.render import join_words, money, value_text
from common.locale_values import phrase

GOAL = "activate_policy"
FORM = "activation_form"
POLICIES = "activation_policies"  # the customer's pending policies, as the backend has them
POLICY = "activation_policy"
DEVICE = "activation_device"
SERIAL = "activation_serial"
CONFIRMED = "activation_confirmed"
STOP = "activation_stop"
ASKED = [POLICY, DEVICE, SERIAL, CONFIRMED]
SLOTS = [POLICIES, *ASKED, STOP, "activation_starting"]
# Why the form ended without a yes or no (activation_stop).
NONE_PENDING = "none_pending"
ALREADY_ACTIVE = "already_active"
WRONG_DEVICE = "wrong_device"
PENDING = "pending_activation"
ACTIVE = "active"
# A serial or IMEI as the backend takes it: 8 to 20 letters and digits.
SERIAL_TOKEN = re.compile(r"\b(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{8,20}\b")
DIGIT_GAPS = re.compile(r"(?<=\d)[\s-](?=\d)")
IMEI_DIGITS = 15


def luhn_valid(digits: str) -> bool:
    """The Luhn check an IMEI's last digit makes over the others."""
    total = 0
    for index, digit in enumerate(int(char) for char in reversed(digits)):
        doubled = digit * 2 if index % 2 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return total % 10 == 0


def device_serial(text: str) -> str | None:
    """The serial number or IMEI in the customer's answer ("35 209900 176148 1" is one
    IMEI), upper-cased; None when there is none or a 15-digit IMEI fails its check."""
    for token in SERIAL_TOKEN.findall(DIGIT_GAPS.sub("", text)):
        serial = str(token).upper()
        if len(serial) == IMEI_DIGITS and serial.isdigit() and not luhn_valid(serial):
            return None
        return serial
    return None


def the_policy(tracker: Tracker) -> dict[str, Any] | None:
    """The chosen pending policy's summary."""
    wanted = tracker.get_slot(POLICY)
    return next((p for p in tracker.get_slot(POLICIES) or [] if p["id"] == wanted), None)


def activation_words(tracker: Tracker) -> dict[str, str]:
    """The variables that restate the activation: policy, device, plan, what it covers,
    the excess, the monthly premium and the serial's last four characters."""
    policy = the_policy(tracker) or {}
    currency = str(policy.get("currency", "EUR"))
    language = conversation_language(tracker.slots)
    return {
        "policy_id": str(policy.get("id", "")),
        "device": str(policy.get("device", "")),
        "plan": value_text("plan", policy.get("plan", ""), language),
        "covered": join_words(
            [incident_words(k, language) for k in policy.get("covers", [])], "and", language
        ),
        "excess": money(policy.get("excess", 0), currency, language),
        "premium": money(policy.get("premium_monthly", 0), currency, language),
        "serial_end": str(tracker.get_slot(SERIAL) or "")[-4:],
    }


def pending_summary(policy: dict[str, Any]) -> dict[str, Any]:
    """policy_summary with the monthly premium the terms name."""
    return {**policy_summary(policy), "premium_monthly": float(policy.get("premium_monthly") or 0)}


class ValidateActivationForm(JourneyForm):
    """Reads each answer and checks it against the customer's pending policies."""

    goal, form, stop, asked = GOAL, FORM, STOP, ASKED
    kept = [POLICY, DEVICE, SERIAL]

    def given(self, tracker: Tracker, answers: dict[str, str]) -> list[str]:
        policies = tracker.get_slot(POLICIES) or []
        policy = next((p for p in policies if p["id"] == answers.get(POLICY)), None)
        serial = answers.get(SERIAL) or ""
        return [
            *([f"{policy['device']} ({policy['id']})"] if policy else []),
            *(
                [phrase("serial_ending", conversation_language(tracker.slots), digits=serial[-4:])]
                if serial
                else []
            ),
        ]

    async def restored(self, tracker: Tracker, answers: dict[str, Any]) -> dict[str, Any]:
        """A policy no longer pending is asked again, with its device and serial."""
        if any(p["id"] == answers.get(POLICY) for p in tracker.get_slot(POLICIES) or []):
            return answers
        return {}

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
            policies = [pending_summary(p) for p in found if p.get("status") == PENDING]
            updates[POLICIES] = policies
            if not policies:
                active = any(p.get("status") == ACTIVE for p in found)
                return {**updates, STOP: ALREADY_ACTIVE if active else NONE_PENDING}
            if len(policies) == 1:
                updates[POLICY] = policies[0]["id"]
        if asking == POLICY:
            updates[POLICY] = chosen_policy(text, policies)
        if asking == SERIAL:
            updates[SERIAL] = device_serial(text)
        if asking in (DEVICE, CONFIRMED):
            updates[asking] = reply.confirmation
        answered = updates.get(asking or "") is not None
        if asking == DEVICE and updates[DEVICE] == NO:
            return {STOP: WRONG_DEVICE}
        left = leaving(asking, reply.intent, GOAL, answered, text)
        if left:
            return {STOP: left}
        return updates


class ActionAskActivationPolicy(Action):
    """Which pending policy, by device."""

    def name(self) -> str:
        return "action_ask_activation_policy"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        ask_which_policy(
            dispatcher,
            "utter_ask_activation_policy",
            tracker.get_slot(POLICIES) or [],
            conversation_language(tracker.slots),
        )
        return []


class ActionAskActivationDevice(Action):
    """The device the policy names, for a yes."""

    def name(self) -> str:
        return "action_ask_activation_device"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        words = activation_words(tracker)
        dispatcher.utter_message(
            response="utter_ask_activation_device",
            policy_id=words["policy_id"],
            device=words["device"],
        )
        return []


class ActionAskActivationConfirmed(Action):
    """The terms restated exactly before anything is activated."""

    def name(self) -> str:
        return "action_ask_activation_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(
            response="utter_ask_activation_confirmed", **activation_words(tracker)
        )
        return []
