"""What the channels must remember beyond one process: which inbound messages are
taken (so a retried or duplicated webhook call is handled once) and where each
conversation's replies go (so an agent's message for a conversation from before a
restart is still delivered).

One SQL database, `CHANNEL_STATE_URL` (default `sqlite:///var/channels.db`,
PostgreSQL by URL), with two tables:

- `channel_claims`: one row per inbound message id (hashed). A handler claims a
  message with a unique insert, so of two concurrent duplicates only one runs;
  the row then holds the outcome (`done` with what was answered, or `open` with work
  a retry may resume). A claim left `pending` by a process that died is opened again
  when a channel starts (`reopen`), and taken over by anyone after
  `STALE_CLAIM_SECONDS`. Rows older than `RETENTION_SECONDS` are pruned.
- `channel_recipients`: conversation id → where its replies go (a WhatsApp number,
  an e-mail thread's latest message).

Every call is one short transaction on a worker thread, off Rasa's event loop.
"""

import asyncio
import hashlib
import os
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from common.database import create_tables

STATE_URL_ENV = "CHANNEL_STATE_URL"
DEFAULT_URL = f"sqlite:///{Path(__file__).resolve().parents[1] / 'var' / 'channels.db'}"
STALE_CLAIM_SECONDS = 600.0  # far beyond a turn (Rasa's lock expires after 60 s)
RETENTION_SECONDS = 30 * 24 * 3600.0
PRUNE_EVERY_SECONDS = 3600.0

PENDING, OPEN, DONE = "pending", "open", "done"

metadata = sa.MetaData()
claims = sa.Table(
    "channel_claims",
    metadata,
    sa.Column("channel", sa.String(32), primary_key=True),
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("state", sa.String(8), nullable=False),
    sa.Column("result", sa.Text, nullable=True),
    sa.Column("claimed_at", sa.Float, nullable=False, index=True),
)
recipients = sa.Table(
    "channel_recipients",
    metadata,
    sa.Column("channel", sa.String(32), primary_key=True),
    sa.Column("conversation", sa.String(128), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming a message: `owned` when this caller must handle it;
    otherwise the state another handler left it in and its result."""

    owned: bool
    state: str
    result: str | None


def _hashed(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class ChannelState:
    """The channels' shared database."""

    def __init__(self, url: str) -> None:
        options = {}
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            options["connect_args"] = {"timeout": 15}
        self.engine: Engine = sa.create_engine(url, future=True, **options)
        create_tables(metadata, self.engine)
        self._pruned_at = 0.0

    # Claims

    def _claim(self, channel: str, key: str, payload: str | None = None) -> Claim:
        now = time.time()
        self._prune(now)
        where = sa.and_(claims.c.channel == channel, claims.c.key == key)
        try:
            with self.engine.begin() as db:
                db.execute(
                    claims.insert().values(
                        channel=channel, key=key, state=PENDING, result=payload, claimed_at=now
                    )
                )
            return Claim(True, PENDING, payload)
        except IntegrityError:
            pass
        with self.engine.begin() as db:
            resumable = sa.or_(
                claims.c.state == OPEN,
                sa.and_(claims.c.state == PENDING, claims.c.claimed_at < now - STALE_CLAIM_SECONDS),
            )
            taken = db.execute(
                claims.update().where(where, resumable).values(state=PENDING, claimed_at=now)
            ).rowcount
            row = db.execute(sa.select(claims.c.state, claims.c.result).where(where)).first()
        if row is None:  # released between the two statements: claim it afresh
            return self._claim(channel, key, payload)
        return Claim(bool(taken), PENDING if taken else row.state, row.result)

    async def claim(self, channel: str, key: str, payload: str | None = None) -> Claim:
        """Take a message for handling, once: owned by exactly one of any number of
        concurrent callers (and by a later one only if it was left open or stale).
        A new claim keeps `payload` (what to resume from) until it is settled."""
        return await asyncio.to_thread(self._claim, channel, _hashed(key), payload)

    def _reopen(self, channel: str, before: float) -> list[str]:
        mine = claims.c.channel == channel
        with self.engine.begin() as db:
            db.execute(
                claims.update()
                .where(mine, claims.c.state == PENDING, claims.c.claimed_at < before)
                .values(state=OPEN)
            )
            return [
                row.result
                for row in db.execute(
                    sa.select(claims.c.result).where(
                        mine, claims.c.state == OPEN, claims.c.result.isnot(None)
                    )
                )
            ]

    async def reopen(self, channel: str, before: float) -> list[str]:
        """Open again the channel's claims left pending since before `before` (by a
        process that stopped: the caller's start), for a retry or the caller to take;
        the results (payloads) of the channel's open claims."""
        return await asyncio.to_thread(self._reopen, channel, before)

    def _settle(self, channel: str, key: str, state: str, result: str | None) -> None:
        with self.engine.begin() as db:
            db.execute(
                claims.update()
                .where(claims.c.channel == channel, claims.c.key == key)
                .values(state=state, result=result, claimed_at=time.time())
            )

    async def settle(
        self, channel: str, key: str, result: str | None = None, done: bool = True
    ) -> None:
        """Record an owned message's outcome: done (a duplicate gets `result`) or
        open (a retry claims it and may resume from `result`)."""
        await asyncio.to_thread(self._settle, channel, _hashed(key), DONE if done else OPEN, result)

    def _release(self, channel: str, key: str) -> None:
        with self.engine.begin() as db:
            db.execute(
                claims.delete().where(
                    claims.c.channel == channel, claims.c.key == key, claims.c.state == PENDING
                )
            )

    async def release(self, channel: str, key: str) -> None:
        """Forget an owned message that was not handled, so that a retry handles it."""
        await asyncio.to_thread(self._release, channel, _hashed(key))

    def _outcome(self, channel: str, key: str) -> str | None:
        with self.engine.connect() as db:
            return db.execute(
                sa.select(claims.c.state).where(claims.c.channel == channel, claims.c.key == key)
            ).scalar()

    async def outcome(self, channel: str, key: str) -> str | None:
        """The state a message was left in (pending, open or done), None if unknown."""
        return await asyncio.to_thread(self._outcome, channel, _hashed(key))

    def _prune(self, now: float) -> None:
        if now - self._pruned_at < PRUNE_EVERY_SECONDS:
            return
        self._pruned_at = now
        with self.engine.begin() as db:
            db.execute(claims.delete().where(claims.c.claimed_at < now - RETENTION_SECONDS))

    # Recipients

    def _remember(self, channel: str, conversation: str, value: str) -> None:
        where = sa.and_(recipients.c.channel == channel, recipients.c.conversation == conversation)
        values = {"value": value, "updated_at": time.time()}
        with self.engine.begin() as db:
            if db.execute(recipients.update().where(where).values(**values)).rowcount:
                return
        try:
            with self.engine.begin() as db:
                db.execute(
                    recipients.insert().values(channel=channel, conversation=conversation, **values)
                )
        except IntegrityError:  # inserted meanwhile by a concurrent message
            with self.engine.begin() as db:
                db.execute(recipients.update().where(where).values(**values))

    async def remember(self, channel: str, conversation: str, value: str) -> None:
        """Where the conversation's replies go from now on."""
        await asyncio.to_thread(self._remember, channel, conversation, value)

    def _recall(self, channel: str, conversation: str) -> str | None:
        with self.engine.connect() as db:
            return db.execute(
                sa.select(recipients.c.value).where(
                    recipients.c.channel == channel, recipients.c.conversation == conversation
                )
            ).scalar()

    async def recall(self, channel: str, conversation: str) -> str | None:
        """Where the conversation's replies go, if any message of it was received."""
        return await asyncio.to_thread(self._recall, channel, conversation)


class ChannelStateConfigError(ValueError):
    """CHANNEL_STATE_URL names no database the channels can open."""


@cache
def channel_state(url: str | None = None) -> ChannelState:
    """The process's channel database (one engine per URL); a URL that cannot be
    opened stops the start, naming the variable (not the URL: it may hold a password)."""
    try:
        return ChannelState(url or os.environ.get(STATE_URL_ENV) or DEFAULT_URL)
    except (SQLAlchemyError, ValueError, OSError) as error:
        raise ChannelStateConfigError(
            f"{STATE_URL_ENV}: the channels' database cannot be opened ({type(error).__name__})"
        ) from None
