"""The queue: storing hand-overs, their order, positions and expected waits."""

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from common.errors import NotFound
from desk.models import OPEN, TICKET, UNCLAIMED, WAITING, Handoff
from desk.settings import QueueSettings
from desk.text import safe_json

Json = Dict[str, Any]


def now() -> datetime:
    return datetime.now(timezone.utc)


def expected_wait(position: int, settings: QueueSettings) -> int:
    """Minutes until a person answers the hand-over at position (1 = next)."""
    return math.ceil(position * settings.minutes_per_handoff / settings.agents_on_duty)


def _line(session: Session, status: str) -> List[Handoff]:
    """The hand-overs of one unclaimed status, first come first."""
    return list(session.scalars(select(Handoff).where(Handoff.status == status)
                                .order_by(Handoff.created_at, Handoff.id)))


def positions(session: Session) -> Dict[str, int]:
    """The position (1 = next) of every waiting hand-over and of every ticket, each
    in its own line."""
    return {handoff.id: index for status in UNCLAIMED
            for index, handoff in enumerate(_line(session, status), start=1)}


def waiting_count(session: Session) -> int:
    return len(_line(session, WAITING))


def get(session: Session, handoff_id: str) -> Handoff:
    handoff = session.get(Handoff, handoff_id)
    if handoff is None:
        raise NotFound(f"no hand-over {handoff_id}")
    return handoff


def open_handoff(session: Session, conversation_id: str) -> Optional[Handoff]:
    """The conversation's hand-over that is waiting, queued as a ticket or claimed."""
    return session.scalars(select(Handoff).where(Handoff.conversation_id == conversation_id,
                                                 Handoff.status.in_(OPEN))).first()


def create(session: Session, packet: Json) -> Tuple[Handoff, bool]:
    """The conversation's open hand-over, or a new one; True when it is new. The
    caller serialises calls, so a conversation never gets two."""
    existing = open_handoff(session, packet["conversation_id"])
    if existing is not None:
        return existing, False
    available_at = packet["customer_notice"]["human_available_at"]
    handoff = Handoff(id=uuid.uuid4().hex, conversation_id=packet["conversation_id"],
                      status=TICKET if available_at else WAITING, packet=packet,
                      created_at=now(), human_available_at=available_at, webhook_attempts=0)
    session.add(handoff)
    session.commit()
    return handoff, True


@dataclass(frozen=True)
class Filters:
    """What an agent narrows the queue to; None matches everything."""

    status: Optional[str] = None
    channel: Optional[str] = None  # the packet's channel, e.g. twilio_voice
    reason: Optional[str] = None  # a reason code, or its kind ("sensitive_topic")
    text: Optional[str] = None  # in ids, the customer's name or the conversation

    def describe(self) -> str:
        given = [f"{key}={value}" for key, value in
                 (("status", self.status), ("channel", self.channel), ("reason", self.reason))
                 if value]
        return ", ".join(given + (["search"] if self.text else [])) or "all"


def _searchable(handoff: Handoff) -> str:
    packet = handoff.packet or {}
    customer = packet.get("customer") or {}
    issue = packet.get("stated_issue") or {}
    texts = [handoff.id, handoff.conversation_id, customer.get("customer_id"),
             customer.get("name"), issue.get("customer_words"), packet.get("summary"),
             *(line.get("text") for line in packet.get("transcript") or [])]
    return "\n".join(str(text) for text in texts if text).casefold()


def _matches(handoff: Handoff, filters: Filters) -> bool:
    packet = handoff.packet or {}
    reason = str((packet.get("escalation") or {}).get("reason_code") or "")
    return ((not filters.channel or packet.get("channel") == filters.channel)
            and (not filters.reason or filters.reason in (reason, reason.split(":")[0]))
            and (not filters.text or filters.text.casefold() in _searchable(handoff)))


def listing(session: Session, filters: Filters) -> List[Handoff]:
    """Hand-overs matching the filters, open ones first in queue order, then the
    rest newest first."""
    query = select(Handoff)
    if filters.status:
        query = query.where(Handoff.status == filters.status)
    found = [handoff for handoff in session.scalars(query.order_by(Handoff.created_at,
                                                                   Handoff.id))
             if _matches(handoff, filters)]
    open_ones = [h for h in found if h.status in OPEN]
    ended = [h for h in found if h.status not in OPEN]
    return open_ones + ended[::-1]


def _iso(moment: Optional[datetime]) -> Optional[str]:
    return moment.isoformat(timespec="seconds") if moment else None


def summary(handoff: Handoff, position: int, settings: QueueSettings) -> Json:
    """What the action server is told: where the customer stands."""
    waiting = handoff.status == WAITING
    return {"id": handoff.id, "status": handoff.status, "position": position,
            "expected_wait_minutes": expected_wait(position, settings) if waiting else None,
            "human_available_at": handoff.human_available_at}


def view(handoff: Handoff, position: int, settings: QueueSettings) -> Json:
    """Everything an agent sees of a hand-over, packet included."""
    rating = None if handoff.rated_at is None else {
        "had_what_i_needed": handoff.had_what_i_needed, "missing": handoff.missing,
        "rated_by": handoff.rated_by, "rated_at": _iso(handoff.rated_at)}
    return {
        **summary(handoff, position, settings),
        "conversation_id": handoff.conversation_id,
        "created_at": _iso(handoff.created_at),
        "agent": handoff.agent,
        "claimed_at": _iso(handoff.claimed_at),
        "ended_at": _iso(handoff.ended_at),
        "rating": rating,
        "webhook": {"attempts": handoff.webhook_attempts,
                    "last_error": handoff.webhook_last_error,
                    "delivered_at": _iso(handoff.webhook_delivered_at)},
        "packet": safe_json(handoff.packet),  # rows stored before packets were made safe
    }
