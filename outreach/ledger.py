"""The consent ledger: per customer, channel and purpose, every opt-in and opt-out with
its source and time, appended and never rewritten; the current state is derived.

Seeded once from the CRM fixture's `marketing_consent` and `outreach_opt_out`: each
seeded row carries a key of its own, so a restart (or two processes starting at once)
adds nothing the second time, and a later change by the customer is never overwritten.
"""

import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from outreach.config import CHANNELS, PURPOSES, Purpose
from outreach.consent import ConsentChange, ConsentState
from outreach.models import Base, ConsentEntry

SEED_SOURCE = "crm_fixture"


def _change(row: ConsentEntry) -> ConsentChange:
    return ConsentChange(
        customer_id=row.customer_id,
        channel=row.channel,
        purpose=row.purpose,
        opted_in=row.opted_in,
        source=row.source,
        at=row.changed_at,
    )


class ConsentLedger:
    """The ledger in its own database."""

    def __init__(self, engine: Engine) -> None:
        Base.metadata.create_all(engine)
        self.sessions = sessionmaker(bind=engine, future=True, expire_on_commit=False)

    def record(
        self,
        changes: Iterable[ConsentChange],
        key: str | None = None,
    ) -> bool:
        """Append changes in one transaction; False (nothing added) when key was
        recorded before. Each change of a keyed batch gets `key#n`."""
        rows = [
            ConsentEntry(
                customer_id=c.customer_id,
                channel=c.channel,
                purpose=c.purpose,
                opted_in=c.opted_in,
                source=c.source,
                changed_at=c.at,
                key=None if key is None else f"{key}#{n}",
            )
            for n, c in enumerate(changes)
        ]
        with self.sessions() as session:
            session.add_all(rows)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                return False
        return True

    def opt_out(
        self, customer_id: str, purpose: Purpose, source: str, at: datetime, key: str | None
    ) -> bool:
        """The customer opts out of purpose on every channel at once (a STOP on any)."""
        return self.record(
            (ConsentChange(customer_id, ch, purpose, False, source, at) for ch in CHANNELS), key
        )

    def erase(self, customer_id: str) -> int:
        """Erasure (issue 17): the customer's rows, removed; how many. The one exception
        to append-only: a ledger of a customer who is gone holds nothing to prove."""
        with self.sessions() as session:
            removed = session.execute(
                delete(ConsentEntry).where(ConsentEntry.customer_id == customer_id)
            ).rowcount
            session.commit()
        return int(removed)

    def history(self, customer_id: str) -> list[ConsentChange]:
        """Every change for the customer, oldest first."""
        with self.sessions() as session:
            rows = session.execute(
                select(ConsentEntry)
                .where(ConsentEntry.customer_id == customer_id)
                .order_by(ConsentEntry.id)
            ).scalars()
            return [_change(row) for row in rows]

    def state(self, customer_id: str) -> ConsentState:
        return ConsentState.from_history(customer_id, self.history(customer_id))

    def seed(self, customers: Iterable[dict[str, Any]], at: datetime) -> int:
        """The CRM's flags as the first entries of each customer's ledger, once per
        customer: `outreach_opt_out` opts out of everything on every channel, else
        `marketing_consent` opts in or out of marketing on every channel. Returns how
        many customers were seeded now."""
        seeded = 0
        for customer in customers:
            out = bool(customer.get("outreach_opt_out"))
            marketing = bool(customer.get("marketing_consent")) and not out
            wanted: dict[Purpose, bool] = {"service": not out, "marketing": marketing}
            changes = [
                ConsentChange(customer["id"], channel, purpose, wanted[purpose], SEED_SOURCE, at)
                for purpose in PURPOSES
                for channel in CHANNELS
            ]
            seeded += self.record(changes, key=f"seed:{customer['id']}")
        return seeded

    def seed_from_fixture(self, path: Path, at: datetime) -> int:
        """seed() with the fixture's customers; nothing when the file is absent."""
        if not path.exists():
            return 0
        fixture = json.loads(path.read_text(encoding="utf-8"))
        return self.seed(fixture.get("customers") or [], at)
