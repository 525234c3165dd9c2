"""What outreach reads from the other services, over their HTTP APIs only: new events
(the memory's feed), the records a condition holds for (the backend's lists: policies
pending activation, customers at risk), the customer and the record a plan is about
(the backend: is it resolved, is a complaint open?), their recent contacts, whether a
person holds their conversation and whether a never-automated topic is on file (the
memory's timeline: the hand-overs' reasons).

Every call has a connect and a read timeout and is retried with backoff (tenacity);
a service that stays unreachable raises SourceUnavailable, and the plan waits.
"""

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import quote

import requests
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from outreach.governance import Customer, Signals

logger = logging.getLogger(__name__)
TIMEOUT = (2.0, 8.0)  # connect, read (seconds)
T = TypeVar("T")
# A record whose state means the problem has gone away, per event type.
RESOLVED: dict[str, tuple[str, str, frozenset[str]]] = {
    "payment_failed": ("invoices", "status", frozenset({"paid"})),
    "shipment_delayed": ("orders", "status", frozenset({"delivered", "cancelled"})),
    # Conditions and stages (outreach.yml's trigger keys): their record has moved on.
    "pending_activation": (
        "device_policies",
        "status",
        frozenset({"active", "cancelled", "lapsed"}),
    ),
    "at_risk": ("customers", "lifecycle_stage", frozenset({"prospect", "onboarding", "active"})),
}
# A hand-over for one of these reasons (escalation.yml's topics) puts a topic never
# automated on the customer's file: no automated outreach after it.
NEVER_AUTOMATED = "sensitive_topic:"
# How long after its last message a conversation handed to a person counts as held.
HELD_FOR = timedelta(hours=12)


class SourceUnavailable(Exception):
    """A service outreach reads from did not answer usefully (after the retries)."""


def retried(call: Callable[[], T]) -> T:
    """call, tried three times with backoff on a connection failure or a 5xx."""
    for attempt in Retrying(
        retry=retry_if_exception_type(SourceUnavailable),
        stop=stop_after_attempt(3),
        wait=wait_exponential(multiplier=0.2, max=2),
        reraise=True,
    ):
        with attempt:
            return call()
    raise AssertionError("unreachable")


class Http:
    """GETs of one service, JSON back; 404 is None."""

    def __init__(self, name: str, url: str, token: str | None = None) -> None:
        self.name, self.url = name, url.rstrip("/")
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **params: Any) -> Any:
        def once() -> Any:
            try:
                answer = self.session.get(f"{self.url}{path}", params=params, timeout=TIMEOUT)
            except requests.RequestException as error:
                raise SourceUnavailable(f"{self.name}: {error.__class__.__name__}") from None
            if answer.status_code == 404:
                return None
            if answer.status_code != 200:
                raise SourceUnavailable(f"{self.name}: status {answer.status_code}")
            return answer.json()

        return retried(once)


class Memory:
    """The memory's API (MEMORY_URL, MEMORY_API_TOKEN)."""

    def __init__(self, url: str, token: str) -> None:
        self.http = Http("memory", url, token)

    def events_after(self, after: int, limit: int = 100) -> tuple[list[dict[str, Any]], int]:
        page = self.http.get("/events", after=after, limit=limit)
        return page["events"], page["next"]

    def customer(self, customer_id: str) -> dict[str, Any]:
        found = self.http.get(f"/customers/{quote(customer_id, safe='')}", limit=100)
        return found or {"links": [], "timeline": []}


class Backend:
    """The CRM's read API (BACKEND_URL) and its outreach lists (BACKEND_LIST_TOKEN)."""

    def __init__(self, url: str, list_token: str | None = None) -> None:
        self.http = Http("backend", url)
        self.lists = Http("backend lists", url, list_token) if list_token else None

    def record(self, collection: str, record_id: str) -> dict[str, Any] | None:
        return self.http.get(f"/{collection}/{quote(record_id, safe='')}")

    def _listed(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every page of a list; SourceUnavailable without the list token."""
        if self.lists is None:
            raise SourceUnavailable("backend lists: BACKEND_LIST_TOKEN is not set")
        items: list[dict[str, Any]] = []
        after = None
        while True:
            page = self.lists.get(path, **params, **({"after": after} if after else {}))
            if page is None:
                raise SourceUnavailable(f"backend lists: {path} not found")
            items += page["items"]
            after = page["next"]
            if not after:
                return items

    def pending_activations(self, before: date) -> list[dict[str, Any]]:
        """Device policies pending activation since before that day (id, customer_id)."""
        return self._listed("/lists/pending_activations", before=before.isoformat())

    def customers_in(self, stage: str) -> list[dict[str, Any]]:
        """The customers in a lifecycle stage (id)."""
        return self._listed("/lists/customers", lifecycle_stage=stage)


def whatsapp_conversation(memory_view: dict[str, Any]) -> str | None:
    """The customer's WhatsApp conversation most recently seen (a confirmed link)."""
    links = [link for link in memory_view["links"] if link["channel"] == "twilio"]
    return max(links, key=lambda link: link["last_seen_at"])["identity"] if links else None


class Facts:
    """The facts decide() needs, fetched at send time."""

    def __init__(
        self, memory: Memory, backend: Backend, email: bool = False, voice: bool = False
    ) -> None:
        self.memory, self.backend, self.email = memory, backend, email
        self.voice = voice  # calls are set up (outreach/voice.py): the CRM's phone number

    def gather(
        self, customer_id: str, event_type: str, record: str | None, now: datetime
    ) -> tuple[Customer, Signals]:
        """The customer as governance sees them (only the addresses outreach can
        deliver to: a WhatsApp conversation, the CRM's e-mail address and phone number
        when e-mail and calls are set up) and the signals about the problem."""
        crm = self.backend.record("customers", customer_id) or {}
        view = self.memory.customer(customer_id)
        conversations = [i for i in view["timeline"] if i["kind"] == "conversation"]
        last = max((c["ended_at"] for c in conversations), default=None)
        held = any(
            c["outcome"] == "handed_over"
            and now - datetime.fromtimestamp(c["ended_at"], UTC) < HELD_FOR
            for c in conversations
        )
        customer = Customer(
            id=customer_id,
            city=crm.get("city"),
            phone=crm.get("phone") if self.voice else None,
            whatsapp=whatsapp_conversation(view),
            email=crm.get("email") if self.email else None,
            language=crm.get("language"),
        )
        signals = Signals(
            problem_resolved=self._resolved(event_type, record),
            last_contact_at=datetime.fromtimestamp(last, UTC) if last else None,
            agent_holds_conversation=held,
            open_complaint=crm.get("open_complaint") is True,
            never_automated_topic=any(
                reason.startswith(NEVER_AUTOMATED)
                for c in conversations
                for reason in c.get("handover_reasons") or ()
            ),
        )
        return customer, signals

    def _resolved(self, event_type: str, record: str | None) -> bool:
        if record is None or event_type not in RESOLVED:
            return False
        collection, field, done = RESOLVED[event_type]
        found = self.backend.record(collection, record)
        return found is not None and found.get(field) in done
