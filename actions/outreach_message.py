"""Outreach in the customer's own conversation: the outreach service triggers the
intent `EXTERNAL_outreach` over Rasa's HTTP API (outreach/delivery.py) with the plan as
entities, and this action says the rule's domain response on the customer's channel,
after the disclosure (Brightwave's automated assistant, reply STOP, reply HUMAN) when
the plan asks for it. Outside the customer's WhatsApp 24-hour window the plan carries
the rule's approved template (outreach/whatsapp_window.py): both messages are said as
usual (the conversation holds what the customer reads) and marked, so that the WhatsApp
channel sends the template in their place (connectors/whatsapp.py). The conversation
then holds the offer: a "yes" to the one about a
failed payment starts the payment-method update (data/rules/outreach_send.yml)."""

import json
import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import spoken
from actions.language import recorded_language
from actions.outcomes import DONE, record
from actions.slots import LANGUAGE, REQUEST_TOPIC

logger = logging.getLogger(__name__)
PREFIX = "outreach_"
OFFERED = "outreach_payment_offered"
INVOICE = re.compile(r"INV-\d{6}")
POLICY = re.compile(r"POL-\d{5}")
INTENT = "EXTERNAL_outreach"
CONTENT_SID = re.compile(r"HX[0-9a-f]{32}")
PLACEHOLDER = re.compile(r"[1-9][0-9]?")
# The marks the WhatsApp channel reads (connectors/whatsapp.py).
TEMPLATE, IN_TEMPLATE = "whatsapp_template", "whatsapp_in_template"


def plan_from_entities(entities: list[dict[str, Any]]) -> dict[str, str]:
    """The plan as outreach sent it (`outreach_*` entities)."""
    return {
        str(e["entity"])[len(PREFIX) :]: str(e.get("value") or "")
        for e in entities
        if str(e.get("entity", "")).startswith(PREFIX)
    }


def latest_plan(tracker: Tracker) -> dict[str, str]:
    """The plan of the conversation's latest outreach message ({} without one)."""
    for event in reversed(tracker.events):
        parsed = event.get("parse_data") or {}
        if event.get("event") == "user" and (parsed.get("intent") or {}).get("name") == INTENT:
            return plan_from_entities(parsed.get("entities") or [])
    return {}


def email_mark(plan: dict[str, str]) -> dict[str, Any]:
    """For an outreach by e-mail, the mark the e-mail channel mails it by (the address
    and the thread outreach named the conversation from: connectors/mail.py); {} else."""
    if plan.get("address") and plan.get("thread"):
        return {"outreach_mail": {"address": plan["address"], "thread": plan["thread"]}}
    return {}


def _variables(response: str, record_id: str) -> dict[str, str] | None:
    """The named variables of an outreach response about record_id; None for a
    response outreach may not say (or a record it cannot be about)."""
    if response == "utter_outreach_payment_failed" and INVOICE.fullmatch(record_id):
        return {"invoice_id": record_id, "invoice_id_spoken": spoken.spell(record_id)}
    if response == "utter_outreach_shipment_delayed":
        return {"order_id": record_id, "order_id_spoken": spoken.spell(record_id)}
    if response == "utter_outreach_activation_reminder" and POLICY.fullmatch(record_id):
        return {"policy_id": record_id, "policy_id_spoken": spoken.spell(record_id)}
    if response == "utter_outreach_checkin":
        return {}
    return None


def template_marks(plan: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """For a plan sent as a WhatsApp template: the marks of the disclosure (said by the
    template) and of the message (sent as the template); ({}, {}) without a template;
    None when the template is malformed (nothing may go out free-form instead)."""
    if not plan.get("template"):
        return {}, {}
    try:
        template = json.loads(plan["template"])
        sid, variables = template["content_sid"], template["variables"]
    except (ValueError, TypeError, KeyError):
        return None
    if not (
        isinstance(sid, str)
        and CONTENT_SID.fullmatch(sid)
        and isinstance(variables, dict)
        and all(
            isinstance(k, str) and PLACEHOLDER.fullmatch(k) and isinstance(v, str) and len(v) < 100
            for k, v in variables.items()
        )
    ):
        return None
    return {IN_TEMPLATE: True}, {TEMPLATE: {"content_sid": sid, "variables": variables}}


class ActionOutreachMessage(Action):
    def name(self) -> str:
        return "action_outreach_message"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        plan = plan_from_entities(tracker.latest_message.get("entities") or [])
        response, record_id = plan.get("response", ""), plan.get("record", "")
        variables = _variables(response, record_id)
        marks = template_marks(plan)
        if variables is None or marks is None:
            logger.warning("outreach.message.refused plan=%s", plan.get("plan"))
            return []
        in_template, template = marks
        offered = response == "utter_outreach_payment_failed"
        mail = email_mark(plan)
        # The customer's recorded language, unless the conversation already has one;
        # said with the messages too, which are worded before the slot is set.
        spoken_in = recorded_language({"language": plan.get("language")}, tracker.slots)
        if plan.get("disclose") == "yes" and not mail:  # an e-mail carries it itself
            dispatcher.utter_message(
                response="utter_outreach_disclosure", **in_template, **spoken_in
            )
        dispatcher.utter_message(response=response, **variables, **mail, **template, **spoken_in)
        logger.info("outreach.message.said plan=%s", plan.get("plan"))
        return [
            record(tracker, self.name(), "outreach", DONE, record_id or None, None),
            SlotSet(OFFERED, bool(offered)),
            *(SlotSet(LANGUAGE, language) for language in spoken_in.values()),
        ]


class ActionOutreachAccept(Action):
    """The customer said yes to updating the card after a failed payment: the
    verification form, then the secure link, as when they ask for it themselves."""

    def name(self) -> str:
        return "action_outreach_accept"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        invoice_id = latest_plan(tracker).get("record", "")
        return [
            SlotSet(OFFERED, False),
            SlotSet(REQUEST_TOPIC, "invoice"),
            *([SlotSet("invoice_id", invoice_id)] if INVOICE.fullmatch(invoice_id) else []),
            SlotSet("payment_method_update", True),
        ]
