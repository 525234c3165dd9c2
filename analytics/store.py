"""The analytics store (ANALYTICS_DATABASE_URL): one row per conversation session and
the id of the last broker event folded into them, written in the same transaction so
that a restart neither loses nor doubles an event."""

import json
import secrets
import threading

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, Engine, Row

from analytics.sessions import SessionFacts

metadata = MetaData()

position = Table(
    "consumer_position",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("last_event_id", Integer, nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("channel", String(40)),
    Column("started_at", Float, nullable=False, index=True),
    Column("last_event_at", Float, nullable=False),
    Column("last_activity_at", Float),
    Column("user_turns", Integer, nullable=False),
    Column("bot_messages", Integer, nullable=False),
    Column("outcomes", Text, nullable=False),  # the outcome record (K1), as JSON
    Column("handed_over", Boolean, nullable=False),
    Column("last_intent", String(80)),
    Column("agent_seconds", Float),
    Column("satisfaction", Integer),
    Column("outreach", Boolean),
)
# Columns added after the table was first created, added to an older store at start.
ADDED_COLUMNS = ("agent_seconds", "satisfaction", "outreach")

# Outreach's decision log as the outreach API gives it (analytics/outreach_feed.py),
# under outreach's own ids: what was sent, suppressed (why) or failed, to whom, when.
outreach_decisions = Table(
    "outreach_decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("customer_id", String(40), nullable=False, index=True),
    Column("rule", String(40), nullable=False),
    Column("action", String(20), nullable=False),
    Column("reason", String(40), nullable=False),
    Column("channel", String(20)),
    Column("at", Float, nullable=False, index=True),
)
OUTREACH_FEED = "outreach-decisions"

CONSUMER = "rasa-events"
# The consumer's fold and an erasure never interleave (a fold would write back the
# conversation id the erasure just replaced).
WRITING = threading.Lock()
_FACTS = (
    "sender_id",
    "channel",
    "started_at",
    "last_event_at",
    "last_activity_at",
    "user_turns",
    "bot_messages",
    "handed_over",
    "last_intent",
    *ADDED_COLUMNS,
)


def create_schema(engine: Engine) -> None:
    """The tables, and on a store made before them, the columns added since."""
    metadata.create_all(engine)
    present = {column["name"] for column in inspect(engine).get_columns(sessions.name)}
    with engine.begin() as connection:
        for name in ADDED_COLUMNS:
            if name not in present:
                column = sessions.c[name]
                kind = column.type.compile(dialect=engine.dialect)
                connection.execute(text(f"ALTER TABLE {sessions.name} ADD COLUMN {name} {kind}"))


def _values(facts: SessionFacts) -> dict:
    values = {name: getattr(facts, name) for name in _FACTS}
    values["outcomes"] = json.dumps(facts.outcomes)
    return values


def _facts(row: Row) -> SessionFacts:
    mapping = row._mapping  # built on each access: taken once
    fields = {name: mapping[name] for name in _FACTS}
    return SessionFacts(**fields, outcomes=json.loads(mapping["outcomes"]), id=mapping["id"])


def last_event_id(connection: Connection, feed: str = CONSUMER) -> int:
    """How far a feed was read: the broker's events (CONSUMER) or OUTREACH_FEED."""
    found = connection.execute(
        select(position.c.last_event_id).where(position.c.name == feed)
    ).scalar()
    return int(found or 0)


def set_last_event_id(connection: Connection, event_id: int, feed: str = CONSUMER) -> None:
    done = connection.execute(
        update(position).where(position.c.name == feed).values(last_event_id=event_id)
    )
    if done.rowcount == 0:
        connection.execute(insert(position).values(name=feed, last_event_id=event_id))


def latest_session(connection: Connection, sender_id: str) -> SessionFacts | None:
    row = connection.execute(
        select(sessions)
        .where(sessions.c.sender_id == sender_id)
        .order_by(sessions.c.started_at.desc(), sessions.c.id.desc())
        .limit(1)
    ).first()
    return _facts(row) if row else None


def save_session(connection: Connection, facts: SessionFacts) -> None:
    """Insert a new session (its id is set) or update a stored one."""
    if facts.id is None:
        facts.id = connection.execute(
            insert(sessions).values(**_values(facts))
        ).inserted_primary_key[0]
    else:
        connection.execute(
            update(sessions).where(sessions.c.id == facts.id).values(**_values(facts))
        )


def delete_sessions(connection: Connection, sender_id: str) -> int:
    """The conversation's sessions, removed before its events are folded again; how many."""
    return int(
        connection.execute(delete(sessions).where(sessions.c.sender_id == sender_id)).rowcount
    )


def sessions_between(connection: Connection, since: float, until: float) -> list[SessionFacts]:
    """Sessions started in [since, until), oldest first."""
    rows = connection.execute(
        select(sessions)
        .where(sessions.c.started_at >= since, sessions.c.started_at < until)
        .order_by(sessions.c.started_at, sessions.c.id)
    )
    return [_facts(row) for row in rows]


def session_count(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(sessions)).scalar() or 0)


def _anonymous(outcome: object) -> object:
    """An outcome record entry without its record id and detail (what it was about)."""
    if not isinstance(outcome, dict):
        return outcome
    return {**outcome, "record": None, "detail": {}}


def anonymise_conversation(connection: Connection, sender_id: str) -> int:
    """Erasure: the conversation's sessions keep their figures (so totals stay right)
    under a random id of their own, without the records they were about; how many."""
    pseudonym = f"erased-{secrets.token_hex(12)}"
    rows = list(connection.execute(select(sessions).where(sessions.c.sender_id == sender_id)))
    for row in rows:
        outcomes = [_anonymous(outcome) for outcome in json.loads(row.outcomes)]
        connection.execute(
            update(sessions)
            .where(sessions.c.id == row.id)
            .values(sender_id=pseudonym, outcomes=json.dumps(outcomes))
        )
    return len(rows)


def decisions_between(connection: Connection, since: float, until: float) -> list[Row]:
    """Outreach decisions made in [since, until), oldest first."""
    return list(
        connection.execute(
            select(outreach_decisions)
            .where(outreach_decisions.c.at >= since, outreach_decisions.c.at < until)
            .order_by(outreach_decisions.c.at, outreach_decisions.c.id)
        )
    )


def anonymise_customer(connection: Connection, customer_id: str) -> int:
    """Erasure: the customer's outreach decisions keep their figures under a random id
    of their own; how many."""
    pseudonym = f"erased-{secrets.token_hex(12)}"
    done = connection.execute(
        update(outreach_decisions)
        .where(outreach_decisions.c.customer_id == customer_id)
        .values(customer_id=pseudonym)
    )
    return int(done.rowcount)


def delete_broker_events(connection: Connection, table: Table, sender_id: str) -> int:
    """Erasure: the conversation's events in Rasa's event broker table; how many."""
    return int(connection.execute(delete(table).where(table.c.sender_id == sender_id)).rowcount)
