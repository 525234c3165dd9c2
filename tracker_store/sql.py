"""Rasa's SQL tracker store, made so that no turn is ever lost quietly, and so that
a turn does not re-read its whole conversation from the database.

Rasa wraps every tracker store in a FailSafeTrackerStore: when a save fails it
logs once and writes the turn to an in-memory store that nothing reads back
(rasa#3243), so the next turn is built from the stale database state and the
lost one is gone for good. This store instead

- retries a failed save a few times with a short back-off;
- if the database still refuses, keeps the newest state of that conversation
  in memory, serves it to the next turn (the customer notices nothing), and
  appends it to a journal file on disk so it survives a crash;
- writes what is pending as soon as the database takes writes again;
- says so loudly: `tracker_store.save.failed` and `tracker_store.save.recovered`
  at error/warning level, with the number of conversations not yet stored;
- replays the journal when it starts: what a process that stopped before the
  database came back left unsaved is written then (only the events newer than the
  conversation's newest stored one, so a replay never doubles a turn, and a
  conversation another process carried on is not rewritten); a turn written once
  the database is back leaves the journal.

While a read fails, `unreachable(store)` is true: a channel answers 503 with
Retry-After then (Rasa's FailSafeTrackerStore would otherwise hand the turn a new,
empty conversation).

Conversation cache (write-through). Every save still goes to the database, as
above. The store also keeps, for the `cache_conversations` most recently used
conversations, the stored rows of their latest session (the JSON text the
database holds) together with what the database holds for that sender: how many
rows, the newest id, the earliest and latest timestamp. A retrieve first asks the
database for those figures (one query on the sender's rows) and rebuilds the
tracker from the cached rows only while they still match; a save uses the cached
rows in place of Rasa's count query under the same condition. Another process
(a second Rasa, a script) that adds or removes rows, or moves their times (the
channel tests age a conversation so), changes them, so the cache does not hide
its write. Editing a stored row's data in place and keeping its time would go
unnoticed; Rasa never edits stored events.
A tracker is rebuilt from the same rows with the same code as from the database
(`DialogueStateTracker.from_dict`), so a cached one is no different. The desk
and the HTTP API write through this process too.

The database work runs on one thread of the store's own, so that the event loop
goes on with other conversations while a commit waits for the disk.

Minimised at rest (issue 17, common/minimise.py): the rows, the journal and the
events streamed to the broker are what `minimise_events` leaves of the turn; the
conversation Rasa holds during the turn keeps the values it needs. A verification
answer kept across turns while the CRM is down (`pending_factor`) is held in this
process's memory only (`held`), and given back to the conversation it belongs to;
after a restart the customer is asked again.

endpoints.yml: `type: tracker_store.sql.DurableSQLTrackerStore`, `url: <SQLAlchemy URL>`,
optionally `journal`, `cache_conversations` (0 switches the cache off).
"""

import asyncio
import itertools
import json
import logging
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import SingletonThreadPool
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_incrementing,
)

from common.minimise import is_typed_answer, minimise_events
from tracker_store.decoded import DecodedEvents

logger = logging.getLogger(__name__)

DEFAULT_JOURNAL = Path(__file__).resolve().parents[1] / "var" / "unsaved_turns.jsonl"
DEFAULT_CACHE_CONVERSATIONS = 1000
T = TypeVar("T")


@dataclass(frozen=True)
class Row:
    """One stored event as the events table holds it."""

    timestamp: float | None
    type_name: str
    data: str


@dataclass(frozen=True)
class Stored:
    """What the database holds of a sender: how many events, the newest one's id,
    the earliest and latest timestamp (None where there is none)."""

    count: int
    last_id: int | None
    first_time: float | None
    last_time: float | None

    def after(self, records: Sequence[Any]) -> "Stored":
        """These figures once the records (rows just inserted) are added. The times
        are compared, not added up, so they match the database's exactly."""
        times = [
            t
            for t in (self.first_time, self.last_time, *(r.timestamp for r in records))
            if t is not None
        ]
        return Stored(
            self.count + len(records),
            records[-1].id if records else self.last_id,
            min(times, default=None),
            max(times, default=None),
        )


@dataclass(frozen=True)
class CachedConversation:
    """What the database held of a conversation when this process last read or
    wrote it: every row of the latest session (and possibly older ones)."""

    stored: Stored
    rows: Sequence[Row]


def latest_session(rows: Sequence[Row]) -> list[Row]:
    """The rows SQLTrackerStore's retrieve returns: those from the newest
    SessionStarted's timestamp on, or all when there is none (its `_event_query`)."""
    starts = [
        r.timestamp
        for r in rows
        if r.type_name == SessionStarted.type_name and r.timestamp is not None
    ]
    if not starts:
        return list(rows)
    start = max(starts)
    return [r for r in rows if r.timestamp is not None and r.timestamp >= start]


def unstored(sender_id: str, known: Sequence[Row], events: Sequence[Event]) -> list[Event]:
    """The events the database lacks: those after the stored ones when the tracker
    extends what is stored (the usual case). A tracker that does not (Rasa's new, empty
    conversation when a read failed, see `unreachable`) gets its events newer than the
    newest stored one appended, so the turn is stored after them, not dropped."""
    at = len(known) - 1
    if at < 0 or (
        at < len(events)
        and known[at].type_name == events[at].type_name
        and known[at].timestamp == events[at].timestamp
    ):
        return list(events[len(known) :])
    newest = max((row.timestamp for row in known if row.timestamp is not None), default=0.0)
    logger.warning(
        "tracker_store.save.diverged sender=%s: the turn does not extend the stored "
        "conversation; its events after the newest stored one are appended",
        sender_id,
    )
    return [event for event in events if event.timestamp > newest]


def unreachable(store: Any) -> bool:
    """True while the durable store behind store (inside Rasa's FailSafe and Awaitable
    wrappers) cannot read the database."""
    for _ in range(4):
        if isinstance(store, DurableSQLTrackerStore):
            return store.unreachable
        store = getattr(store, "_tracker_store", None)
    return False


class DurableSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore with retries, a pending buffer, an on-disk journal and a
    write-through cache of recent conversations."""

    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,
        save_attempts: int = 3,
        retry_delay: float = 0.2,
        journal: str | None = None,
        cache_conversations: int = DEFAULT_CACHE_CONVERSATIONS,
        **kwargs: Any,
    ) -> None:
        if save_attempts < 1 or retry_delay < 0:
            raise ValueError("save_attempts must be at least 1 and retry_delay not negative")
        if (
            isinstance(cache_conversations, bool)
            or not isinstance(cache_conversations, int)
            or cache_conversations < 0
        ):
            raise ValueError(
                f"cache_conversations must be a whole number, 0 or more, "
                f"not {cache_conversations!r}"
            )
        super().__init__(domain=domain, host=host, **kwargs)
        self._keep_sqlite_connection()
        self.save_attempts = save_attempts
        self.retry_delay = retry_delay
        self.journal = Path(journal) if journal else DEFAULT_JOURNAL
        self.pending: dict[str, DialogueStateTracker] = {}
        self.cache_conversations = cache_conversations
        self.cache: OrderedDict[str, CachedConversation] = OrderedDict()
        self.decoded = DecodedEvents(max(cache_conversations, 1))
        self.database_thread = ThreadPoolExecutor(1, thread_name_prefix="tracker-store")
        # Verification answers typed while the CRM was down, by conversation and slot.
        self.held: dict[str, dict[str, str]] = {}
        self.unreachable = False  # the last read failed
        self.replay_journal()

    def _keep_sqlite_connection(self) -> None:
        """An SQLite file's connection stays open on the thread that uses it.
        SQLAlchemy 1.4 opens and closes one for every session of an SQLite file
        (NullPool): most of the cost of reading a conversation, which every web-chat
        poll and every turn does. PostgreSQL keeps Rasa's pooled engine."""
        engine: sa.engine.Engine = self.engine  # type: ignore[has-type]  # set by Rasa
        url = engine.url
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return
        engine.dispose()
        self.engine = sa.create_engine(url, poolclass=SingletonThreadPool)
        self.sessionmaker = sessionmaker(bind=self.engine)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the turn, or keep it pending and journalled if the database refuses."""
        await self._write_pending(except_for=tracker.sender_id)
        try:
            await self._save_with_retries(tracker)
        except SQLAlchemyError as error:
            self.pending[tracker.sender_id] = tracker
            self._journal(tracker, error)
            logger.error(
                "tracker_store.save.failed sender=%s pending=%d error=%s; the turn "
                "is kept in memory and in %s until the database takes writes",
                tracker.sender_id,
                len(self.pending),
                error,
                self.journal,
            )
            return
        if self.pending.pop(tracker.sender_id, None) is not None:
            await self._recovered(tracker.sender_id)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The newest state: the pending one when the database has not got it yet,
        else the latest session as the database holds it."""
        if sender_id in self.pending:
            return self.pending[sender_id]
        events = await self._stored_events(sender_id)
        if events is None:
            return None
        return DialogueStateTracker.from_events(sender_id, events, self.domain.slots)

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """Rasa's: the tracker's events after those retrieve would give, to the
        broker; counted without building the stored conversation's tracker."""
        if self.event_broker is None:
            return
        sender_id = tracker.sender_id
        if sender_id in self.pending:
            offset = len(self.pending[sender_id].events)
        else:
            offset = len(await self._stored_events(sender_id) or ())
        new_events = list(itertools.islice(tracker.events, offset, len(tracker.events)))
        await self._stream_new_events(self.event_broker, new_events, sender_id)

    async def _stored_events(self, sender_id: str) -> list[Event] | None:
        """The events of the latest session as the database holds them (None when
        there are none, or no domain to build a tracker with). A failed read is
        tried once more (a pooled connection the database closed on restart fails
        once)."""
        try:
            rows: list[Row] = await AsyncRetrying(
                stop=stop_after_attempt(2),
                retry=retry_if_exception_type(SQLAlchemyError),
                reraise=True,
            )(self._in_database, partial(self._read, sender_id))
        except SQLAlchemyError:
            self.unreachable = True
            raise
        self.unreachable = False
        if not self.domain or not rows:
            return None
        return self.decoded.events(sender_id, rows, self.held.get(sender_id, {}))

    def _hold(self, sender_id: str, events: list[dict[str, Any]]) -> None:
        """Remembers (in memory) the typed verification answers these events leave in
        a slot, and forgets those a later event clears."""
        held = self.held.setdefault(sender_id, {})
        for event in events:
            if event.get("event") in ("restart", "session_started"):
                held.clear()
            if event.get("event") == "slot" and event.get("name") in held:
                held.pop(str(event["name"]))
            if is_typed_answer(event):
                held[str(event["name"])] = str(event["value"])
        if not held:
            del self.held[sender_id]
        elif len(self.held) > max(self.cache_conversations, 1):
            self.held.pop(next(iter(self.held)))

    async def _stream_new_events(
        self, event_broker: EventBroker, new_events: list[Event], sender_id: str
    ) -> None:
        """Rasa's, with the events minimised as the rows are."""
        for data in minimise_events(event.as_dict() for event in new_events):
            event_broker.publish({"sender_id": sender_id, **data})

    async def erase(self, sender_id: str) -> dict[str, int]:
        """Erasure (issue 17): every stored event of the conversation, of every
        session, its cached and pending state and its journal entries, removed; how
        many rows and entries. The caller holds the conversation's lock."""
        self.pending.pop(sender_id, None)
        self.held.pop(sender_id, None)
        self.decoded.forget(sender_id)
        events = await self._in_database(partial(self._delete, sender_id))
        journalled = await self._in_database(partial(self._unjournal, sender_id))
        return {"tracker_events": events, "journal_entries": journalled}

    async def quiet_since(self, before: float) -> list[tuple[str, float, str | None]]:
        """Retention (issue 17): each conversation whose last event is older than
        `before` (Unix seconds), with that time and the channel the customer last
        wrote on (None when they never wrote)."""
        return await self._in_database(partial(self._quiet_since, before))

    def _quiet_since(self, before: float) -> list[tuple[str, float, str | None]]:
        events = self.SQLEvent
        found = []
        with self.session_scope() as session:
            last = sa.func.max(events.timestamp)
            quiet = session.query(events.sender_id, last).group_by(events.sender_id)
            for sender_id, at in quiet.having(last < before).all():
                latest = (
                    session.query(events.data)
                    .filter(events.sender_id == sender_id, events.type_name == "user")
                    .order_by(events.id.desc())
                    .first()
                )
                channel = json.loads(latest[0]).get("input_channel") if latest else None
                found.append((sender_id, float(at), channel))
        return found

    def _delete(self, sender_id: str) -> int:
        self.cache.pop(sender_id, None)
        with self.session_scope() as session:
            removed = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == sender_id)
                .delete(synchronize_session=False)
            )
            session.commit()
        return int(removed)

    def _unjournal(self, sender_id: str) -> int:
        """The journal rewritten without the conversation's entries (atomically)."""
        if not self.journal.exists():
            return 0
        kept: list[str] = []
        removed = 0
        with self.journal.open(encoding="utf-8") as journal:
            for line in journal:
                try:
                    entry = json.loads(line)
                except ValueError:
                    entry = None
                if isinstance(entry, dict) and entry.get("sender_id") == sender_id:
                    removed += 1
                else:
                    kept.append(line)
        if removed:
            rewritten = self.journal.with_suffix(".erasing")
            rewritten.write_text("".join(kept), encoding="utf-8")
            os.replace(rewritten, self.journal)
        return removed

    async def _save_with_retries(self, tracker: DialogueStateTracker) -> None:
        def log_retry(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            logger.warning(
                "tracker_store.save.retry sender=%s attempt=%d error=%s",
                tracker.sender_id,
                state.attempt_number,
                error,
            )

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.save_attempts),
            # retry_delay, then twice that, and so on, as the attempts go.
            wait=wait_incrementing(start=self.retry_delay, increment=self.retry_delay),
            retry=retry_if_exception_type(SQLAlchemyError),
            before_sleep=log_retry,
            reraise=True,
        )
        await retrying(self._save_once, tracker)

    async def _save_once(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        await self._in_database(partial(self._write, tracker.sender_id, list(tracker.events)))

    async def _in_database(self, work: Callable[[], T]) -> T:
        """Runs work on the store's one database thread: a commit waits for the disk
        (an fsync, 1 to 15 ms a turn depending on the disk's other work) without
        holding up the event loop. One thread keeps writes in order and is the only
        one that touches the cache."""
        return await asyncio.get_running_loop().run_in_executor(self.database_thread, work)

    def _read(self, sender_id: str) -> list[Row]:
        with self.session_scope() as session:
            return self._known_rows(session, sender_id)

    def _write(self, sender_id: str, events: list[Event]) -> None:
        """SQLTrackerStore.save: the events the database does not hold yet, in one
        transaction; then the cache knows the rows and the figures it left."""
        with self.session_scope() as session:
            # Read before writing, and dropped from the cache until the commit succeeds.
            known = self._known_rows(session, sender_id)
            stored = self.cache.pop(sender_id).stored if sender_id in self.cache else None
            new = [event.as_dict() for event in unstored(sender_id, known, events)]
            self._hold(sender_id, new)
            records = [self._record(sender_id, data) for data in minimise_events(new)]
            session.add_all(records)
            session.flush()  # assigns the ids, which the commit would expire
            stored = stored.after(records) if stored is not None else None
            new_rows = [Row(r.timestamp, r.type_name, r.data) for r in records]
            session.commit()
        if stored is not None:
            self._remember(
                sender_id, CachedConversation(stored, latest_session([*known, *new_rows]))
            )
        logger.debug("Tracker with sender_id '%s' stored to database", sender_id)

    def _record(self, sender_id: str, data: dict[str, Any]) -> Any:
        """A row of the events table for one event (its minimised `as_dict`), as
        SQLTrackerStore.save writes it."""
        return self.SQLEvent(
            sender_id=sender_id,
            type_name=data.get("event"),
            timestamp=data.get("timestamp"),
            intent_name=data.get("parse_data", {}).get("intent", {}).get("name"),
            action_name=data.get("name"),
            data=json.dumps(data),
        )

    def _known_rows(self, session: Session, sender_id: str) -> list[Row]:
        """The rows of the sender's latest session: from the cache while the
        database still holds what it did when they were cached, else read (and
        cached). The figures are read first: a write landing between them and the
        rows leaves figures that no longer match, so the next call reads again."""
        stored = self._stored(session, sender_id)
        cached = self.cache.get(sender_id)
        if cached is not None and cached.stored == stored:
            self.cache.move_to_end(sender_id)
            return latest_session(cached.rows)
        query = self._event_query(session, sender_id, fetch_events_from_all_sessions=False)
        SQLEvent = self.SQLEvent
        rows = [
            Row(*values)
            for values in query.with_entities(SQLEvent.timestamp, SQLEvent.type_name, SQLEvent.data)
        ]
        self._remember(sender_id, CachedConversation(stored, rows))
        return rows

    def _stored(self, session: Session, sender_id: str) -> Stored:
        SQLEvent = self.SQLEvent
        return Stored(
            *session.query(
                sa.func.count(SQLEvent.id),
                sa.func.max(SQLEvent.id),
                sa.func.min(SQLEvent.timestamp),
                sa.func.max(SQLEvent.timestamp),
            )
            .filter(SQLEvent.sender_id == sender_id)
            .one()
        )

    def _remember(self, sender_id: str, conversation: CachedConversation) -> None:
        if not self.cache_conversations:
            return
        self.cache[sender_id] = conversation
        self.cache.move_to_end(sender_id)
        while len(self.cache) > self.cache_conversations:
            self.cache.popitem(last=False)

    async def _write_pending(self, except_for: str) -> None:
        """Try once to store the other conversations still pending."""
        for sender_id, tracker in list(self.pending.items()):
            if sender_id == except_for:
                continue
            try:
                await self._save_once(tracker)
            except SQLAlchemyError:
                return
            del self.pending[sender_id]
            await self._recovered(sender_id)

    async def _recovered(self, sender_id: str) -> None:
        """A pending turn is stored: its journal entries are done with."""
        await self._in_database(partial(self._unjournal, sender_id))
        logger.warning(
            "tracker_store.save.recovered sender=%s pending=%d", sender_id, len(self.pending)
        )

    def replay_journal(self) -> None:
        """Writes what the journal holds that the database lacks, then empties the
        journal; if the database refuses, the journal stays for the next start."""
        newest: dict[str, list[dict[str, Any]]] = {}
        if self.journal.exists():
            for line in self.journal.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                    newest[str(entry["sender_id"])] = list(entry["events"])
                except (ValueError, KeyError, TypeError):
                    logger.error("tracker_store.journal.unreadable file=%s", self.journal)
        if not newest:
            return
        try:
            written = {
                sender: self._append_newer(sender, events) for sender, events in newest.items()
            }
        except SQLAlchemyError as error:
            logger.error(
                "tracker_store.journal.not_replayed conversations=%d error=%s; kept in %s",
                len(newest),
                error,
                self.journal,
            )
            return
        self.journal.unlink()
        logger.warning(
            "tracker_store.journal.replayed conversations=%d events=%d",
            len(written),
            sum(written.values()),
        )

    def _append_newer(self, sender_id: str, events: list[dict[str, Any]]) -> int:
        """The journalled events newer than the sender's newest stored one, appended
        in one transaction; how many."""
        with self.session_scope() as session:
            last_time = self._stored(session, sender_id).last_time
            newer = [
                data
                for data in events
                if last_time is None or (data.get("timestamp") or 0.0) > last_time
            ]
            session.add_all([self._record(sender_id, data) for data in newer])
            session.commit()
        self.cache.pop(sender_id, None)
        return len(newer)

    def _journal(self, tracker: DialogueStateTracker, error: Exception) -> None:
        entry = {
            "at": time.time(),
            "sender_id": tracker.sender_id,
            "error": str(error),
            "events": minimise_events(event.as_dict() for event in tracker.events),
        }
        self.journal.parent.mkdir(parents=True, exist_ok=True)
        with self.journal.open("a", encoding="utf-8") as journal:
            journal.write(json.dumps(entry) + "\n")
