"""Erasure of one conversation in what Rasa's process owns (issue 17): its events in
the tracker store (every session, the store's cache, pending turns and journal), and
what the channels keep of it (where its replies go, the agents' messages' delivery
states). A conversation still in its session is first ended politely: the customer
gets `utter_details_erased` on their latest channel. Served by the desk endpoint's
`DELETE /internal/conversations/{id}` (stack/desk_endpoint.py), with the
conversation's lock held."""

import asyncio
import logging
from typing import Any

import sqlalchemy as sa
from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel
from rasa.core.processor import MessageProcessor
from rasa.shared.core.trackers import DialogueStateTracker

from connectors.delivery import deliveries, ledger
from connectors.state import recipients
from tracker_store.sql import DurableSQLTrackerStore

logger = logging.getLogger(__name__)
ENDED = "utter_details_erased"


class CannotErase(RuntimeError):
    """The tracker store configured is not one that can erase a conversation."""


def durable_store(tracker_store: Any) -> DurableSQLTrackerStore:
    """Switchboard's SQL tracker store inside Rasa's wrappers (FailSafe, Awaitable)."""
    store = tracker_store
    for _ in range(4):
        if isinstance(store, DurableSQLTrackerStore):
            return store
        store = getattr(store, "_tracker_store", None)
    raise CannotErase("the tracker store is not tracker_store.sql.DurableSQLTrackerStore")


def _forget_channels(conversation_id: str) -> dict[str, int]:
    with ledger().engine.begin() as connection:  # both tables, created with it
        sent_to = connection.execute(
            sa.delete(recipients).where(recipients.c.conversation == conversation_id)
        ).rowcount
        delivered = connection.execute(
            sa.delete(deliveries).where(deliveries.c.conversation == conversation_id)
        ).rowcount
    return {"channel_recipients": int(sent_to), "agent_message_deliveries": int(delivered)}


async def end_politely(
    processor: MessageProcessor, tracker: DialogueStateTracker, output: OutputChannel
) -> bool:
    """Tell a customer whose session is still going that their conversation ended
    with the erasure; True when sent. A channel without a push (REST's client polls
    the tracker, which goes) is not told; one that cannot send does not stop the
    erasure."""
    if isinstance(output, CollectingOutputChannel) or processor._has_session_expired(tracker):
        return False
    try:
        message = await processor.nlg.generate(ENDED, tracker, output.name())
        if message is None:
            logger.error("erasure: the model has no %s response", ENDED)
            return False
        await output.send_response(tracker.sender_id, message)
    except Exception as error:  # the channel's API: the erasure matters more
        logger.warning("erasure: the customer could not be told (%s)", type(error).__name__)
        return False
    return True


async def erase_conversation(tracker_store: Any, conversation_id: str) -> dict[str, int]:
    """Rows and entries removed per table (all 0 the second time)."""
    removed = await durable_store(tracker_store).erase(conversation_id)
    channels = await asyncio.to_thread(_forget_channels, conversation_id)
    return {**removed, **channels}
