"""The desk's share of retention (common/retention.py): hand-overs an agent has ended
(closed or handed back) go once they ended longer ago than `handoffs`' period for
their channel, with their packet and conversation view. Each run leaves an entry in
the audit log (the kinds, counts and cut-offs, no ids), where a supervisor reads it.
The audit log itself and the erasure receipts are kept: the hash chain allows no gap
(its database triggers refuse a delete)."""

from collections import Counter
from datetime import UTC, datetime
from threading import Lock

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from common.retention import Deletion, RetentionConfig, cutoff
from desk import audit
from desk.models import CLOSED, HANDED_BACK, Handoff

ACTOR = "retention"


def _moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def purge(
    sessions: sessionmaker, lock: Lock, config: RetentionConfig, now: float
) -> list[Deletion]:
    period = config.handoffs
    soonest = cutoff(now, min([period.days, *period.channels.values()]))
    gone: Counter = Counter()
    with lock, sessions() as session:
        ended = session.scalars(
            select(Handoff).where(
                Handoff.status.in_((CLOSED, HANDED_BACK)), Handoff.ended_at < _moment(soonest)
            )
        )
        for handoff in ended:
            packet = handoff.packet if isinstance(handoff.packet, dict) else {}
            channel = packet.get("channel")
            if handoff.ended_at < _moment(cutoff(now, period.days_for(channel))):
                session.delete(handoff)
                gone[channel] += 1
        deletions = [
            Deletion("handoffs", count, cutoff(now, period.days_for(channel)), channel)
            for channel, count in sorted(gone.items())
        ] or [Deletion("handoffs", 0, cutoff(now, period.days))]
        audit.record(
            session,
            ACTOR,
            "retention",
            detail="; ".join(
                f"{d.kind}{f' ({d.channel})' if d.channel else ''}: {d.count} ended before "
                f"{d.view()['cutoff']}"
                for d in deletions
            ),
        )
        session.commit()
    return deletions
