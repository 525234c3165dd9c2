"""A customer's "STOP" (or "unsubscribe", "stop messaging me", "don't call me again") on
any channel: opted out of outreach on every channel at once, in the consent ledger, and
told so; the conversation goes on as before.

Whose outreach: the verified customer's, else the customer outreach wrote to in this
conversation, else, on WhatsApp and calls, the owner of the number Twilio's signature
vouches for (the number outreach would reach). Nothing else names a customer here: on
e-mail the From address alone is forgeable, on REST and web chat the client chooses its id. Without a customer the assistant says how to stop instead.
"""

import hashlib
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client as backend
from actions import outreach_client
from actions.identity import channel_number
from actions.outcomes import DONE, REFUSED, UNAVAILABLE, record
from actions.outreach_message import latest_plan
from actions.slots import CLAIMED_CUSTOMER_ID
from actions.verification import verified_customer

ACTION = "action_outreach_stop"
GOAL = "stop_outreach"
# No outreach context is known yet (delivery comes later): a STOP covers both purposes.
PURPOSES = ["service", "marketing"]
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


async def _whose(tracker: Tracker) -> str | None:
    customer = verified_customer(tracker) or tracker.get_slot(CLAIMED_CUSTOMER_ID)
    if customer:
        return str(customer)
    # A conversation outreach wrote into (only it can trigger there, with Rasa's API
    # token) is the customer's: on e-mail, the thread's root is unguessable and with
    # the From address names the conversation (outreach/delivery.py).
    addressed = latest_plan(tracker).get("customer")
    if addressed:
        return addressed
    found = channel_number(
        tracker.get_latest_input_channel(), tracker.latest_message.get("metadata")
    )
    if found is None:
        return None
    try:
        return await backend.call(backend.client().customer_for_number, *found)
    except backend.BackendError:
        return None


def request_id(tracker: Tracker) -> str:
    """The message's id, so a redelivered STOP is recorded once."""
    message_id = str(tracker.latest_message.get("message_id") or "")
    if REQUEST_ID.fullmatch(message_id):
        return message_id
    seen = f"{tracker.sender_id}:{tracker.latest_message.get('text')}:{len(tracker.events)}"
    return hashlib.sha256(seen.encode("utf-8")).hexdigest()[:40]


class ActionOutreachStop(Action):
    """Opt the customer out of outreach on every channel and confirm it."""

    def name(self) -> str:
        return ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        customer = await _whose(tracker)
        if customer is None:
            dispatcher.utter_message(response="utter_outreach_stop_who")
            return [record(tracker, ACTION, GOAL, REFUSED)]
        via = tracker.get_latest_input_channel() or "rest"
        answer = await outreach_client.opt_out(customer, via, PURPOSES, request_id(tracker))
        if answer is None:
            dispatcher.utter_message(response="utter_outreach_stop_failed")
            return [record(tracker, ACTION, GOAL, UNAVAILABLE)]
        dispatcher.utter_message(response="utter_outreach_stopped")
        return [record(tracker, ACTION, GOAL, DONE, record=customer)]
