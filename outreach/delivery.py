"""Delivery through the real channels: Rasa's HTTP API runs the outreach intent in the
customer's WhatsApp (or e-mail) conversation with that channel's output channel, so the
domain response goes out through its connector (Twilio's Messages API, or SMTP as a new
automated e-mail: connectors/mail.py) and the conversation holds the offer the customer
then answers.

On WhatsApp, outside the customer's 24-hour window (read from the same tracker:
outreach/whatsapp_window.py) the rule's approved template goes with the plan, and the
channel sends it instead of the free-form text.

A send is idempotent by asking first: the conversation's tracker says whether the
plan's intent already ran (the plan id is one of its entities), so a send decided
before a restart, or retried after a timeout, goes out once.
"""

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

import requests
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from outreach.config import WhatsAppTemplate
from outreach.plans import Plan
from outreach.whatsapp_window import last_inbound, needs_template, template_entity

logger = logging.getLogger(__name__)
INTENT = "EXTERNAL_outreach"
# The WhatsApp connector's input channel name (connectors/whatsapp.py): its output
# channel is the one trigger_intent sends through.
OUTPUT_CHANNELS = {"whatsapp": "twilio", "email": "email"}
TIMEOUT = (2.0, 20.0)
Sent = Literal["template", "free_form", "before"]


class DeliveryFailed(Exception):
    """The message could not be handed to the channel (after the retries)."""


class RasaDelivery:
    """Rasa's HTTP API on its internal listener (RASA_URL, RASA_API_TOKEN)."""

    def __init__(self, url: str, token: str, attempts: int = 3, wait: float = 0.5) -> None:
        self.url, self.token = url.rstrip("/"), token
        self.attempts, self.wait = attempts, wait
        self.session = requests.Session()

    def _conversation_url(self, conversation_id: str, path: str) -> str:
        return f"{self.url}/conversations/{quote(conversation_id, safe='')}/{path}"

    def _events(self, conversation_id: str) -> list[dict[str, Any]]:
        """The conversation's tracker events."""
        try:
            answer = self.session.get(
                self._conversation_url(conversation_id, "tracker"),
                params={"token": self.token},
                timeout=TIMEOUT,
            )
        except requests.RequestException as error:
            raise DeliveryFailed(f"rasa: {error.__class__.__name__}") from None
        if answer.status_code != 200:
            raise DeliveryFailed(f"rasa: tracker status {answer.status_code}")
        return list(answer.json().get("events") or [])

    def delivered(self, plan: Plan, conversation_id: str) -> bool:
        """Whether the plan's intent already ran in the conversation."""
        return _ran(plan, self._events(conversation_id))

    def _trigger(
        self,
        plan: Plan,
        conversation_id: str,
        response: str,
        disclose: bool,
        extra: Mapping[str, str],
    ) -> None:
        entities = {
            "outreach_plan": str(plan.id),
            "outreach_rule": plan.rule,
            "outreach_response": response,
            "outreach_record": plan.record or "",
            "outreach_disclose": "yes" if disclose else "no",
            "outreach_customer": plan.customer_id,
            **{f"outreach_{key}": value for key, value in extra.items()},
        }
        try:
            answer = self.session.post(
                self._conversation_url(conversation_id, "trigger_intent"),
                params={
                    "token": self.token,
                    "output_channel": OUTPUT_CHANNELS[plan.channel or "whatsapp"],
                },
                json={
                    "name": INTENT,
                    "entities": [{"entity": k, "value": v} for k, v in entities.items()],
                },
                timeout=TIMEOUT,
            )
        except requests.RequestException as error:
            raise DeliveryFailed(f"rasa: {error.__class__.__name__}") from None
        if answer.status_code != 200:
            raise DeliveryFailed(f"rasa: trigger status {answer.status_code}")

    def send(
        self,
        plan: Plan,
        conversation_id: str,
        response: str,
        disclose: bool,
        extra: Mapping[str, str] | None = None,
        template: WhatsAppTemplate | None = None,
        now: datetime | None = None,
    ) -> Sent:
        """Run the plan's intent once: before each attempt the conversation is read, so
        an attempt that timed out but arrived is not repeated ("before"). DeliveryFailed
        after the retries. `extra`: more of the plan for the channel (an e-mail's
        address and thread), as `outreach_<key>` entities. `template`: the rule's
        WhatsApp template, sent instead when the customer's last WhatsApp message is
        24 hours older than `now` (or there is none)."""
        retrying = Retrying(
            retry=retry_if_exception_type(DeliveryFailed),
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential(multiplier=self.wait, max=10),
            reraise=True,
        )
        return retrying(
            self._send_once, plan, conversation_id, response, disclose, extra or {}, template, now
        )

    def _send_once(
        self,
        plan: Plan,
        conversation_id: str,
        response: str,
        disclose: bool,
        extra: Mapping[str, str],
        template: WhatsAppTemplate | None,
        now: datetime | None,
    ) -> Sent:
        events = self._events(conversation_id)
        if _ran(plan, events):
            return "before"
        more = dict(extra)
        if template is not None and now is not None and needs_template(last_inbound(events), now):
            more["template"] = template_entity(template, plan)
        self._trigger(plan, conversation_id, response, disclose, more)
        return "template" if "template" in more else "free_form"


def _ran(plan: Plan, events: list[dict[str, Any]]) -> bool:
    """Whether the plan's intent is among the tracker's events."""
    for event in events:
        parsed = event.get("parse_data") or {}
        if event.get("event") == "user" and (parsed.get("intent") or {}).get("name") == INTENT:
            for entity in parsed.get("entities") or []:
                if entity.get("entity") == "outreach_plan" and entity.get("value") == str(plan.id):
                    return True
    return False
