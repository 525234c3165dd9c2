"""The hand-over to a person: the packet built, queued at the agent desk, the
customer told why and what happens next (worded from the desk's receipt,
actions/handoff_notice.py), and the assistant paused.

The escalation policy (escalation/policy.py) decides and records its decision in
the `escalation_decision` slot, which is read here; a customer who accepts the
offer of a person (after a failure or a locked verification) reaches here through
a rule, with no decision of the policy's, and is handed over as having asked for a
person. How the hand-over ended goes into the outcome record (actions/outcomes.py).
While the conversation is paused Rasa keeps the customer's messages and says
nothing; the desk resumes it when the agent hands back or closes.
"""

import asyncio
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client as backend
from actions import late_enrichment, memory_client, outbox
from actions.desk_client import desk
from actions.handoff_notice import CAN_PUT_THROUGH, CAN_TEXT, PUT_THROUGH, Notice, handoff_notice
from actions.language import conversation_language
from actions.late_enrichment import enrichment_write, needs_enrichment
from actions.outcomes import HAND_OVER, HANDED_OVER, UNAVAILABLE, record
from actions.packet.account import BACKEND_DOWN_NOTE, empty_snapshot, fetch_snapshot
from actions.packet.build import build_packet, session_records
from actions.packet.history import HISTORY_LIMIT
from actions.packet.schema import validate_packet
from actions.settings import settings
from actions.slots import HUMAN_OFFERED, VERIFIED_CUSTOMER_ID
from actions.verification import verified_customer
from common.channel_metadata import CALLBACK_OFFER
from escalation.decision import Decision, decision_from_record
from escalation.names import DECISION_SLOT, ESCALATE_ACTION

logger = logging.getLogger(__name__)

ACCEPTED_OFFER = Decision(
    True,
    False,
    "human_requested",
    "human_offer.accepted",
    {"accepted": "the offer of a person"},
    0.0,
    False,
)


def decision_from_slot(record: Mapping[str, Any] | None) -> Decision:
    """The policy's escalation, or the customer's acceptance of an offered person."""
    if not record or not record.get("escalate"):
        return ACCEPTED_OFFER
    return decision_from_record(record)


async def _optional(what: str, method: Any, *args: Any) -> dict[str, Any] | None:
    """A read (or note) the hand-over can go without: None (and a warning) when it
    fails or takes longer than HANDOFF_READ_BUDGET, so an outage never holds it up."""
    try:
        return await asyncio.wait_for(backend.call(method, *args), settings().handoff_read_budget)
    except (TimeoutError, backend.BackendError) as error:
        logger.warning("hand-over without %s: %s", what, error.__class__.__name__)
        return None


async def _snapshot(touched: dict[str, list[str]], customer_id: str | None) -> dict[str, Any]:
    """The touched records, or the note that they could not be read in time."""
    try:
        return await asyncio.wait_for(
            fetch_snapshot(touched, customer_id), settings().handoff_read_budget
        )
    except TimeoutError:
        logger.warning("hand-over snapshot without records: timed out")
        return empty_snapshot(BACKEND_DOWN_NOTE)


async def _timeline(customer_id: str) -> dict[str, Any] | None:
    """The customer's recent contacts and events from the memory; None when it is off,
    down or slower than HANDOFF_READ_BUDGET: the packet is then as without a memory."""
    try:
        return await asyncio.wait_for(
            memory_client.ask(
                "reading the timeline for a hand-over", "customer", customer_id, HISTORY_LIMIT
            ),
            settings().handoff_read_budget,
        )
    except TimeoutError:
        logger.warning("hand-over without the customer's timeline: timed out")
        return None


async def _nothing() -> None:
    return None


class ActionEscalate(Action):
    """Hands the conversation to a person with a validated hand-over packet."""

    def name(self) -> str:
        return ESCALATE_ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        decision = decision_from_slot(tracker.get_slot(DECISION_SLOT))
        # A trusted channel's identity counts from the first message, even when the
        # hand-over comes before any request that would have read it.
        verified_id = verified_customer(tracker)
        tracker.slots[VERIFIED_CUSTOMER_ID] = verified_id
        touched = session_records(tracker)
        # Read side by side, each within the budget: the hand-over is queued with what
        # is known, however slow or down the backend is.
        customer, snapshot, memory = await asyncio.gather(
            _optional("the customer record", backend.client().record, "customers", verified_id)
            if verified_id
            else _nothing(),
            _snapshot(touched, verified_id),
            _timeline(verified_id) if verified_id else _nothing(),
        )
        now = datetime.now(UTC)
        packet = build_packet(tracker, decision, snapshot, customer, now, memory)
        validate_packet(packet)
        events: list[EventType] = [
            SlotSet(HUMAN_OFFERED, False),
            SlotSet(VERIFIED_CUSTOMER_ID, verified_id),
        ]
        why = {"reason_code": decision.reason_code, "rule": decision.rule}
        if tracker.active_loop_name:
            events += [ActiveLoop(None), SlotSet("requested_slot", None)]
        try:
            receipt = await backend.call(desk().submit, packet)
        except backend.BackendError as error:
            logger.error("hand-over %s not queued at the desk: %s", tracker.sender_id, error)
            note = await self._note(tracker, packet, verified_id)
            dispatcher.utter_message(response="utter_handoff_unavailable")
            return events + [
                record(
                    tracker,
                    ESCALATE_ACTION,
                    HAND_OVER,
                    UNAVAILABLE,
                    detail={**why, "reason": "desk", "note": note},
                )
            ]
        logger.info(
            "hand-over %s queued: %s (%s)", receipt.get("id"), decision.reason_code, decision.rule
        )
        detail = {
            **why,
            "position": receipt.get("position"),
            "note": await self._note(tracker, packet, verified_id),
        }
        if verified_id and receipt.get("id") and needs_enrichment(verified_id, customer, snapshot):
            detail["enrichment"] = await self._complete_later(
                str(receipt["id"]), verified_id, touched
            )
        metadata = tracker.latest_message.get("metadata") or {}
        notice = handoff_notice(
            decision.reason_code,
            receipt,
            packet["channel"],
            bool(metadata.get(CAN_PUT_THROUGH)),
            now,
            can_text=bool(metadata.get(CAN_TEXT)),
            language=conversation_language(tracker.slots),
        )
        await self._tell_desk(receipt, notice)
        last = {PUT_THROUGH: True} if notice.put_through else {}
        if notice.callback_offer:  # the caller answers it on the paused call
            events.append(SlotSet(CALLBACK_OFFER, notice.callback_offer))
        for index, said in enumerate(notice.messages, start=1):
            through = last if index == len(notice.messages) else {}
            dispatcher.utter_message(response=said["response"], **said["variables"], **through)
        handoff_id = str(receipt["id"]) if receipt.get("id") else None
        return events + [
            record(tracker, ESCALATE_ACTION, HAND_OVER, HANDED_OVER, handoff_id, detail),
            ConversationPaused(),
        ]

    @staticmethod
    async def _tell_desk(receipt: dict[str, Any], notice: Notice) -> None:
        """What the customer is told goes into the packet the agent reads; a failure
        costs the agent that line, never the customer their answer."""
        if not receipt.get("id"):
            return
        try:
            await backend.call(
                desk().enrich, str(receipt["id"]), {"customer_notice": notice.packet_part}
            )
        except backend.BackendError as error:
            logger.warning(
                "hand-over %s without its notice: %s", receipt["id"], error.__class__.__name__
            )

    @staticmethod
    async def _complete_later(
        handoff_id: str, verified_id: str, touched: dict[str, list[str]]
    ) -> str:
        """The customer's records, unread in time, go to the desk once readable:
        'queued', or 'lost' when the outbox cannot keep the write."""
        try:
            await outbox.keep(
                late_enrichment.KIND, enrichment_write(handoff_id, verified_id, touched)
            )
        except outbox.OutboxUnavailable as error:
            logger.error("hand-over %s will not be completed later: %s", handoff_id, error)
            return "lost"
        return "queued"

    @staticmethod
    async def _note(tracker: Tracker, packet: dict[str, Any], verified_id: str | None) -> str:
        """The hand-over on the customer's file, after the desk has it (not before):
        kept in the outbox, whose worker delivers it whenever the backend takes it.
        Says where the note went: 'queued' (outbox), 'sent' (at once) or 'lost'."""
        note = {
            "conversation_id": tracker.sender_id,
            "channel": packet["channel"],
            "kind": "handoff",
            "summary": packet["summary"],
            "customer_id": verified_id,
        }
        try:
            await outbox.keep("interaction", note)
        except outbox.OutboxUnavailable as error:
            logger.error("hand-over note not kept in the outbox: %s; sending it now", error)
            sent = await _optional(
                "a note on the customer's file", backend.client().log_interaction, *note.values()
            )
            return "lost" if sent is None else "sent"
        return "queued"
