"""Outreach by phone: a call placed through Twilio's Calls API whose `Url` is our voice
webhook carrying the plan (connectors/voice_outreach.py). When the customer answers,
Twilio asks that URL for what to say, and the voice channel says the disclosure and
the rule's message from their voice wording in the domain; the customer's answer goes
on in that call's conversation, with the outreach's context.

A call cannot be asked about afterwards the way a conversation can (Calls has no
idempotency key), so a call is placed at most once: a plan found mid-send after a
restart is recorded as failed, not called again (outreach/worker.py).
"""

import logging

from twilio.base.exceptions import TwilioException
from twilio.rest import Client

from connectors.twilio_api import RebasedHttpClient
from connectors.voice_outreach import call_url
from outreach.delivery import DeliveryFailed
from outreach.plans import Plan

logger = logging.getLogger(__name__)


class TwilioCalls:
    """Twilio's Calls API (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN), calling from
    TWILIO_VOICE_NUMBER; Twilio then calls SWITCHBOARD_PUBLIC_URL's voice webhook."""

    def __init__(
        self, account_sid: str, auth_token: str, number: str, public_url: str, api_url: str
    ) -> None:
        self.client = Client(account_sid, auth_token, http_client=RebasedHttpClient(api_url))
        self.number, self.public_url = number, public_url

    def call(self, plan: Plan, number: str, response: str) -> str:
        """Place the plan's call to number; its call SID. DeliveryFailed when Twilio
        refuses or cannot be reached (the worker retries later)."""
        url = call_url(
            self.public_url,
            {
                "plan": str(plan.id),
                "rule": plan.rule,
                "response": response,
                "record": plan.record or "",
                "customer": plan.customer_id,
            },
        )
        try:
            placed = self.client.calls.create(to=number, from_=self.number, url=url, method="POST")
        except (TwilioException, OSError) as error:
            raise DeliveryFailed(f"twilio: {error.__class__.__name__}") from None
        return str(placed.sid)
