"""The one client through which actions reach Brightwave's systems of record.

Pointing Switchboard at a real CRM means configuring BACKEND_URL, or replacing
this module's adapter, never editing the actions. Every call has a connect and a
read timeout; idempotent reads are retried a bounded number of times (tenacity);
failures surface as the typed errors below. A circuit breaker makes an outage
cheap: after BACKEND_BREAKER_FAILURES failed attempts in a row, calls fail at once
for BACKEND_BREAKER_COOL_OFF seconds, so customers hear the apology without
waiting out timeouts; then one call probes, and its success closes the breaker.
Before that, one turn never waits long: all the backend calls of one action run
share one deadline (BACKEND_TURN_BUDGET, `turn_deadline`), which caps every
attempt's timeouts and stops the retries, so the first turn of an outage hears
the apology within seconds and a voice call never outlasts Twilio's 15 s.

Writes that change a record (book, move or cancel an appointment, file a claim…)
carry the caller's Idempotency-Key: the backend answers a repeat of it with the
first answer instead of a second change, so such a write is retried like a read,
and a doubled customer message that yields the same key changes nothing twice.
A write without a key is never retried.
"""

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from functools import lru_cache
from typing import Any

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)
from tenacity.stop import stop_base

from actions.backend_writes import VALID_KEY, JourneyWrites
from actions.settings import settings

logger = logging.getLogger(__name__)


class BackendError(Exception):
    """Any failure to get a usable answer from the backend."""


class BackendUnavailable(BackendError):
    """The backend could not be reached, timed out or failed (5xx)."""


class RecordNotFound(BackendError):
    """The backend answered 404: the record does not exist."""


class BackendRejected(BackendError):
    """The backend refused the request (4xx other than 404); carries its reason."""

    def __init__(self, message: str, status: int | None = None, reason: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason or message


class BackendConflict(BackendRejected):
    """The backend answered 409: the record's state does not allow it (a slot taken, a
    policy already cancelled); the reason says why and, for a slot, which are free."""


class BackendBadResponse(BackendError):
    """The backend answered with something that is not the expected JSON."""


class CircuitOpen(BackendUnavailable):
    """Refused at once: the service failed repeatedly and is cooling off."""


class CircuitBreaker:
    """Closed while calls succeed; open after `threshold` failed attempts in a row,
    refusing every call for `cool_off` seconds; then half-open: one call probes,
    and closes it by succeeding or opens it again by failing. Thread-safe, since
    actions run their calls on worker threads."""

    def __init__(
        self, threshold: int = 3, cool_off: float = 5.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold = threshold
        self.cool_off = cool_off
        self.clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def is_open(self) -> bool:
        with self._lock:
            return self._opened_at is not None

    def admit(self, what: str) -> None:
        """Let a call through, or raise CircuitOpen at once."""
        with self._lock:
            if self._opened_at is None:
                return
            if self._probing or self.clock() - self._opened_at < self.cool_off:
                raise CircuitOpen(f"{what}: failing fast, the service is cooling off")
            self._probing = True

    def succeeded(self) -> None:
        with self._lock:
            if self._opened_at is not None:
                logger.info("circuit closed: the service answers again")
            self._failures, self._opened_at, self._probing = 0, None, False

    def failed(self) -> None:
        with self._lock:
            self._failures += 1
            if self._probing or self._failures >= self.threshold:
                if self._opened_at is None or self._probing:
                    logger.warning(
                        "circuit open after %d failed attempts: failing fast for %g s",
                        self._failures,
                        self.cool_off,
                    )
                self._opened_at, self._probing = self.clock(), False


class TurnBudgetSpent(BackendUnavailable):
    """The turn's backend budget is spent: no further attempt is started."""


# The monotonic time by which this turn's backend calls must be done; None outside
# a turn (e.g. the outbox worker), where only the timeouts bound a call. asyncio
# tasks and asyncio.to_thread copy it, so it reaches the calls made on threads.
_turn_deadline: ContextVar[float | None] = ContextVar("backend_turn_deadline", default=None)

# Below this many seconds left, another attempt could not get an answer anyway.
MIN_ATTEMPT_SECONDS = 0.05


@contextmanager
def turn_deadline(seconds: float) -> Iterator[float]:
    """Give the backend calls made inside one deadline, `seconds` from now."""
    deadline = time.monotonic() + seconds
    token = _turn_deadline.set(deadline)
    try:
        yield deadline
    finally:
        _turn_deadline.reset(token)


def start_turn(seconds: float) -> None:
    """Set this turn's deadline for the rest of the current context (one request)."""
    _turn_deadline.set(time.monotonic() + seconds)


def remaining_turn() -> float | None:
    """Seconds left of this turn's budget; None outside a turn."""
    deadline = _turn_deadline.get()
    return None if deadline is None else deadline - time.monotonic()


class _BudgetSpent(stop_base):
    """tenacity stop: no retry once the turn's budget is (nearly) spent."""

    def __call__(self, retry_state: RetryCallState) -> bool:
        left = remaining_turn()
        return left is not None and left < MIN_ATTEMPT_SECONDS


def _retryable(error: BaseException) -> bool:
    return isinstance(error, BackendUnavailable) and not isinstance(error, CircuitOpen)


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    logger.warning("backend call failed (attempt %d): %s; retrying", state.attempt_number, error)


class BackendClient(JourneyWrites):
    """A small synchronous REST client; actions call it through `call`."""

    def __init__(
        self,
        base_url: str,
        connect_timeout: float = 2.0,
        read_timeout: float = 5.0,
        retries: int = 1,
        session: requests.Session | None = None,
        breaker: CircuitBreaker | None = None,
        turn_bound: bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self.retries = retries
        self.session = session or requests.Session()
        self.breaker = breaker or CircuitBreaker()
        self.turn_bound = turn_bound

    def _request(self, method: str, path: str, attempts: int, **kwargs: Any) -> Any:
        stop: stop_base = stop_after_attempt(attempts)
        if self.turn_bound:
            stop = stop | _BudgetSpent()
        retrying = Retrying(
            stop=stop,
            wait=wait_exponential(multiplier=0.2),
            retry=retry_if_exception(_retryable),
            before_sleep=_log_retry,
            reraise=True,
        )
        return retrying(self._attempt, method, path, **kwargs)

    def _timeout(self, what: str) -> tuple[float, float]:
        """The connect and read timeouts, each capped by what is left of the turn."""
        left = remaining_turn() if self.turn_bound else None
        if left is None:
            return self.timeout
        if left < MIN_ATTEMPT_SECONDS:
            raise TurnBudgetSpent(f"{what}: the turn's backend budget is spent")
        return min(self.timeout[0], left), min(self.timeout[1], left)

    def _attempt(self, method: str, path: str, **kwargs: Any) -> Any:
        """One request through the breaker: only an unreachable, timed-out or failing
        (5xx) service counts against it; any other answer shows it is up."""
        timeout = self._timeout(f"{method} {path}")
        self.breaker.admit(f"{method} {path}")
        try:
            response = self.session.request(
                method, f"{self.base_url}{path}", timeout=timeout, **kwargs
            )
        except requests.RequestException as error:
            # Not only connection errors and timeouts: a body cut off mid-way
            # (ChunkedEncodingError) or a broken encoding must surface typed too.
            self.breaker.failed()
            raise BackendUnavailable(f"{method} {path}: {error.__class__.__name__}") from None
        if response.status_code >= 500:
            self.breaker.failed()
            raise BackendUnavailable(f"{method} {path}: HTTP {response.status_code}")
        self.breaker.succeeded()
        return self._decode(method, path, response)

    @staticmethod
    def _decode(method: str, path: str, response: requests.Response) -> Any:
        try:
            body = response.json()
        except ValueError:
            raise BackendBadResponse(
                f"{method} {path}: HTTP {response.status_code} without JSON"
            ) from None
        if response.status_code == 404:
            raise RecordNotFound(_reason(body) or path)
        if response.status_code >= 400:
            status, reason = response.status_code, _reason(body)
            rejected = BackendConflict if status == 409 else BackendRejected
            raise rejected(f"{method} {path}: HTTP {status}: {reason}", status, reason)
        return body

    def get(self, path: str, params: dict[str, str] | None = None) -> Any:
        """GET a resource; retried because reads are idempotent."""
        return self._request("GET", path, 1 + self.retries, params=params)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        """POST once: writes are not retried, so they never happen twice."""
        return self._request("POST", path, 1, json=body)

    def write(self, path: str, body: dict[str, Any] | None, idempotency_key: str) -> dict[str, Any]:
        """POST a change with its Idempotency-Key; retried like a read, since the backend
        answers a repeated key with the first answer instead of changing anything again."""
        if not VALID_KEY.fullmatch(idempotency_key):
            raise ValueError("an idempotency key is 8 to 64 letters, digits, - or _")
        answer = self._request(
            "POST",
            path,
            1 + self.retries,
            json=body,
            headers={"Idempotency-Key": idempotency_key},
        )
        return _expect_dict(answer, path)

    def record(self, collection: str, record_id: str) -> dict[str, Any]:
        """One record, e.g. record("orders", "BW-100002")."""
        return _expect_dict(self.get(f"/{collection}/{record_id}"), collection)

    def customer_records(self, customer_id: str, collection: str) -> list[dict[str, Any]]:
        """A customer's records of one collection (orders, claims, invoices…)."""
        body = _expect_dict(self.get(f"/customers/{customer_id}/{collection}"), collection)
        items = body.get("items")
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise BackendBadResponse(f"{collection} of {customer_id}: no item list")
        return items

    def customer_for_number(self, field: str, number: str) -> str | None:
        """The id of the one customer whose `field` ("phone" or "whatsapp") is this
        number; None when none or several match."""
        items = _expect_dict(self.get("/customers", {field: number}), "customers").get("items")
        if not isinstance(items, list) or len(items) != 1 or not isinstance(items[0], dict):
            return None
        customer_id = items[0].get("id")
        return customer_id if isinstance(customer_id, str) else None

    def today(self) -> date:
        """The enterprise's today, as the backend judges dates (claim days, windows)."""
        answer = _expect_dict(self.get("/today"), "today")
        try:
            return date.fromisoformat(str(answer.get("today")))
        except ValueError:
            raise BackendBadResponse("today: not an ISO date") from None

    def policies(self) -> dict[str, Any]:
        """The company policies the assistant may quote."""
        return _expect_dict(self.get("/policies"), "policies")

    def log_interaction(
        self,
        conversation_id: str,
        channel: str,
        kind: str,
        summary: str,
        customer_id: str | None = None,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        """Record something that happened in a conversation on the customer's file;
        the same request_id again (a retried write) is stored once."""
        body: dict[str, Any] = {
            "conversation_id": conversation_id,
            "channel": channel,
            "type": kind,
            "summary": summary,
        }
        if customer_id:
            body["customer_id"] = customer_id
        if request_id:
            body["request_id"] = request_id
        return _expect_dict(self.post("/interactions", body), "interaction")


class TokenClient(BackendClient):
    """A client of one of Switchboard's own internal services (memory, outreach): its
    bearer token on every call, one attempt (a turn does not wait for retries), not
    bound by the turn's backend budget, and a breaker of its own, so that service
    failing never opens the backend's."""

    def __init__(self, base_url: str, token: str | None, timeout: float) -> None:
        session = requests.Session()
        if token:
            session.headers["Authorization"] = f"Bearer {token}"
        super().__init__(
            base_url,
            timeout / 2,
            timeout,
            retries=0,
            session=session,
            breaker=CircuitBreaker(3, 10.0),
            turn_bound=False,
        )


def _reason(body: Any) -> str:
    return str(body.get("detail", "")) if isinstance(body, dict) else ""


def _expect_dict(body: Any, what: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BackendBadResponse(f"{what}: expected a JSON object")
    return body


@lru_cache(maxsize=1)
def client() -> BackendClient:
    """The process-wide client, configured from the validated settings."""
    config = settings()
    return BackendClient(
        config.backend_url,
        config.backend_connect_timeout,
        config.backend_read_timeout,
        config.backend_retries,
        breaker=CircuitBreaker(config.backend_breaker_failures, config.backend_breaker_cool_off),
    )


async def call(method: Any, *args: Any) -> Any:
    """Run a blocking client method off the event loop, so one slow backend call
    does not stall every other conversation on the action server."""
    return await asyncio.to_thread(method, *args)
