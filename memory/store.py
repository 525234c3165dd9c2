"""Reads and writes of the memory's tables, one transaction each: nothing is ever
half-stored."""

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from common.retention import Deletion, RetentionConfig, cutoff
from memory.event_types import CONVERSATION_TYPES, EventBase
from memory.models import Base, Conversation, Event, IdentityLink, PausedJourney
from memory.summary import summarise

OPEN_EVENTS = 5


class KeyReused(Exception):
    """An idempotency key already stored with another body."""


def _link(row: IdentityLink) -> dict[str, Any]:
    return {
        "channel": row.channel,
        "identity": row.identity,
        "confirmed_by": row.confirmed_by,
        "confirmed_at": row.confirmed_at,
        "last_seen_at": row.last_seen_at,
    }


def conversation_view(row: Conversation, now: float, live_seconds: float) -> dict[str, Any]:
    outcome = row.outcome
    if outcome == "open" and (row.ended or row.last_at < now - live_seconds):
        outcome = "abandoned"  # left unresolved, and no longer live
    return {
        "kind": "conversation",
        "conversation_id": row.conversation_id,
        "channel": row.channel,
        "started_at": row.started_at,
        "ended_at": row.last_at,
        "at": row.started_at,
        "outcome": outcome,
        "goals": row.goals,
        "records": row.records,
        "sentiment": row.sentiment,
        "summary": row.summary,
        "handover_reasons": sorted({o["reason"] for o in row.outcomes if o.get("reason")}),
    }


def _journey(row: PausedJourney) -> dict[str, Any]:
    return {
        "goal": row.goal,
        "conversation_id": row.conversation_id,
        "channel": row.channel,
        "answers": dict(row.answers),
        "saved_at": row.saved_at,
    }


def event_view(row: Event) -> dict[str, Any]:
    return {
        "kind": "event",
        "id": row.id,
        "type": row.type,
        "source": row.source,
        "record": row.record,
        "occurred_at": row.occurred_at,
        "at": row.received_at,
        "data": row.data,
        "delivered_conversation": row.delivered_conversation,
        "delivered_at": row.delivered_at,
        "mentioned_at": row.mentioned_at,
    }


class MemoryStore:
    """The memory's database."""

    def __init__(self, engine: Engine) -> None:
        Base.metadata.create_all(engine)
        self.sessions = sessionmaker(bind=engine, future=True, expire_on_commit=False)

    # ------------------------------------------------------------------ identity links

    def link(
        self, customer_id: str, channel: str, identity: str, confirmed_by: str, now: float
    ) -> dict[str, Any]:
        """The link, written or seen again (a confirmation is kept as first made)."""

        def write(session: Session) -> IdentityLink:
            row = session.execute(
                select(IdentityLink).filter_by(
                    customer_id=customer_id, channel=channel, identity=identity
                )
            ).scalar_one_or_none()
            if row is None:
                row = IdentityLink(
                    customer_id=customer_id,
                    channel=channel,
                    identity=identity,
                    confirmed_by=confirmed_by,
                    confirmed_at=now,
                )
                session.add(row)
            row.last_seen_at = now
            return row

        return _link(self._upsert(write))

    def _upsert(self, write: Callable[[Session], Any]) -> Any:
        """write's row, committed; run again once when a concurrent first insert of the
        same key wins (the second run finds and updates that row)."""
        for attempt in range(2):
            with self.sessions() as session:
                row = write(session)
                try:
                    session.commit()
                    return row
                except IntegrityError:
                    session.rollback()
                    if attempt:
                        raise
        raise AssertionError("unreachable")

    def links(self, session: Session, customer_id: str) -> list[dict[str, Any]]:
        rows = session.execute(
            select(IdentityLink)
            .filter_by(customer_id=customer_id)
            .order_by(IdentityLink.last_seen_at.desc())
        ).scalars()
        return [_link(row) for row in rows]

    # ------------------------------------------------------------------ conversations

    def save_conversation(
        self, body: dict[str, Any], now: float, live_seconds: float
    ) -> dict[str, Any]:
        """Upsert one conversation session's row from its outcome record."""
        facts = summarise(body["outcomes"], body["handed_over"], body["ended"])
        values = {
            "customer_id": body["customer_id"],
            "channel": body["channel"],
            "last_at": body["last_at"],
            "ended": body["ended"],
            "sentiment": body.get("sentiment"),
            "outcomes": body["outcomes"],
            **facts,
        }

        def write(session: Session) -> Conversation:
            row = session.execute(
                select(Conversation).filter_by(
                    conversation_id=body["conversation_id"], started_at=body["started_at"]
                )
            ).scalar_one_or_none()
            if row is None:
                row = Conversation(
                    conversation_id=body["conversation_id"], started_at=body["started_at"]
                )
                session.add(row)
            elif row.last_at > body["last_at"]:
                return row  # a write overtaken by a newer one: the newer one stands
            for name, value in values.items():
                setattr(row, name, value)
            return row

        return conversation_view(self._upsert(write), now, live_seconds)

    def live_conversation(
        self, customer_id: str, now: float, live_seconds: float
    ) -> tuple[str, str] | None:
        """(conversation id, channel) of the customer's conversation active within
        live_seconds, not handed over; None when they are not talking now."""
        with self.sessions() as session:
            row = session.execute(
                select(Conversation)
                .where(
                    Conversation.customer_id == customer_id,
                    Conversation.ended.is_(False),
                    Conversation.outcome != "handed_over",
                    Conversation.last_at >= now - live_seconds,
                )
                .order_by(Conversation.last_at.desc())
                .limit(1)
            ).scalar_one_or_none()
            return (row.conversation_id, row.channel) if row else None

    # ------------------------------------------------------------------ timeline

    def customer(
        self, customer_id: str, now: float, live_seconds: float, limit: int
    ) -> dict[str, Any]:
        """The customer's links and timeline (conversations and events), newest first."""
        with self.sessions() as session:
            conversations = session.execute(
                select(Conversation)
                .filter_by(customer_id=customer_id)
                .order_by(Conversation.started_at.desc())
                .limit(limit)
            ).scalars()
            events = session.execute(
                select(Event)
                .filter_by(customer_id=customer_id)
                .order_by(Event.received_at.desc())
                .limit(limit)
            ).scalars()
            timeline = [conversation_view(c, now, live_seconds) for c in conversations] + [
                event_view(e) for e in events
            ]
            timeline.sort(key=lambda item: item["at"], reverse=True)
            return {
                "customer_id": customer_id,
                "links": self.links(session, customer_id),
                "timeline": timeline[:limit],
            }

    def recall(
        self, customer_id: str, conversation_id: str, now: float, live_seconds: float
    ) -> dict[str, Any]:
        """What a new contact should bring up: the last contact in another
        conversation, and the business events nobody has told the customer about yet
        (not what the assistant saw in conversations, such as sentiment shifts)."""
        with self.sessions() as session:
            last = session.execute(
                select(Conversation)
                .where(
                    Conversation.customer_id == customer_id,
                    Conversation.conversation_id != conversation_id,
                )
                .order_by(Conversation.last_at.desc())
                .limit(1)
            ).scalar_one_or_none()
            pending = session.execute(
                select(Event)
                .where(
                    Event.customer_id == customer_id,
                    Event.delivered_at.is_(None),
                    Event.mentioned_at.is_(None),
                    Event.type.not_in(CONVERSATION_TYPES),
                )
                .order_by(Event.received_at.desc())
                .limit(OPEN_EVENTS)
            ).scalars()
            return {
                "last_contact": conversation_view(last, now, live_seconds) if last else None,
                "open_events": [event_view(e) for e in pending],
            }

    def mention(
        self, customer_id: str, event_ids: Sequence[int], conversation_id: str, now: float
    ) -> int:
        """Mark the customer's events as brought up in conversation_id."""
        with self.sessions.begin() as session:
            rows = (
                session.execute(
                    select(Event).where(
                        Event.customer_id == customer_id,
                        Event.id.in_(list(event_ids)),
                        Event.mentioned_at.is_(None),
                    )
                )
                .scalars()
                .all()
            )
            for row in rows:
                row.mentioned_at, row.mentioned_conversation = now, conversation_id
            return len(rows)

    # ------------------------------------------------------------------ events

    def store_event(
        self, source: str, key: str, event: EventBase, now: float
    ) -> tuple[dict[str, Any], bool]:
        """(the stored event, whether it is new); KeyReused when the key was used for
        another event."""
        data = json.loads(event.json(by_alias=True))
        digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
        created = False

        def write(session: Session) -> Event:
            nonlocal created
            row = session.execute(
                select(Event).filter_by(source=source, idempotency_key=key)
            ).scalar_one_or_none()
            if row is not None:
                if row.digest != digest:
                    raise KeyReused(key)
                created = False
                return row
            created = True
            row = Event(
                source=source,
                idempotency_key=key,
                digest=digest,
                type=data["type"],
                customer_id=data["customer_id"],
                record=event.record,
                occurred_at=str(data["at"]),
                received_at=now,
                data=data,
            )
            session.add(row)
            return row

        row = self._upsert(write)
        return event_view(row), created

    def events_after(self, after: int, limit: int) -> list[dict[str, Any]]:
        """Business events stored after the event with id `after`, oldest first: a
        reader's cursor (outreach) moves on by the last id it was given."""
        with self.sessions() as session:
            rows = session.execute(
                select(Event)
                .where(Event.id > after, Event.type.not_in(CONVERSATION_TYPES))
                .order_by(Event.id)
                .limit(limit)
            ).scalars()
            return [event_view(row) for row in rows]

    def delivered(self, event_ids: Sequence[int], conversation_id: str, now: float) -> None:
        """Mark the events as told in conversation_id, in one transaction."""
        with self.sessions.begin() as session:
            for row in session.execute(
                select(Event).where(Event.id.in_(list(event_ids)))
            ).scalars():
                row.delivered_conversation, row.delivered_at = conversation_id, now

    # ------------------------------------------------------------------ paused journeys

    def save_journey(
        self,
        customer_id: str,
        goal: str,
        conversation_id: str,
        channel: str,
        answers: dict[str, str],
        now: float,
    ) -> dict[str, Any]:
        """The journey's answers so far, replacing what was kept for it before."""

        def write(session: Session) -> PausedJourney:
            row = session.execute(
                select(PausedJourney).filter_by(customer_id=customer_id, goal=goal)
            ).scalar_one_or_none()
            if row is None:
                row = PausedJourney(customer_id=customer_id, goal=goal)
                session.add(row)
            row.conversation_id, row.channel = conversation_id, channel
            row.answers, row.saved_at = answers, now
            return row

        return _journey(self._upsert(write))

    def journeys(self, customer_id: str, since: float) -> list[dict[str, Any]]:
        """The customer's journeys left half-way since then, newest first."""
        with self.sessions() as session:
            rows = session.execute(
                select(PausedJourney)
                .filter_by(customer_id=customer_id)
                .where(PausedJourney.saved_at >= since)
                .order_by(PausedJourney.saved_at.desc())
            ).scalars()
            return [_journey(row) for row in rows]

    def drop_journey(self, customer_id: str, goal: str) -> int:
        """Forget a journey once finished or declined; how many were kept (0 or 1)."""
        with self.sessions() as session:
            removed = session.execute(
                delete(PausedJourney).filter_by(customer_id=customer_id, goal=goal)
            ).rowcount
            session.commit()
        return int(removed)

    # ------------------------------------------------------------------ erasure

    def conversation_ids(self, customer_id: str) -> list[str]:
        """Every conversation the memory ties to the customer: linked, recorded in the
        timeline, or reached by one of their events (what an erasure must also clear
        in the tracker store, analytics and the desk)."""
        with self.sessions() as session:
            found = set(
                session.scalars(select(IdentityLink.identity).filter_by(customer_id=customer_id))
            )
            found.update(
                session.scalars(
                    select(Conversation.conversation_id).filter_by(customer_id=customer_id)
                )
            )
            for delivered, mentioned in session.execute(
                select(Event.delivered_conversation, Event.mentioned_conversation).filter_by(
                    customer_id=customer_id
                )
            ):
                found.update(value for value in (delivered, mentioned) if value)
        return sorted(found)

    def erase(self, customer_id: str) -> dict[str, int]:
        """Delete the customer's identity links, conversations, paused journeys and
        events, and any event that reached one of their conversations, in one
        transaction; the rows removed per table (all 0 the second time)."""
        conversations = self.conversation_ids(customer_id)
        with self.sessions() as session:
            removed = {
                "identity_links": session.execute(
                    delete(IdentityLink).where(IdentityLink.customer_id == customer_id)
                ).rowcount,
                "conversations": session.execute(
                    delete(Conversation).where(
                        or_(
                            Conversation.customer_id == customer_id,
                            Conversation.conversation_id.in_(conversations),
                        )
                    )
                ).rowcount,
                "paused_journeys": session.execute(
                    delete(PausedJourney).where(
                        or_(
                            PausedJourney.customer_id == customer_id,
                            PausedJourney.conversation_id.in_(conversations),
                        )
                    )
                ).rowcount,
                "events": session.execute(
                    delete(Event).where(
                        or_(
                            Event.customer_id == customer_id,
                            Event.delivered_conversation.in_(conversations),
                            Event.mentioned_conversation.in_(conversations),
                        )
                    )
                ).rowcount,
            }
            session.commit()
        return removed

    def expire(self, config: RetentionConfig, now: float) -> list[Deletion]:
        """Retention (common/retention.py): the timeline's conversations whose last
        turn and the business events received before memory_timeline's cut-off."""
        before = cutoff(now, config.memory_timeline.days)
        with self.sessions() as session:
            conversations = session.execute(
                delete(Conversation).where(Conversation.last_at < before)
            ).rowcount
            events = session.execute(delete(Event).where(Event.received_at < before)).rowcount
            session.commit()
        return [
            Deletion("memory_conversations", int(conversations), before),
            Deletion("memory_events", int(events), before),
        ]
