"""Web chat messages kept until a browser confirms them, so a reply (an agent's, or
the assistant's) written while the customer's tab was closed is shown when they
come back.

Every message for a conversation is stored first (table `webchat_outbox` in the
channels' database, CHANNEL_STATE_URL), then emitted to each socket of the
conversation asking for an acknowledgement; the page (chat.js) acknowledges each
message it receives, and only then is the row deleted. When a browser binds the
session again (`session_request` after a reload or a return), what is still waiting
is sent to it in order. A message may so be shown twice (received, acknowledgement
lost), never not at all. Rows older than RETENTION_SECONDS are dropped.
"""

import asyncio
import json
import time
from typing import Any

import sqlalchemy as sa

from common.database import create_tables
from connectors.state import ChannelState

RETENTION_SECONDS = 30 * 24 * 3600.0

metadata = sa.MetaData()
outbox = sa.Table(
    "webchat_outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("conversation", sa.String(128), nullable=False, index=True),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False, index=True),
)


class Outbox:
    """The messages of each conversation no browser has confirmed yet."""

    def __init__(self, state: ChannelState) -> None:
        self.engine = state.engine
        create_tables(metadata, self.engine)

    def _put(self, conversation: str, message: dict[str, Any]) -> int:
        now = time.time()
        with self.engine.begin() as connection:
            connection.execute(outbox.delete().where(outbox.c.created_at < now - RETENTION_SECONDS))
            result = connection.execute(
                outbox.insert().values(
                    conversation=conversation, message=json.dumps(message), created_at=now
                )
            )
            return int(result.inserted_primary_key[0])

    async def put(self, conversation: str, message: dict[str, Any]) -> int:
        """Keep a message; its key."""
        return await asyncio.to_thread(self._put, conversation, message)

    def _delivered(self, key: int) -> None:
        with self.engine.begin() as connection:
            connection.execute(outbox.delete().where(outbox.c.id == key))

    async def delivered(self, key: int) -> None:
        await asyncio.to_thread(self._delivered, key)

    def _waiting(self, conversation: str) -> list[tuple[int, dict[str, Any]]]:
        with self.engine.begin() as connection:
            rows = connection.execute(
                sa.select(outbox.c.id, outbox.c.message)
                .where(outbox.c.conversation == conversation)
                .order_by(outbox.c.id)
            ).all()
        return [(int(row.id), json.loads(row.message)) for row in rows]

    async def waiting(self, conversation: str) -> list[tuple[int, dict[str, Any]]]:
        """The conversation's unconfirmed messages, oldest first."""
        return await asyncio.to_thread(self._waiting, conversation)
