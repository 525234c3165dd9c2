"""Analytics' share of retention (common/retention.py): Rasa's event broker table and
the figures' sessions. Broker events go per conversation once nothing has happened
in it since the cut-off, and only those already folded into sessions (an unread
event is never lost to the figures); sessions go by their last event."""

from sqlalchemy import delete, func, inspect, select
from sqlalchemy.engine import Engine

from analytics.consumer import broker_events
from analytics.store import WRITING, last_event_id, sessions
from common.retention import Deletion, RetentionConfig, cutoff

CHUNK = 500  # conversation ids per DELETE (SQLite's limit on bound parameters)


def purge(store: Engine, broker: Engine, config: RetentionConfig, now: float) -> list[Deletion]:
    events_before = cutoff(now, config.analytics_events.days)
    sessions_before = cutoff(now, config.analytics_sessions.days)
    with WRITING:
        with store.begin() as connection:
            folded = last_event_id(connection)
            quiet = select(sessions.c.sender_id).group_by(sessions.c.sender_id)
            expired = [
                row.sender_id
                for row in connection.execute(
                    quiet.having(func.max(sessions.c.last_event_at) < events_before)
                )
            ]
        events = 0
        with broker.begin() as connection:
            if inspect(connection).has_table(broker_events.name):
                for start in range(0, len(expired), CHUNK):
                    events += connection.execute(
                        delete(broker_events).where(
                            broker_events.c.sender_id.in_(expired[start : start + CHUNK]),
                            broker_events.c.id <= folded,
                        )
                    ).rowcount
        with store.begin() as connection:
            old = connection.execute(
                delete(sessions).where(sessions.c.last_event_at < sessions_before)
            ).rowcount
    return [
        Deletion("broker_events", int(events), events_before),
        Deletion("analytics_sessions", int(old), sessions_before),
    ]
