"""The hand-over to a person: the packet built, queued at the agent desk, the
customer told why and what happens next, and the assistant paused.

The escalation policy (escalation/policy.py) decides and records its decision in
the `escalation_decision` slot; a customer who accepts the offer of a person
(after a failure or a locked verification) reaches here through a rule, with no
decision of the policy's, and is handed over as having asked for a person.
While the conversation is paused Rasa keeps the customer's messages and says
nothing; the desk resumes it when the agent hands back or closes.
"""

import logging
from datetime import datetime, timezone
from typing import Any, Dict, List, Mapping, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client as backend
from actions.desk_client import desk
from actions.handoff_packet import (
    build_packet, conversation_facts, current_session, fetch_snapshot, validate_packet,
)
from actions.slots import HANDOFF_ID, HUMAN_OFFERED, HUMAN_REQUESTED, VERIFIED_CUSTOMER_ID
from actions.verification import verified_customer
from escalation.decision import Decision
from escalation.names import DECISION_SLOT

logger = logging.getLogger(__name__)

ACCEPTED_OFFER = Decision(True, False, "human_requested", "human_offer.accepted",
                          {"accepted": "the offer of a person"}, 0.0, False)


def decision_from_slot(record: Optional[Mapping[str, Any]]) -> Decision:
    """The policy's escalation, or the customer's acceptance of an offered person."""
    if not record or not record.get("escalate"):
        return ACCEPTED_OFFER
    return Decision(True, False, str(record["reason_code"]), str(record["rule"]),
                    dict(record.get("values") or {}), float(record.get("emotion_score") or 0.0),
                    bool(record.get("low_confidence")))


async def _optional(what: str, method: Any, *args: Any) -> Optional[Dict[str, Any]]:
    """A read the hand-over can go without: None (and a warning) when it fails."""
    try:
        return await backend.call(method, *args)
    except backend.BackendError as error:
        logger.warning("hand-over without %s: %s", what, error)
        return None


class ActionEscalate(Action):
    """Hands the conversation to a person with a validated hand-over packet."""

    def name(self) -> Text:
        return "action_escalate"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        decision = decision_from_slot(tracker.get_slot(DECISION_SLOT))
        # A trusted channel's identity counts from the first message, even when the
        # hand-over comes before any request that would have read it.
        verified_id = verified_customer(tracker)
        tracker.slots[VERIFIED_CUSTOMER_ID] = verified_id
        policies = await _optional("support hours", backend.client().policies) or {}
        queue = await _optional("the queue", lambda: desk().queue()) or {}
        customer = await _optional("the customer record", backend.client().record,
                                   "customers", verified_id) if verified_id else None
        touched = conversation_facts(current_session(tracker.events)).record_ids
        snapshot = await fetch_snapshot(touched, verified_id)
        position = queue.get("waiting")
        packet = build_packet(tracker, decision, snapshot, customer, policies,
                              datetime.now(timezone.utc),
                              queue_position=position + 1 if isinstance(position, int) else None,
                              expected_wait_minutes=queue.get("expected_wait_minutes"))
        validate_packet(packet)
        events: List[EventType] = [SlotSet(HUMAN_REQUESTED, True), SlotSet(HUMAN_OFFERED, False),
                                   SlotSet(VERIFIED_CUSTOMER_ID, verified_id)]
        if tracker.active_loop_name:
            events += [ActiveLoop(None), SlotSet("requested_slot", None)]
        await _optional("a note on the customer's file", backend.client().log_interaction,
                        tracker.sender_id, packet["channel"], "handoff", packet["summary"],
                        verified_id)
        try:
            receipt = await backend.call(desk().submit, packet)
        except backend.BackendError as error:
            logger.error("hand-over %s not queued at the desk: %s", tracker.sender_id, error)
            dispatcher.utter_message(response="utter_handoff_unavailable",
                                     support_hours=policies.get("support_hours_human")
                                     or "during business hours")
            return events
        logger.info("hand-over %s queued: %s (%s)", receipt.get("id"), decision.reason_code,
                    decision.rule)
        dispatcher.utter_message(text=packet["customer_notice"]["text"])
        return events + [SlotSet(HANDOFF_ID, receipt.get("id")), ConversationPaused()]
