"""The desk's operations, shared by the API routes: one lock serialises every
change (the desk runs as one process), so two agents cannot claim the same
hand-over and a conversation never gets two open hand-overs. Every read and every
move is written to the audit log in the same transaction as the change."""

import logging
import threading
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from common import clock
from common.errors import Conflict, RequestRejected, Unprocessable
from desk import audit, queue, transitions
from desk.accounts import Identity
from desk.conversation import messages_since
from desk.models import CLAIMED, OPEN, SUPERVISOR, Base, Handoff
from desk.offline_replies import offline_marked
from desk.packets import check_packet
from desk.plain import plain_view
from desk.rasa_client import Event, RasaClient, RasaError
from desk.settings import Settings
from desk.text import safe_json
from desk.webhook import WebhookSender

logger = logging.getLogger(__name__)
Json = dict[str, Any]
INTEGRATION = "integration"


class Desk:
    """The queue, the conversation client and the webhook, behind one lock."""

    def __init__(self, settings: Settings, engine: Engine, sessions: sessionmaker) -> None:
        self.settings = settings
        self.queue_settings = settings.behaviour.queue
        self.sessions = sessions
        self.lock = threading.Lock()
        self.hours = settings.behaviour.hours
        self.time_zone = self.hours.zone
        self.wording = settings.behaviour.agent_messages
        rasa = settings.behaviour.rasa
        self.rasa = RasaClient(
            settings.rasa_url,
            settings.desk_rasa_secret,
            rasa.connect_timeout_seconds,
            rasa.read_timeout_seconds,
        )
        self.webhook: WebhookSender | None = None
        if settings.webhook_url:
            self.webhook = WebhookSender(
                settings.webhook_url, settings.webhook_secret, settings.behaviour.webhook, sessions
            )
        Base.metadata.create_all(engine)

    def start(self) -> None:
        if self.webhook:
            self.webhook.resume_pending()

    def stop(self) -> None:
        if self.webhook:
            self.webhook.stop()

    def _position(self, session: Session, handoff: Handoff) -> int:
        return queue.positions(session).get(handoff.id, 0)

    def submit(self, session: Session, packet: Any) -> tuple[Json, bool]:
        """The conversation's open hand-over, created from the packet if there is
        none; True when created. The packet is stored with its text made safe."""
        check_packet(packet)
        packet = safe_json(packet)
        with self.lock:
            handoff, created = queue.create(session, packet, self.queue_settings, self.hours)
            audit.record(
                session,
                INTEGRATION,
                "hand_over",
                handoff_id=handoff.id,
                conversation_id=handoff.conversation_id,
                detail=None if created else "already open",
            )
            session.commit()
        if created:
            logger.info(
                "hand-over %s queued for conversation %s (%s)",
                handoff.id,
                handoff.conversation_id,
                handoff.status,
            )
            if self.webhook:
                self.webhook.start(handoff.id)
        return queue.receipt(
            handoff, self._position(session, handoff), self.queue_settings, self.hours
        ), created

    def enrich(self, session: Session, handoff_id: str, parts: Json) -> Json:
        """Complete a hand-over queued during an outage with what was read since: the
        customer's name and tier, the account snapshot. It stays the same customer."""
        if not parts:
            raise Unprocessable(
                "nothing to add: give customer, account_snapshot, customer_notice and/or callback"
            )
        with self.lock:
            handoff = queue.get(session, handoff_id)
            before = handoff.packet.get("customer") or {}
            after = parts.get("customer", before)
            if (after.get("verified"), after.get("customer_id")) != (
                before.get("verified"),
                before.get("customer_id"),
            ):
                raise Conflict("the enrichment names another customer than the hand-over")
            packet = {**handoff.packet, **parts}
            check_packet(packet)
            handoff.packet = safe_json(packet)
            audit.record(
                session,
                INTEGRATION,
                "enrich",
                handoff_id=handoff.id,
                conversation_id=handoff.conversation_id,
                detail=", ".join(sorted(parts)),
            )
            session.commit()
        logger.info("hand-over %s enriched: %s", handoff.id, ", ".join(sorted(parts)))
        return self._view(handoff, self._position(session, handoff))

    def queue_state(self, session: Session) -> Json:
        """How many wait, and what a new arrival would get: its wait and, from the
        support hours, whether a person would take it live."""
        waiting = queue.waiting_count(session)
        return {
            "waiting": waiting,
            **queue.availability(queue.now(), waiting + 1, self.queue_settings, self.hours),
            "expected_wait_minutes": queue.expected_wait(waiting + 1, self.queue_settings),
        }

    def _view(self, handoff: Handoff, position: int) -> Json:
        """The hand-over as the API shows it, with its packet in plain words."""
        shown = queue.view(handoff, position, self.queue_settings)
        return {
            **shown,
            "plain": plain_view(
                handoff.packet,
                shown["created_at"],
                queue.now(),
                self.time_zone,
                handoff.human_available_at,
            ),
        }

    def listing(
        self,
        session: Session,
        filters: queue.Filters,
        reader: Identity,
    ) -> list[Json]:
        positions = queue.positions(session)
        found = queue.listing(session, filters)
        audit.record(
            session,
            reader.username,
            "read_queue",
            role=reader.role,
            detail=f"{filters.describe()}, {len(found)} hand-overs",
        )
        session.commit()
        return [self._view(handoff, positions.get(handoff.id, 0)) for handoff in found]

    def detail(self, session: Session, handoff_id: str, reader: Identity) -> Json:
        """The hand-over and the conversation since it began, read from Rasa. The
        packet is still shown when Rasa does not answer, with the reason."""
        handoff = queue.get(session, handoff_id)
        audit.record(
            session,
            reader.username,
            "read_handoff",
            role=reader.role,
            handoff_id=handoff.id,
            conversation_id=handoff.conversation_id,
        )
        session.commit()
        view = self._view(handoff, self._position(session, handoff))
        try:
            events = self.rasa.events(handoff.conversation_id)
        except RasaError as error:
            return {**view, "conversation": None, "conversation_error": str(error)}
        return {
            **view,
            "conversation": messages_since(events, handoff.created_at),
            "conversation_error": None,
        }

    def move(
        self, session: Session, handoff_id: str, name: str, agent: Identity, text: str = ""
    ) -> Json:
        """Make an agent's move; claiming what one already holds changes nothing. A
        refused or failed move is audited too, with the reason."""
        move = transitions.MOVES[name]
        with self.lock:
            handoff = queue.get(session, handoff_id)
            action = name
            try:
                if not (
                    name == "claim"
                    and handoff.status == CLAIMED
                    and handoff.agent == agent.username
                ):
                    taking_over = name == "claim" and handoff.status == CLAIMED
                    transitions.check(
                        move, handoff, agent.username, may_take_over=agent.at_least(SUPERVISOR)
                    )
                    action = "take_over" if taking_over else name
                    detail = f"from {handoff.agent}" if taking_over else None
                    moment = clock.now_utc()
                    self.rasa.append(
                        handoff.conversation_id,
                        self._events(move, handoff, agent.username, text, moment),
                    )
                    self._record(handoff, move, agent.username, moment)
                    audit.record(
                        session,
                        agent.username,
                        action,
                        role=agent.role,
                        handoff_id=handoff.id,
                        conversation_id=handoff.conversation_id,
                        detail=detail,
                    )
                    session.commit()
                    logger.info("hand-over %s: %s by %s", handoff.id, action, agent.username)
            except (RequestRejected, RasaError) as error:
                session.rollback()
                outcome = audit.REFUSED if isinstance(error, RequestRejected) else audit.FAILED
                audit.record(
                    session,
                    agent.username,
                    action,
                    role=agent.role,
                    handoff_id=handoff_id,
                    conversation_id=handoff.conversation_id,
                    outcome=outcome,
                    detail=str(error),
                )
                session.commit()
                raise
        return self._view(handoff, self._position(session, handoff))

    def bulk_close(
        self, session: Session, handoff_ids: list[str], reason: str, supervisor: Identity
    ) -> Json:
        """Close test or abandoned hand-overs, whoever holds them: each is closed as
        an agent closes one (the customer is told, the assistant resumes) and audited
        on its own with the reason; one that cannot be closed is skipped, with why."""
        closed: list[str] = []
        skipped: list[Json] = []
        move = transitions.MOVES["close"]
        with self.lock:
            for handoff_id in handoff_ids:
                handoff = session.get(Handoff, handoff_id)
                problem = "no such hand-over" if handoff is None else None
                if handoff is not None and handoff.status not in OPEN:
                    problem = f"it is {handoff.status.replace('_', ' ')}"
                outcome = audit.REFUSED
                moment = clock.now_utc()
                if problem is None:
                    try:
                        self.rasa.append(
                            handoff.conversation_id,
                            self._events(move, handoff, supervisor.username, "", moment),
                        )
                    except RasaError as error:
                        problem, outcome = str(error), audit.FAILED
                if problem is not None:
                    skipped.append({"id": handoff_id, "reason": problem})
                else:
                    self._record(handoff, move, supervisor.username, moment)
                    closed.append(handoff_id)
                audit.record(
                    session,
                    supervisor.username,
                    "bulk_close",
                    role=supervisor.role,
                    handoff_id=handoff_id,
                    conversation_id=handoff.conversation_id if handoff else None,
                    outcome=audit.OK if problem is None else outcome,
                    detail=reason if problem is None else f"{reason} ({problem})",
                )
                session.commit()
        logger.info(
            "bulk close by %s: %d closed, %d skipped",
            supervisor.username,
            len(closed),
            len(skipped),
        )
        return {"closed": closed, "skipped": skipped}

    def _events(
        self, move: transitions.Move, handoff: Handoff, agent: str, text: str, moment: datetime
    ) -> list[Event]:
        """What the move appends to the conversation, marked for offline channels; a
        move that ends the hand-over carries the agent's claim-to-close time."""
        events = move.events(handoff, agent, text, self.wording)
        if move.to in transitions.ENDING:
            events = transitions.with_agent_time(events, handoff, moment)
        return offline_marked(
            events,
            move.name,
            agent,
            self.settings.behaviour.offline_replies,
        )

    @staticmethod
    def _record(handoff: Handoff, move: transitions.Move, agent: str, moment: datetime) -> None:
        """The move's new state; claim and end times on the figures' clock (common.clock)."""
        if move.to is None:
            return
        handoff.status = move.to
        handoff.agent = agent
        if move.to == CLAIMED:
            handoff.claimed_at = moment
        else:
            handoff.ended_at = moment

    def rate(
        self,
        session: Session,
        handoff_id: str,
        agent: Identity,
        had_what_i_needed: bool,
        missing: str | None,
    ) -> Json:
        with self.lock:
            handoff = queue.get(session, handoff_id)
            transitions.check_rating(handoff)
            handoff.had_what_i_needed = had_what_i_needed
            handoff.missing = missing
            handoff.rated_by = agent.username
            handoff.rated_at = queue.now()
            audit.record(
                session,
                agent.username,
                "rating",
                role=agent.role,
                handoff_id=handoff.id,
                conversation_id=handoff.conversation_id,
                detail="had what I needed" if had_what_i_needed else "missing",
            )
            session.commit()
        return self._view(handoff, self._position(session, handoff))
