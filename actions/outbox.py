"""Writes to Brightwave's systems that an outage must not lose, kept until delivered.

An action never waits for the CRM to take a write (the note on the customer's file
at hand-over): it adds the write to this outbox, one row in the assistant's own
database (ASSISTANT_DATABASE_URL, like actions/lockout.py), and answers the
customer. A hand-over queued without the customer's records adds the write that
completes it later (actions/late_enrichment.py). The action server's worker
(`deliver_forever`) sends each row, retrying an unreachable backend with
exponential back-off up to OUTBOX_MAX_BACKOFF; rows left by a stopped action
server are sent after its restart. Every delivery carries
the row's id as its request id, so a write whose answer was lost is stored once.
A write the backend refuses (4xx) is kept, marked failed, and never resent. Logs
name the row's id, kind and error class, never what it carries.
"""

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from actions import backend_client as backend
from actions import late_enrichment
from actions.settings import settings

logger = logging.getLogger(__name__)

metadata = sa.MetaData()

entries = sa.Table(
    "crm_outbox",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("created_at", sa.Float, nullable=False),
    # Unix time of the next attempt; None once the backend refused the write.
    sa.Column("next_attempt_at", sa.Float, nullable=True, index=True),
    sa.Column("last_error", sa.String(64), nullable=True),
)


class OutboxUnavailable(Exception):
    """The assistant's database cannot be read or written."""


@dataclass(frozen=True)
class Entry:
    """One write waiting for delivery."""

    id: str
    kind: str
    payload: dict[str, Any]
    attempts: int


def backoff_seconds(attempts: int, max_backoff: float) -> float:
    """Seconds before the next attempt after `attempts` failed ones: 1, 2, 4 … max."""
    return float(min(max_backoff, 2.0 ** max(attempts - 1, 0)))


class Outbox:
    """The pending writes, in one SQL table."""

    def __init__(
        self, url: str, max_backoff: float = 300.0, clock: Callable[[], float] = time.time
    ) -> None:
        self.engine = sa.create_engine(url, future=True)
        self.max_backoff = max_backoff
        self.clock = clock
        try:
            metadata.create_all(self.engine)
        except SQLAlchemyError as error:
            raise OutboxUnavailable(f"outbox table: {error.__class__.__name__}") from None

    def add(self, kind: str, payload: Mapping[str, Any]) -> str:
        """Keep a write for delivery, due at once; its id is its request id."""
        entry_id = f"outbox-{uuid.uuid4().hex}"
        now = self.clock()
        try:
            with self.engine.begin() as db:
                db.execute(
                    sa.insert(entries).values(
                        id=entry_id,
                        kind=kind,
                        payload=json.dumps(dict(payload)),
                        attempts=0,
                        created_at=now,
                        next_attempt_at=now,
                    )
                )
        except SQLAlchemyError as error:
            raise OutboxUnavailable(f"outbox add: {error.__class__.__name__}") from None
        return entry_id

    def due(self, limit: int = 20) -> list[Entry]:
        """The writes whose next attempt is due, oldest first."""
        try:
            with self.engine.connect() as db:
                rows = db.execute(
                    sa.select(entries)
                    .where(
                        entries.c.next_attempt_at.is_not(None),
                        entries.c.next_attempt_at <= self.clock(),
                    )
                    .order_by(entries.c.created_at)
                    .limit(limit)
                ).all()
        except SQLAlchemyError as error:
            raise OutboxUnavailable(f"outbox read: {error.__class__.__name__}") from None
        return [Entry(row.id, row.kind, json.loads(row.payload), row.attempts) for row in rows]

    def pending(self) -> int:
        """How many writes still wait for delivery."""
        with self.engine.connect() as db:
            return int(
                db.execute(
                    sa.select(sa.func.count())
                    .select_from(entries)
                    .where(entries.c.next_attempt_at.is_not(None))
                ).scalar_one()
            )

    def delivered(self, entry: Entry) -> None:
        self._change(entry, None, delete=True)

    def retry_later(self, entry: Entry, error: str) -> float:
        """Count a failed attempt and schedule the next; returns the delay."""
        delay = backoff_seconds(entry.attempts + 1, self.max_backoff)
        self._change(entry, error, next_attempt_at=self.clock() + delay)
        return delay

    def refused(self, entry: Entry, error: str) -> None:
        """Keep a write the backend refused, never to be sent again."""
        self._change(entry, error, next_attempt_at=None)

    def _change(self, entry: Entry, error: str | None, delete: bool = False, **values: Any) -> None:
        try:
            with self.engine.begin() as db:
                where = entries.c.id == entry.id
                if delete:
                    db.execute(sa.delete(entries).where(where))
                else:
                    db.execute(
                        sa.update(entries)
                        .where(where)
                        .values(attempts=entry.attempts + 1, last_error=error, **values)
                    )
        except SQLAlchemyError as failure:
            raise OutboxUnavailable(f"outbox update: {failure.__class__.__name__}") from None


Deliverer = Callable[[dict[str, Any], str], Any]


def deliver_interaction(payload: dict[str, Any], request_id: str) -> Any:
    """A note on the customer's file (BackendClient.log_interaction's arguments)."""
    return backend.client().log_interaction(**payload, request_id=request_id)


DELIVERERS: dict[str, Deliverer] = {
    "interaction": deliver_interaction,
    late_enrichment.KIND: late_enrichment.deliver_enrichment,
}


async def deliver_due(outbox: Outbox, deliverers: Mapping[str, Deliverer]) -> int:
    """Send every due write once; returns how many were delivered."""
    delivered = 0
    for entry in await asyncio.to_thread(outbox.due):
        deliver = deliverers.get(entry.kind)
        try:
            if deliver is None:
                raise backend.BackendRejected(f"no deliverer for {entry.kind}")
            await backend.call(deliver, entry.payload, entry.id)
        except backend.BackendUnavailable as error:
            delay = await asyncio.to_thread(outbox.retry_later, entry, error.__class__.__name__)
            logger.warning(
                "outbox %s (%s) not delivered, attempt %d: %s; next in %g s",
                entry.id,
                entry.kind,
                entry.attempts + 1,
                error.__class__.__name__,
                delay,
            )
            continue
        except backend.BackendError as error:
            await asyncio.to_thread(outbox.refused, entry, error.__class__.__name__)
            logger.error(
                "outbox %s (%s) refused by the backend: %s; kept, not resent",
                entry.id,
                entry.kind,
                error.__class__.__name__,
            )
            continue
        except Exception as error:  # a fault of ours: kept and tried again, never lost
            delay = await asyncio.to_thread(outbox.retry_later, entry, error.__class__.__name__)
            logger.error(
                "outbox %s (%s) failed unexpectedly: %s; next in %g s",
                entry.id,
                entry.kind,
                error.__class__.__name__,
                delay,
            )
            continue
        await asyncio.to_thread(outbox.delivered, entry)
        delivered += 1
        logger.info(
            "outbox %s (%s) delivered after %d attempt(s)", entry.id, entry.kind, entry.attempts + 1
        )
    return delivered


_wakeups: set[asyncio.Event] = set()


def wake() -> None:
    """Have the running workers look at once: a write was just added. Call it on
    the event loop the workers run on (as actions do)."""
    for wakeup in _wakeups:
        wakeup.set()


async def keep(kind: str, payload: Mapping[str, Any]) -> str:
    """Add a write to the process-wide outbox and have the worker look at once;
    OutboxUnavailable when it cannot be kept."""
    entry_id = await asyncio.to_thread(store().add, kind, payload)
    wake()
    return entry_id


async def deliver_forever(
    outbox: Outbox, poll_seconds: float, deliverers: Mapping[str, Deliverer] = DELIVERERS
) -> None:
    """The action server's background worker: pending rows first, then new ones,
    looked for every poll_seconds or at once when woken."""
    wakeup = asyncio.Event()
    _wakeups.add(wakeup)
    try:
        while True:
            wakeup.clear()
            try:
                await deliver_due(outbox, deliverers)
            except OutboxUnavailable as error:
                logger.error("outbox unreadable: %s; trying again", error)
            except Exception as error:  # the worker must outlive any one failure
                logger.error("outbox worker: %s; trying again", error.__class__.__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wakeup.wait(), poll_seconds)
    finally:
        _wakeups.discard(wakeup)


@lru_cache(maxsize=1)
def store() -> Outbox:
    """The process-wide outbox, configured from the validated settings."""
    config = settings()
    return Outbox(config.assistant_database_url, config.outbox_max_backoff)
