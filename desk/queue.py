"""The queue: storing hand-overs, their order, positions and expected waits, and
whether a person can take one live now (the support hours, desk/hours.py)."""

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from common.errors import NotFound
from desk.hours import SupportHours
from desk.models import OPEN, TICKET, UNCLAIMED, WAITING, Handoff
from desk.settings import QueueSettings
from desk.text import safe_json

Json = dict[str, Any]


def now() -> datetime:
    return datetime.now(UTC)


def expected_wait(position: int, settings: QueueSettings) -> int:
    """Minutes until a person answers the hand-over at position (1 = next)."""
    return math.ceil(position * settings.minutes_per_handoff / settings.agents_on_duty)


def live_now(moment: datetime, wait_minutes: int, hours: SupportHours) -> bool:
    """A person can take the conversation live: the team is open now and still
    open when the expected wait is over."""
    return hours.is_open(moment) and hours.is_open(moment + timedelta(minutes=wait_minutes))


def availability(
    moment: datetime, position: int, settings: QueueSettings, hours: SupportHours
) -> Json:
    """The hours' part of a receipt for a hand-over at position arriving now:
    `open_now` (live, see `live_now`), `next_open` (ISO-8601 with offset, when not
    live), `expected_wait_minutes` (when live) and the hours themselves."""
    wait = expected_wait(position, settings)
    live = live_now(moment, wait, hours)
    return {
        "open_now": live,
        "next_open": None if live else hours.next_open(moment).isoformat(),
        "expected_wait_minutes": wait if live else None,
        "hours": hours.as_json(),
    }


def _line(session: Session, status: str) -> list[Handoff]:
    """The hand-overs of one unclaimed status, first come first."""
    return list(
        session.scalars(
            select(Handoff).where(Handoff.status == status).order_by(Handoff.created_at, Handoff.id)
        )
    )


def positions(session: Session) -> dict[str, int]:
    """The position (1 = next) of every waiting hand-over and of every ticket, each
    in its own line."""
    return {
        handoff.id: index
        for status in UNCLAIMED
        for index, handoff in enumerate(_line(session, status), start=1)
    }


def waiting_count(session: Session) -> int:
    return len(_line(session, WAITING))


def get(session: Session, handoff_id: str) -> Handoff:
    handoff = session.get(Handoff, handoff_id)
    if handoff is None:
        raise NotFound(f"no hand-over {handoff_id}")
    return handoff


def open_handoff(session: Session, conversation_id: str) -> Handoff | None:
    """The conversation's hand-over that is waiting, queued as a ticket or claimed."""
    return session.scalars(
        select(Handoff).where(Handoff.conversation_id == conversation_id, Handoff.status.in_(OPEN))
    ).first()


def create(
    session: Session, packet: Json, settings: QueueSettings, hours: SupportHours
) -> tuple[Handoff, bool]:
    """The conversation's open hand-over, or a new one; True when it is new. A new
    one waits for a person when one can take it live, else it is a ticket answered
    from the next opening. The caller serialises calls, so a conversation never
    gets two."""
    existing = open_handoff(session, packet["conversation_id"])
    if existing is not None:
        return existing, False
    moment = now()
    found = availability(moment, waiting_count(session) + 1, settings, hours)
    handoff = Handoff(
        id=uuid.uuid4().hex,
        conversation_id=packet["conversation_id"],
        status=WAITING if found["open_now"] else TICKET,
        packet=packet,
        created_at=moment,
        human_available_at=found["next_open"],
        webhook_attempts=0,
    )
    session.add(handoff)
    session.commit()
    return handoff, True


@dataclass(frozen=True)
class Filters:
    """What an agent narrows the queue to; None matches everything."""

    status: str | None = None
    channel: str | None = None  # the packet's channel, e.g. twilio_voice
    reason: str | None = None  # a reason code, or its kind ("sensitive_topic")
    text: str | None = None  # in ids, the customer's name or the conversation

    def describe(self) -> str:
        given = [
            f"{key}={value}"
            for key, value in (
                ("status", self.status),
                ("channel", self.channel),
                ("reason", self.reason),
            )
            if value
        ]
        return ", ".join(given + (["search"] if self.text else [])) or "all"


def _searchable(handoff: Handoff) -> str:
    packet = handoff.packet or {}
    customer = packet.get("customer") or {}
    issue = packet.get("stated_issue") or {}
    texts = [
        handoff.id,
        reference(handoff),
        handoff.conversation_id,
        customer.get("customer_id"),
        customer.get("name"),
        issue.get("customer_words"),
        packet.get("summary"),
        *(line.get("text") for line in packet.get("transcript") or []),
    ]
    return "\n".join(str(text) for text in texts if text).casefold()


def _matches(handoff: Handoff, filters: Filters) -> bool:
    packet = handoff.packet or {}
    reason = str((packet.get("escalation") or {}).get("reason_code") or "")
    return (
        (not filters.channel or packet.get("channel") == filters.channel)
        and (not filters.reason or filters.reason in (reason, reason.split(":")[0]))
        and (not filters.text or filters.text.casefold() in _searchable(handoff))
    )


def listing(session: Session, filters: Filters) -> list[Handoff]:
    """Hand-overs matching the filters, open ones first in queue order, then the
    rest newest first."""
    query = select(Handoff)
    if filters.status:
        query = query.where(Handoff.status == filters.status)
    found = [
        handoff
        for handoff in session.scalars(query.order_by(Handoff.created_at, Handoff.id))
        if _matches(handoff, filters)
    ]
    open_ones = [h for h in found if h.status in OPEN]
    ended = [h for h in found if h.status not in OPEN]
    return open_ones + ended[::-1]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def reference(handoff: Handoff) -> str:
    """The short reference a customer can quote (and a caller can hear spelled out)."""
    return f"H-{handoff.id[:6].upper()}"


def summary(handoff: Handoff, position: int, settings: QueueSettings) -> Json:
    """Where the customer stands."""
    waiting = handoff.status == WAITING
    return {
        "id": handoff.id,
        "reference": reference(handoff),
        "status": handoff.status,
        "position": position,
        "expected_wait_minutes": expected_wait(position, settings) if waiting else None,
        "human_available_at": handoff.human_available_at,
    }


def receipt(handoff: Handoff, position: int, settings: QueueSettings, hours: SupportHours) -> Json:
    """What the action server is told when it hands a conversation over (contract
    K2): the summary, whether a person takes it live (`open_now`: it was not made a
    ticket), else when the team next opens, and the hours."""
    live = handoff.status != TICKET
    return {
        **summary(handoff, position, settings),
        "open_now": live,
        "next_open": None if live else handoff.human_available_at,
        "hours": hours.as_json(),
    }


def view(handoff: Handoff, position: int, settings: QueueSettings) -> Json:
    """Everything an agent sees of a hand-over, packet included."""
    rating = (
        None
        if handoff.rated_at is None
        else {
            "had_what_i_needed": handoff.had_what_i_needed,
            "missing": handoff.missing,
            "rated_by": handoff.rated_by,
            "rated_at": _iso(handoff.rated_at),
        }
    )
    return {
        **summary(handoff, position, settings),
        "conversation_id": handoff.conversation_id,
        "created_at": _iso(handoff.created_at),
        "agent": handoff.agent,
        "claimed_at": _iso(handoff.claimed_at),
        "ended_at": _iso(handoff.ended_at),
        "rating": rating,
        "webhook": {
            "attempts": handoff.webhook_attempts,
            "last_error": handoff.webhook_last_error,
            "delivered_at": _iso(handoff.webhook_delivered_at),
        },
        "packet": safe_json(handoff.packet),  # rows stored before packets were made safe
    }
