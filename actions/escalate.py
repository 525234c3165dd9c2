"""The hand-over to a person: the packet built, queued at the agent desk, the
customer told why and what happens next, and the assistant paused.

The escalation policy (escalation/policy.py) decides and records its decision in
the `escalation_decision` slot; a customer who accepts the offer of a person
(after a failure or a locked verification) reaches here through a rule, with no
decision of the policy's, and is handed over as having asked for a person.
While the conversation is paused Rasa keeps the customer's messages and says
nothing; the desk resumes it when the agent hands back or closes.
"""

import asyncio
import logging
from datetime import datetime, timezone
from typing import Any, Dict, List, Mapping, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client as backend
from actions import late_enrichment, outbox
from actions.desk_client import desk
from actions.handoff_packet import (
    BACKEND_DOWN_NOTE, build_packet, conversation_facts, current_session, empty_snapshot,
    fetch_snapshot, validate_packet,
)
from actions.late_enrichment import enrichment_write, needs_enrichment
from actions.settings import settings
from actions.slots import HANDOFF_ID, HUMAN_OFFERED, HUMAN_REQUESTED, VERIFIED_CUSTOMER_ID
from actions.verification import verified_customer
from escalation.decision import Decision
from escalation.names import DECISION_SLOT

logger = logging.getLogger(__name__)

# A written reference is no help on a call (it would be spelled out at length).
SPOKEN_CHANNELS = frozenset({"twilio_voice"})
REFERENCE_CHARS = 8


def reference(handoff_id: str) -> str:
    """The hand-over's reference for the customer: the start of its id, which the
    desk's queue search finds."""
    return handoff_id[:REFERENCE_CHARS].upper()


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
    """A read (or note) the hand-over can go without: None (and a warning) when it
    fails or takes longer than HANDOFF_READ_BUDGET, so an outage never holds it up."""
    try:
        return await asyncio.wait_for(backend.call(method, *args),
                                      settings().handoff_read_budget)
    except (backend.BackendError, asyncio.TimeoutError) as error:
        logger.warning("hand-over without %s: %s", what, error.__class__.__name__)
        return None


async def _snapshot(touched: Dict[str, List[str]], customer_id: Optional[str]) -> Dict[str, Any]:
    """The touched records, or the note that they could not be read in time."""
    try:
        return await asyncio.wait_for(fetch_snapshot(touched, customer_id),
                                      settings().handoff_read_budget)
    except asyncio.TimeoutError:
        logger.warning("hand-over snapshot without records: timed out")
        return empty_snapshot(BACKEND_DOWN_NOTE)


async def _nothing() -> None:
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
        touched = conversation_facts(current_session(tracker.events)).record_ids
        # Read side by side, each within the budget: the hand-over is queued with what
        # is known, however slow or down the backend is.
        found_policies, found_queue, customer, snapshot = await asyncio.gather(
            _optional("support hours", backend.client().policies),
            _optional("the queue", lambda: desk().queue()),
            _optional("the customer record", backend.client().record, "customers",
                      verified_id) if verified_id else _nothing(),
            _snapshot(touched, verified_id))
        policies, queue = found_policies or {}, found_queue or {}
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
        try:
            receipt = await backend.call(desk().submit, packet)
        except backend.BackendError as error:
            logger.error("hand-over %s not queued at the desk: %s", tracker.sender_id, error)
            await self._note(tracker, packet, verified_id)
            dispatcher.utter_message(response="utter_handoff_unavailable",
                                     support_hours=policies.get("support_hours_human")
                                     or "during business hours")
            return events
        logger.info("hand-over %s queued: %s (%s)", receipt.get("id"), decision.reason_code,
                    decision.rule)
        await self._note(tracker, packet, verified_id)
        if verified_id and receipt.get("id") and needs_enrichment(verified_id, customer,
                                                                  snapshot):
            await self._complete_later(str(receipt["id"]), verified_id, touched)
        for said in packet["customer_notice"]["messages"]:
            dispatcher.utter_message(response=said["response"], **said["variables"])
        if receipt.get("id") and tracker.get_latest_input_channel() not in SPOKEN_CHANNELS:
            dispatcher.utter_message(response="utter_handoff_reference",
                                     reference=reference(str(receipt["id"])))
        return events + [SlotSet(HANDOFF_ID, receipt.get("id")), ConversationPaused()]

    @staticmethod
    async def _complete_later(handoff_id: str, verified_id: str,
                              touched: Dict[str, List[str]]) -> None:
        """The customer's records, unread in time, go to the desk once readable."""
        try:
            await outbox.keep(late_enrichment.KIND,
                              enrichment_write(handoff_id, verified_id, touched))
        except outbox.OutboxUnavailable as error:
            logger.error("hand-over %s will not be completed later: %s", handoff_id, error)

    @staticmethod
    async def _note(tracker: Tracker, packet: Dict[str, Any],
                    verified_id: Optional[str]) -> None:
        """The hand-over on the customer's file, after the desk has it (not before):
        kept in the outbox, whose worker delivers it whenever the backend takes it."""
        note = {"conversation_id": tracker.sender_id, "channel": packet["channel"],
                "kind": "handoff", "summary": packet["summary"], "customer_id": verified_id}
        try:
            await outbox.keep("interaction", note)
        except outbox.OutboxUnavailable as error:
            logger.error("hand-over note not kept in the outbox: %s; sending it now", error)
            await _optional("a note on the customer's file", backend.client().log_interaction,
                            *note.values())
