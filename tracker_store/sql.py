"""Rasa's SQL tracker store, made so that no turn is ever lost quietly.

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
  at error/warning level, with the number of conversations not yet stored.

endpoints.yml: `type: tracker_store.sql.DurableSQLTrackerStore`, `url: <SQLAlchemy URL>`.
"""

import asyncio
import json
import logging
import time
from pathlib import Path
from typing import Any, Dict, Optional, Text

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.exc import SQLAlchemyError

logger = logging.getLogger(__name__)

DEFAULT_JOURNAL = Path(__file__).resolve().parents[1] / "var" / "unsaved_turns.jsonl"


class DurableSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore with retries, a pending buffer and an on-disk journal."""

    def __init__(self, domain: Optional[Domain] = None, host: Optional[Text] = None,
                 save_attempts: int = 3, retry_delay: float = 0.2,
                 journal: Optional[Text] = None, **kwargs: Any) -> None:
        if save_attempts < 1 or retry_delay < 0:
            raise ValueError("save_attempts must be at least 1 and retry_delay not negative")
        super().__init__(domain=domain, host=host, **kwargs)
        self.save_attempts = save_attempts
        self.retry_delay = retry_delay
        self.journal = Path(journal) if journal else DEFAULT_JOURNAL
        self.pending: Dict[Text, DialogueStateTracker] = {}

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the turn, or keep it pending and journalled if the database refuses."""
        await self._write_pending(except_for=tracker.sender_id)
        try:
            await self._save_with_retries(tracker)
        except SQLAlchemyError as error:
            self.pending[tracker.sender_id] = tracker
            self._journal(tracker, error)
            logger.error("tracker_store.save.failed sender=%s pending=%d error=%s; the turn "
                         "is kept in memory and in %s until the database takes writes",
                         tracker.sender_id, len(self.pending), error, self.journal)
            return
        if self.pending.pop(tracker.sender_id, None) is not None:
            self._recovered(tracker.sender_id)

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """The newest state: the pending one when the database has not got it yet."""
        if sender_id in self.pending:
            return self.pending[sender_id]
        return await super().retrieve(sender_id)

    async def _save_with_retries(self, tracker: DialogueStateTracker) -> None:
        for attempt in range(1, self.save_attempts + 1):
            try:
                await super().save(tracker)
                return
            except SQLAlchemyError as error:
                if attempt == self.save_attempts:
                    raise
                logger.warning("tracker_store.save.retry sender=%s attempt=%d error=%s",
                               tracker.sender_id, attempt, error)
                await asyncio.sleep(self.retry_delay * attempt)

    async def _write_pending(self, except_for: Text) -> None:
        """Try once to store the other conversations still pending."""
        for sender_id, tracker in list(self.pending.items()):
            if sender_id == except_for:
                continue
            try:
                await super().save(tracker)
            except SQLAlchemyError:
                return
            del self.pending[sender_id]
            self._recovered(sender_id)

    def _recovered(self, sender_id: Text) -> None:
        logger.warning("tracker_store.save.recovered sender=%s pending=%d",
                       sender_id, len(self.pending))

    def _journal(self, tracker: DialogueStateTracker, error: Exception) -> None:
        entry = {"at": time.time(), "sender_id": tracker.sender_id, "error": str(error),
                 "events": [event.as_dict() for event in tracker.events]}
        self.journal.parent.mkdir(parents=True, exist_ok=True)
        with self.journal.open("a", encoding="utf-8") as journal:
            journal.write(json.dumps(entry) + "\n")
