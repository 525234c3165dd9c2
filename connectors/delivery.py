"""Whether each agent's message reached the customer, so the desk can say so honestly.

An agent's message (the desk's bot event with `metadata.agent`) is `waiting` until
its channel knows better: sent (WhatsApp's Messages API took it, the SMTP relay took
the e-mail, an SMS or WhatsApp message reached a caller who had hung up), confirmed
(the web chat page acknowledged it, a REST client fetched it) → `delivered`; the
send refused → `failed`; not sent on purpose (an internal move on e-mail) →
`not_sent`. Only these outcomes are stored (table `agent_deliveries` in the
channels' database, CHANNEL_STATE_URL), keyed by the conversation and the message's
timestamp, which Rasa passes to the channel with the text; the desk's read of the
conversation (stack/desk_endpoint.py) shows every agent's message with its state.
"""

import asyncio
import logging
import time
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from common.database import create_tables
from connectors.state import ChannelState, channel_state

logger = logging.getLogger(__name__)

WAITING, DELIVERED, FAILED, NOT_SENT = "waiting", "delivered", "failed", "not_sent"
RETENTION_SECONDS = 90 * 24 * 3600.0

metadata = sa.MetaData()
deliveries = sa.Table(
    "agent_deliveries",
    metadata,
    sa.Column("conversation", sa.String(128), primary_key=True),
    # repr() of the bot event's timestamp: exact, whatever the database's float.
    sa.Column("stamp", sa.String(32), primary_key=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False, index=True),
)


def agent_stamp(message: Mapping[str, Any]) -> float | None:
    """The timestamp of an agent's message (what a channel is given to send, or a
    bot event's metadata and time); None for the assistant's own messages."""
    agent = message.get("agent")
    stamp = message.get("timestamp")
    if not isinstance(agent, str) or not agent.strip() or not isinstance(stamp, (int, float)):
        return None
    return float(stamp)


def offline_mark(message: Mapping[str, Any]) -> Mapping[str, Any]:
    """The desk's mark on an agent's message for channels that reach a customer who is
    not in a live chat (desk/offline_replies.py): `send` (false for an internal move)
    and `signature`; empty when there is none."""
    mark = message.get("offline")
    return mark if isinstance(mark, dict) else {}


class Deliveries:
    """The outcomes of agents' messages, per conversation."""

    def __init__(self, state: ChannelState) -> None:
        self.engine = state.engine
        create_tables(metadata, self.engine)

    def _record(self, conversation: str, stamp: float, state: str) -> None:
        now = time.time()
        key = {"conversation": conversation, "stamp": repr(stamp)}
        with self.engine.begin() as connection:
            connection.execute(
                deliveries.delete().where(deliveries.c.updated_at < now - RETENTION_SECONDS)
            )
            done = connection.execute(
                deliveries.update()
                .where(
                    (deliveries.c.conversation == conversation)
                    & (deliveries.c.stamp == key["stamp"])
                )
                .values(state=state, updated_at=now)
            )
            if not done.rowcount:
                connection.execute(deliveries.insert().values(**key, state=state, updated_at=now))

    async def record(self, conversation: str, stamp: float | None, state: str) -> None:
        """Note an agent's message's outcome (nothing for the assistant's messages); a
        failing database is logged, never passed on to the send."""
        if stamp is None:
            return
        try:
            await asyncio.to_thread(self._record, conversation, stamp, state)
        except SQLAlchemyError as error:
            logger.error("delivery.record.failed: %s", type(error).__name__)

    async def delivered_all(self, conversation: str, stamps: Iterable[float]) -> None:
        for stamp in stamps:
            await self.record(conversation, stamp, DELIVERED)

    def _states(self, conversation: str) -> dict[str, str]:
        with self.engine.begin() as connection:
            rows = connection.execute(
                sa.select(deliveries.c.stamp, deliveries.c.state).where(
                    deliveries.c.conversation == conversation
                )
            ).all()
        return {row.stamp: row.state for row in rows}

    async def states(self, conversation: str) -> dict[str, str]:
        """repr(timestamp) → state, for the conversation's agent messages with one."""
        return await asyncio.to_thread(self._states, conversation)


def state_of(states: Mapping[str, str], stamp: float) -> str:
    return states.get(repr(float(stamp)), WAITING)


@lru_cache(maxsize=1)
def ledger() -> Deliveries:
    """The process's ledger, on the channels' database."""
    return Deliveries(channel_state())
