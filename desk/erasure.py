"""An admin's erasure of a customer everywhere Switchboard keeps them (issue 17): each
service owns its part and erases it on the desk's call, answering what it removed.

1. The customer's conversations: every one the memory ties to them, and those of
   the desk's hand-overs that name them.
2. Rasa (the tracker store, the channels' state), analytics (sessions anonymised,
   broker events removed), per conversation, and analytics' copy of the customer's
   outreach decisions (anonymised); outreach (the consent ledger); the
   action server (the verification lockout count and unlock history).
3. Only when the conversation-keyed parts are done: the desk's hand-overs and then
   the memory, which name those conversations; until then they are `deferred`, so
   running the erasure again finds the same conversations and completes it.

The receipt says what was removed where, the counts, when, and the SHA-256 of its
canonical JSON; it is kept (without the customer's or a conversation's id) and can
be shown again. A part that fails says so and why; every part is idempotent.
"""

import hashlib
import json
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from desk.erasure_client import PartFailed, ServiceClient, counts
from desk.models import ErasureReceipt, Handoff
from desk.queue import now
from desk.rasa_client import RasaClient, RasaError, RasaUnreachable
from desk.settings import Settings

logger = logging.getLogger(__name__)
Json = dict[str, Any]
DONE = "done"
FAILED = "failed"
DEFERRED = "deferred"
PARTS = ("rasa", "analytics", "outreach", "action_server", "desk", "memory")


@dataclass
class Part:
    """One store's share of the erasure."""

    status: str = DONE
    removed: dict[str, int] = field(default_factory=dict)
    anonymised: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    def add(self, removed: dict[str, int], anonymised: dict[str, int] | None = None) -> None:
        for target, found in ((self.removed, removed), (self.anonymised, anonymised or {})):
            for name, count in found.items():
                target[name] = target.get(name, 0) + count

    def fail(self, reason: str) -> None:
        self.status, self.error = FAILED, reason

    def view(self) -> Json:
        return {
            "status": self.status,
            "removed": self.removed,
            "anonymised": self.anonymised,
            "error": self.error,
        }


def canonical(receipt: Json) -> bytes:
    """The receipt as canonical JSON (sorted keys, no spaces, ASCII), without its hash."""
    content = {name: value for name, value in receipt.items() if name != "sha256"}
    return json.dumps(content, sort_keys=True, separators=(",", ":")).encode("ascii")


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def _customer_of(handoff: Handoff) -> str | None:
    customer = (handoff.packet or {}).get("customer") if isinstance(handoff.packet, dict) else None
    return str(customer.get("customer_id")) if isinstance(customer, dict) else None


class Eraser:
    """Runs erasures; one at a time (they are rare and each is many calls)."""

    def __init__(
        self,
        settings: Settings,
        rasa: RasaClient,
        sessions: sessionmaker,
        desk_lock: threading.Lock,
    ) -> None:
        timeouts = settings.behaviour.erasure
        timing = (timeouts.connect_timeout_seconds, timeouts.read_timeout_seconds)
        self.memory = ServiceClient(
            "the memory", settings.memory_url, settings.memory_api_token, *timing
        )
        self.outreach = ServiceClient(
            "outreach", settings.outreach_url, settings.outreach_api_token, *timing
        )
        self.analytics = ServiceClient(
            "analytics", settings.analytics_url, settings.analytics_api_token, *timing
        )
        self.action_server = ServiceClient(
            "the action server", settings.action_server_url, settings.identity_admin_token, *timing
        )
        self.rasa = rasa
        self.sessions = sessions
        self.desk_lock = desk_lock
        self.running = threading.Lock()

    def erase(self, customer_id: str, actor: str) -> Json:
        """Erase the customer; the receipt (kept by the caller with store())."""
        with self.running:
            started = now()
            parts = {name: Part() for name in PARTS}
            conversations = self._conversations(customer_id, parts["memory"])
            for conversation_id in conversations:
                self._each("rasa", parts, partial(self._rasa, conversation_id))
                self._each("analytics", parts, partial(self._analytics, conversation_id))
            self._each("outreach", parts, lambda: self._outreach(customer_id))
            self._each("analytics", parts, lambda: self._analytics_customer(customer_id))
            self._each("action_server", parts, lambda: self._action_server(customer_id))
            blocking = [name for name in ("rasa", "analytics") if parts[name].status != DONE]
            if parts["memory"].status != DONE:
                blocking.append("memory")
            if blocking:
                reason = "kept until " + ", ".join(blocking) + " is done (names the conversations)"
                for name in ("desk", "memory"):
                    if parts[name].status == DONE:
                        parts[name].status, parts[name].error = DEFERRED, reason
            else:
                parts["desk"].add({"handoffs": self._desk(customer_id, conversations)})
                self._each("memory", parts, lambda: self._memory(customer_id))
        receipt: Json = {
            "erasure_id": uuid.uuid4().hex,
            "requested_by": actor,
            "started_at": _iso(started),
            "finished_at": _iso(now()),
            "complete": all(part.status == DONE for part in parts.values()),
            "conversations": len(conversations),
            "parts": {name: part.view() for name, part in parts.items()},
        }
        receipt["sha256"] = hashlib.sha256(canonical(receipt)).hexdigest()
        logger.info(
            "erasure %s by %s: %s",
            receipt["erasure_id"],
            actor,
            ", ".join(f"{name} {part.status}" for name, part in parts.items()),
        )
        return receipt

    @staticmethod
    def _each(name: str, parts: dict[str, Part], work: Callable[[], tuple]) -> None:
        part = parts[name]
        try:
            part.add(*work())
        except PartFailed as error:
            part.fail(str(error))

    def _conversations(self, customer_id: str, memory: Part) -> list[str]:
        """The memory's conversations of the customer and the desk's hand-overs' ones."""
        found: set[str] = set()
        try:
            listed = self.memory.call("GET", "/customers/{}/conversations", customer_id)
            ids = listed.get("conversation_ids")
            if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                raise PartFailed("the memory's conversations are not a list of ids")
            found.update(ids)
        except PartFailed as error:
            memory.fail(str(error))
        with self.sessions() as session:
            for handoff in session.scalars(select(Handoff)):
                if _customer_of(handoff) == customer_id:
                    found.add(str(handoff.conversation_id))
        return sorted(found)

    def _rasa(self, conversation_id: str) -> tuple[dict[str, int]]:
        try:
            return (self.rasa.erase(conversation_id),)
        except RasaError as error:
            what = "unreachable" if isinstance(error, RasaUnreachable) else "failing"
            raise PartFailed(f"Rasa is {what}") from None

    def _analytics(self, conversation_id: str) -> tuple[dict[str, int], dict[str, int]]:
        body = self.analytics.call("POST", "/conversations/{}/erase", conversation_id)
        return counts(body, "removed"), counts(body, "anonymised")

    def _analytics_customer(self, customer_id: str) -> tuple[dict[str, int], dict[str, int]]:
        """Analytics' copy of outreach's decisions about the customer, anonymised."""
        body = self.analytics.call("POST", "/customers/{}/erase", customer_id)
        return counts(body, "removed"), counts(body, "anonymised")

    def _outreach(self, customer_id: str) -> tuple[dict[str, int]]:
        return (counts(self.outreach.call("POST", "/customers/{}/erase", customer_id), "removed"),)

    def _action_server(self, customer_id: str) -> tuple[dict[str, int]]:
        answer = self.action_server.call("POST", "/identity/lockouts/{}/erase", customer_id)
        return (counts(answer, "removed"),)

    def _memory(self, customer_id: str) -> tuple[dict[str, int]]:
        return (counts(self.memory.call("POST", "/customers/{}/erase", customer_id), "removed"),)

    def _desk(self, customer_id: str, conversations: list[str]) -> int:
        """The desk's hand-overs of the customer (their packets and conversation views)."""
        with self.desk_lock, self.sessions() as session:
            found = [
                handoff
                for handoff in session.scalars(select(Handoff))
                if _customer_of(handoff) == customer_id or handoff.conversation_id in conversations
            ]
            for handoff in found:
                session.delete(handoff)
            session.commit()
        return len(found)


def store(session: Session, receipt: Json) -> None:
    """Keep the receipt; the caller commits it with its audit entry."""
    session.add(
        ErasureReceipt(
            id=receipt["erasure_id"], created_at=now(), receipt=receipt, sha256=receipt["sha256"]
        )
    )


def shown(session: Session, erasure_id: str) -> Json | None:
    """A kept receipt and whether it still matches its hash."""
    row = session.get(ErasureReceipt, erasure_id)
    if row is None:
        return None
    receipt = dict(row.receipt)
    matches = hashlib.sha256(canonical(receipt)).hexdigest() == row.sha256 == receipt["sha256"]
    return {**receipt, "hash_matches": matches}
