"""Failed knowledge factors per customer record, counted across sessions,
conversations and channels, and the lock they lead to.

Slots are cleared by a new session or a restart; this store is not. It lives in
the assistant's own database (ASSISTANT_DATABASE_URL, SQLite or PostgreSQL), so a
customer record can be guessed at only VERIFICATION_MAX_FAILURES times within
VERIFICATION_LOCK_MINUTES, whatever the conversation or channel; then the record
is locked for account data for VERIFICATION_LOCK_MINUTES, or until an agent
unlocks it (each unlock is kept: who, when). Every change is one UPDATE or
INSERT, so failures counted at the same time are never lost.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from actions.backend_client import BackendUnavailable
from actions.settings import settings

logger = logging.getLogger(__name__)

metadata = sa.MetaData()

lockouts = sa.Table(
    "identity_lockouts",
    metadata,
    sa.Column("customer_id", sa.String(64), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    # Unix times: portable across databases and compared inside one UPDATE.
    sa.Column("window_started_at", sa.Float, nullable=True),
    sa.Column("locked_until", sa.Float, nullable=True),
)

unlocks = sa.Table(
    "identity_unlocks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("customer_id", sa.String(64), nullable=False, index=True),
    sa.Column("unlocked_by", sa.String(64), nullable=False),
    sa.Column("unlocked_at", sa.Float, nullable=False),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("was_locked", sa.Boolean, nullable=False),
)


class LockoutStoreUnavailable(BackendUnavailable):
    """The assistant's database cannot be read or written: verification fails
    closed, and the customer hears the same apology as for a backend outage."""


@dataclass(frozen=True)
class LockoutStatus:
    """Where one customer record stands."""

    customer_id: str
    locked: bool
    failures: int
    locked_until: float | None

    def as_json(self) -> dict[str, Any]:
        until = (
            datetime.fromtimestamp(self.locked_until, UTC).isoformat()
            if self.locked_until is not None
            else None
        )
        return {
            "customer_id": self.customer_id,
            "locked": self.locked,
            "failures": self.failures,
            "locked_until": until,
        }


class LockoutStore:
    """The failure counts and locks, in one SQL database."""

    def __init__(
        self,
        url: str,
        max_failures: int,
        lock_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = sa.create_engine(url, future=True)
        self.max_failures = max_failures
        self.lock_seconds = lock_seconds
        self.clock = clock
        try:
            metadata.create_all(self.engine)
        except SQLAlchemyError as error:
            raise LockoutStoreUnavailable(f"lockout tables: {error.__class__.__name__}") from None

    def status(self, customer_id: str) -> LockoutStatus:
        """The record's count within the window and whether it is locked now."""
        try:
            with self.engine.connect() as db:
                return self._read(db, customer_id, self.clock())
        except SQLAlchemyError as error:
            raise LockoutStoreUnavailable(f"lockout status: {error.__class__.__name__}") from None

    def take_attempt(self, customer_id: str) -> bool:
        """Count an answer before it is checked (a wrong one stays counted, a right one
        is given back): False, counting nothing, while the record is locked or its
        count has reached the limit. So answers checked at the same moment, say from
        many conversations at once, can never go past the limit together."""
        now = self.clock()
        try:
            if self._count(customer_id, now):
                return True
            self._create(customer_id)
            return self._count(customer_id, now)
        except SQLAlchemyError as error:
            raise LockoutStoreUnavailable(f"lockout attempt: {error.__class__.__name__}") from None

    def give_back(self, customer_id: str) -> None:
        """Uncount an attempt whose answer was right (or was never checked)."""
        try:
            with self.engine.begin() as db:
                db.execute(
                    sa.update(lockouts)
                    .where(
                        lockouts.c.customer_id == customer_id,
                        lockouts.c.failures > 0,
                    )
                    .values(failures=lockouts.c.failures - 1)
                )
        except SQLAlchemyError as error:
            raise LockoutStoreUnavailable(
                f"lockout give back: {error.__class__.__name__}"
            ) from None

    def record_failure(self, customer_id: str) -> LockoutStatus:
        """A wrong answer counted and the lock checked, in one call (verification does
        the two around its check of the answer)."""
        self.take_attempt(customer_id)
        return self.lock_if_reached(customer_id)

    def lock_if_reached(self, customer_id: str) -> LockoutStatus:
        """Lock the record when its count has reached the limit; its status."""
        now = self.clock()
        try:
            with self.engine.begin() as db:
                db.execute(
                    sa.update(lockouts)
                    .where(
                        lockouts.c.customer_id == customer_id,
                        lockouts.c.failures >= self.max_failures,
                        sa.or_(lockouts.c.locked_until.is_(None), lockouts.c.locked_until <= now),
                    )
                    .values(locked_until=now + self.lock_seconds)
                )
                status = self._read(db, customer_id, now)
        except SQLAlchemyError as error:
            raise LockoutStoreUnavailable(f"lockout count: {error.__class__.__name__}") from None
        if status.locked and status.failures == self.max_failures:
            logger.warning(
                "identity.lockout.locked customer=%s failures=%d", customer_id, status.failures
            )
        return status

    def unlock(self, customer_id: str, by: str) -> LockoutStatus:
        """Clear the record's count and lock, and keep who did it and when."""
        now = self.clock()
        try:
            with self.engine.begin() as db:
                before = self._read(db, customer_id, now)
                db.execute(
                    sa.update(lockouts)
                    .where(lockouts.c.customer_id == customer_id)
                    .values(failures=0, window_started_at=None, locked_until=None)
                )
                db.execute(
                    sa.insert(unlocks).values(
                        customer_id=customer_id,
                        unlocked_by=by,
                        unlocked_at=now,
                        failures=before.failures,
                        was_locked=before.locked,
                    )
                )
        except SQLAlchemyError as error:
            raise LockoutStoreUnavailable(f"lockout unlock: {error.__class__.__name__}") from None
        logger.info(
            "identity.lockout.unlocked customer=%s by=%s was_locked=%s",
            customer_id,
            by,
            before.locked,
        )
        return LockoutStatus(customer_id, False, 0, None)

    def erase(self, customer_id: str) -> dict[str, int]:
        """Erasure (issue 17): the record's count, lock and unlock history, removed;
        the rows per table (0 the second time)."""
        try:
            with self.engine.begin() as db:
                removed = {
                    "identity_lockouts": db.execute(
                        sa.delete(lockouts).where(lockouts.c.customer_id == customer_id)
                    ).rowcount,
                    "identity_unlocks": db.execute(
                        sa.delete(unlocks).where(unlocks.c.customer_id == customer_id)
                    ).rowcount,
                }
        except SQLAlchemyError as error:
            raise LockoutStoreUnavailable(f"lockout erase: {error.__class__.__name__}") from None
        return {name: int(count) for name, count in removed.items()}

    def _count(self, customer_id: str, now: float) -> bool:
        """One UPDATE: +1, or 1 when the window has passed. False: no row yet, or the
        record is locked, or its count is at the limit."""
        stale = sa.or_(
            lockouts.c.window_started_at.is_(None),
            lockouts.c.window_started_at <= now - self.lock_seconds,
        )
        with self.engine.begin() as db:
            result = db.execute(
                sa.update(lockouts)
                .where(
                    lockouts.c.customer_id == customer_id,
                    sa.or_(lockouts.c.locked_until.is_(None), lockouts.c.locked_until <= now),
                    sa.or_(stale, lockouts.c.failures < self.max_failures),
                )
                .values(
                    failures=sa.case((stale, 1), else_=lockouts.c.failures + 1),
                    window_started_at=sa.case((stale, now), else_=lockouts.c.window_started_at),
                )
            )
            return bool(result.rowcount)

    def _create(self, customer_id: str) -> None:
        try:
            with self.engine.begin() as db:
                db.execute(sa.insert(lockouts).values(customer_id=customer_id, failures=0))
        except IntegrityError:
            pass  # created by a concurrent failure: counting goes on on its row

    def _read(self, db: sa.engine.Connection, customer_id: str, now: float) -> LockoutStatus:
        row = db.execute(sa.select(lockouts).where(lockouts.c.customer_id == customer_id)).first()
        if row is None:
            return LockoutStatus(customer_id, False, 0, None)
        locked = row.locked_until is not None and row.locked_until > now
        in_window = (
            row.window_started_at is not None and row.window_started_at > now - self.lock_seconds
        )
        return LockoutStatus(
            customer_id,
            locked,
            row.failures if locked or in_window else 0,
            row.locked_until if locked else None,
        )


@lru_cache(maxsize=1)
def store() -> LockoutStore:
    """The process-wide store, configured from the validated settings."""
    config = settings()
    return LockoutStore(
        config.assistant_database_url,
        config.verification_max_failures,
        config.verification_lock_minutes * 60.0,
    )
