"""BackendClient against a real HTTP server on 127.0.0.1, scripted per test."""

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from actions import backend_client as backend
from actions.backend_client import (
    BackendBadResponse,
    BackendClient,
    BackendError,
    BackendRejected,
    BackendUnavailable,
    CircuitBreaker,
    CircuitOpen,
    RecordNotFound,
)
from actions.desk_client import DeskClient
from actions.settings import settings

TIMEOUT = 0.3  # seconds; the read timeout most tests use
SLOW = 2.0  # how long a "slow" handler would stall, well beyond TIMEOUT
# Time budget for a call that times out: the timeout itself plus generous slack
# for a loaded machine, but far below SLOW so a timeout that is not honoured fails.
SLACK = 0.9


class Reply:
    """What a scripted handler sends back."""

    def __init__(
        self,
        status: int = 200,
        body: Any = None,
        raw: bytes | None = None,
        content_type: str = "application/json",
        delay: float = 0.0,
        declared_length: int | None = None,
    ) -> None:
        self.status = status
        self.raw = raw if raw is not None else json.dumps(body).encode()
        self.content_type = content_type
        self.delay = delay
        self.declared_length = declared_length


Handler = Callable[["Request"], Reply]


class Request:
    """One request the server received."""

    def __init__(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> None:
        self.method = method
        self.path = path
        self.body = body
        self.headers = headers

    def json(self) -> Any:
        return json.loads(self.body)


class ScriptedServer:
    """A ThreadingHTTPServer whose answers each test scripts, logging every request."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Handler] = {}
        self.requests: list[Request] = []
        self.release = threading.Event()  # wakes stalled handlers at teardown
        self._lock = threading.Lock()
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request(self.command, self.path, body, dict(self.headers))
                with outer._lock:
                    outer.requests.append(request)
                route = outer.routes.get((self.command, self.path.split("?")[0]))
                reply = route(request) if route else Reply(404, {"detail": "no route"})
                if reply.delay:
                    outer.release.wait(reply.delay)
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    length = (
                        reply.declared_length
                        if reply.declared_length is not None
                        else len(reply.raw)
                    )
                    self.send_header("Content-Length", str(length))
                    self.end_headers()
                    self.wfile.write(reply.raw)
                    self.wfile.flush()
                except OSError:
                    pass  # the client gave up (timeout) before the answer came

            do_GET = _serve
            do_POST = _serve

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        # A short poll interval keeps shutdown (and so every test) fast.
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def route(self, method: str, path: str, *replies: Reply) -> None:
        """Answer method+path with the replies in turn (the last one repeats)."""
        queue = list(replies)

        def handler(request: Request) -> Reply:
            with self._lock:
                return queue.pop(0) if len(queue) > 1 else queue[0]

        self.routes[(method, path)] = handler

    def count(self, method: str, path: str) -> int:
        with self._lock:
            return sum(
                1 for r in self.requests if r.method == method and r.path.split("?")[0] == path
            )

    def stop(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def server():
    scripted = ScriptedServer()
    yield scripted
    scripted.stop()


def make_client(
    server: ScriptedServer, retries: int = 0, read: float = TIMEOUT, connect: float = TIMEOUT
) -> BackendClient:
    return BackendClient(
        server.url + "/", connect_timeout=connect, read_timeout=read, retries=retries
    )


def closed_port() -> int:
    """A loopback port nothing listens on: bound, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


ORDER = {
    "id": "BW-100002",
    "customer_id": "C-1001",
    "status": "delayed",
    "delay_reason": "carrier capacity shortage",
    "eta": "2026-11-25",
}


# --- success ----------------------------------------------------------------------


def test_record_returns_the_json_object_from_the_collection_path(server):
    server.route("GET", "/orders/BW-100002", Reply(200, ORDER))
    client = make_client(server)
    assert client.base_url == server.url  # trailing slash dropped
    assert client.record("orders", "BW-100002") == ORDER
    assert [(r.method, r.path) for r in server.requests] == [("GET", "/orders/BW-100002")]


def test_get_sends_query_parameters_and_returns_any_json(server):
    server.route("GET", "/search", Reply(200, [1, 2, 3]))
    assert make_client(server).get("/search", {"q": "noah"}) == [1, 2, 3]
    assert server.requests[0].path == "/search?q=noah"


def test_customer_records_returns_the_item_list(server):
    items = [{"id": "BW-100001"}, {"id": "BW-100002"}]
    server.route("GET", "/customers/C-1001/orders", Reply(200, {"items": items, "total": 2}))
    assert make_client(server).customer_records("C-1001", "orders") == items


def test_customer_records_accepts_an_empty_item_list(server):
    server.route("GET", "/customers/C-1001/claims", Reply(200, {"items": []}))
    assert make_client(server).customer_records("C-1001", "claims") == []


def test_policies_returns_the_policy_object(server):
    server.route("GET", "/policies", Reply(200, {"return_window_days": 30}))
    assert make_client(server).policies() == {"return_window_days": 30}


def test_log_interaction_posts_the_summary_once(server):
    server.route("POST", "/interactions", Reply(201, {"id": "INT-1"}))
    client = make_client(server, retries=2)
    result = client.log_interaction("conv-1", "rest", "handoff", "wants a human", "C-1001")
    assert result == {"id": "INT-1"}
    assert server.count("POST", "/interactions") == 1
    sent = server.requests[0]
    assert sent.headers.get("Content-Type") == "application/json"
    assert sent.json() == {
        "conversation_id": "conv-1",
        "channel": "rest",
        "type": "handoff",
        "summary": "wants a human",
        "customer_id": "C-1001",
    }


def test_log_interaction_without_customer_omits_the_field(server):
    server.route("POST", "/interactions", Reply(200, {"id": "INT-2"}))
    make_client(server).log_interaction("conv-2", "whatsapp", "faq", "asked about returns")
    assert server.requests[0].json() == {
        "conversation_id": "conv-2",
        "channel": "whatsapp",
        "type": "faq",
        "summary": "asked about returns",
    }


# --- 4xx --------------------------------------------------------------------------


def test_404_is_record_not_found_with_the_backend_detail_and_not_retried(server):
    server.route("GET", "/orders/BW-999999", Reply(404, {"detail": "order BW-999999 not found"}))
    with pytest.raises(RecordNotFound) as caught:
        make_client(server, retries=2).record("orders", "BW-999999")
    assert str(caught.value) == "order BW-999999 not found"
    assert isinstance(caught.value, BackendError)
    assert server.count("GET", "/orders/BW-999999") == 1


def test_404_without_detail_names_the_path(server):
    server.route("GET", "/claims/CLM-99999", Reply(404, {}))
    with pytest.raises(RecordNotFound) as caught:
        make_client(server).record("claims", "CLM-99999")
    assert str(caught.value) == "/claims/CLM-99999"


@pytest.mark.parametrize("status", [400, 401, 403, 409, 422])
def test_other_4xx_is_rejected_with_its_reason_and_not_retried(server, status):
    server.route("GET", "/orders/bad", Reply(status, {"detail": "order id malformed"}))
    with pytest.raises(BackendRejected) as caught:
        make_client(server, retries=2).record("orders", "bad")
    message = str(caught.value)
    assert f"HTTP {status}" in message
    assert "order id malformed" in message
    assert not isinstance(caught.value, (RecordNotFound, BackendUnavailable))
    assert server.count("GET", "/orders/bad") == 1


def test_422_validation_detail_list_is_carried_in_the_rejection(server):
    detail = [{"loc": ["body", "summary"], "msg": "field required"}]
    server.route("POST", "/interactions", Reply(422, {"detail": detail}))
    with pytest.raises(BackendRejected) as caught:
        make_client(server).post("/interactions", {"conversation_id": "c"})
    assert "HTTP 422" in str(caught.value)
    assert "field required" in str(caught.value)


# --- 5xx and retries --------------------------------------------------------------


@pytest.mark.parametrize("retries", [0, 1, 2])
@pytest.mark.parametrize("status", [500, 503])
def test_get_on_5xx_is_retried_exactly_retries_times_then_unavailable(server, retries, status):
    server.route("GET", "/orders/BW-100002", Reply(status, {"detail": "down"}))
    with pytest.raises(BackendUnavailable) as caught:
        make_client(server, retries=retries).record("orders", "BW-100002")
    assert f"HTTP {status}" in str(caught.value)
    assert server.count("GET", "/orders/BW-100002") == 1 + retries


def test_get_succeeds_when_a_retry_gets_through(server):
    server.route("GET", "/orders/BW-100002", Reply(503, {"detail": "busy"}), Reply(200, ORDER))
    assert make_client(server, retries=1).record("orders", "BW-100002") == ORDER
    assert server.count("GET", "/orders/BW-100002") == 2


def test_5xx_without_json_is_still_unavailable(server):
    server.route(
        "GET", "/policies", Reply(502, raw=b"<html>Bad gateway</html>", content_type="text/html")
    )
    with pytest.raises(BackendUnavailable):
        make_client(server).policies()


@pytest.mark.parametrize("status", [500, 503])
def test_post_is_never_retried_on_5xx(server, status):
    server.route("POST", "/interactions", Reply(status, {"detail": "down"}))
    with pytest.raises(BackendUnavailable):
        make_client(server, retries=2).log_interaction("c", "rest", "faq", "s")
    assert server.count("POST", "/interactions") == 1


def test_a_write_with_its_key_is_retried_with_the_same_key(server):
    server.route(
        "POST",
        "/appointments/APT-1/cancel",
        Reply(503, {"detail": "busy"}),
        Reply(200, {"id": "APT-1"}),
    )
    assert make_client(server, retries=1).cancel_appointment("key-0001", "APT-1") == {"id": "APT-1"}
    keys = [r.headers.get("Idempotency-Key") for r in server.requests]
    assert keys == ["key-0001", "key-0001"]


def test_a_409_is_a_conflict_carrying_the_reason(server):
    reason = "ST-LON has no free slot at 2026-11-25T09:30:00; free: 2026-11-25T14:00:00"
    server.route("POST", "/appointments/APT-1/move", Reply(409, {"detail": reason}))
    with pytest.raises(backend.BackendConflict) as caught:
        make_client(server, retries=2).move_appointment(
            "key-0001", "APT-1", datetime(2026, 11, 25, 9, 30)
        )
    assert (caught.value.status, caught.value.reason) == (409, reason)
    assert server.count("POST", "/appointments/APT-1/move") == 1


# --- timeouts ---------------------------------------------------------------------


def test_read_timeout_is_honoured_and_typed(server):
    server.route("GET", "/orders/BW-100002", Reply(200, ORDER, delay=SLOW))
    client = make_client(server, retries=0)
    started = time.monotonic()
    with pytest.raises(BackendUnavailable) as caught:
        client.record("orders", "BW-100002")
    elapsed = time.monotonic() - started
    assert TIMEOUT * 0.9 <= elapsed < TIMEOUT + SLACK
    assert "Timeout" in str(caught.value)
    assert server.count("GET", "/orders/BW-100002") == 1


def test_get_timeouts_are_retried_then_fail_within_the_bound(server):
    server.route("GET", "/orders/BW-100002", Reply(200, ORDER, delay=SLOW))
    client = make_client(server, retries=2)
    started = time.monotonic()
    with pytest.raises(BackendUnavailable):
        client.record("orders", "BW-100002")
    elapsed = time.monotonic() - started
    # 3 attempts of TIMEOUT each, plus the 0.2 s and 0.4 s back-off between them.
    assert 3 * TIMEOUT + 0.6 - 0.1 <= elapsed < 3 * TIMEOUT + 0.6 + SLACK
    assert server.count("GET", "/orders/BW-100002") == 3


def test_get_recovers_when_the_retry_is_fast(server):
    server.route("GET", "/orders/BW-100002", Reply(200, ORDER, delay=SLOW), Reply(200, ORDER))
    started = time.monotonic()
    assert make_client(server, retries=1).record("orders", "BW-100002") == ORDER
    assert time.monotonic() - started < TIMEOUT + 0.2 + SLACK
    assert server.count("GET", "/orders/BW-100002") == 2


def test_post_timeout_is_not_retried(server):
    server.route("POST", "/interactions", Reply(200, {"id": "INT-1"}, delay=SLOW))
    started = time.monotonic()
    with pytest.raises(BackendUnavailable):
        make_client(server, retries=2).post("/interactions", {"summary": "s"})
    assert time.monotonic() - started < TIMEOUT + SLACK
    # Give a (wrong) retry the time it would need to arrive before counting.
    time.sleep(0.3)
    assert server.count("POST", "/interactions") == 1


def test_timeouts_are_passed_to_every_request():
    seen = []

    class RecordingSession(requests.Session):
        def request(self, method, url, **kwargs):
            seen.append((method, url, kwargs.get("timeout")))
            raise requests.ConnectTimeout("no route")

    client = BackendClient(
        "http://backend.invalid",
        connect_timeout=0.25,
        read_timeout=0.75,
        retries=1,
        session=RecordingSession(),
    )
    with pytest.raises(BackendUnavailable) as caught:
        client.get("/orders/BW-100002")
    assert "ConnectTimeout" in str(caught.value)
    assert seen == [("GET", "http://backend.invalid/orders/BW-100002", (0.25, 0.75))] * 2


# --- connection failures ----------------------------------------------------------


def test_connection_refused_is_unavailable_and_fast():
    client = BackendClient(f"http://127.0.0.1:{closed_port()}", TIMEOUT, TIMEOUT, retries=0)
    started = time.monotonic()
    with pytest.raises(BackendUnavailable) as caught:
        client.record("orders", "BW-100002")
    assert time.monotonic() - started < TIMEOUT + SLACK
    assert "ConnectionError" in str(caught.value)


def test_connection_refused_get_is_retried_with_backoff():
    client = BackendClient(f"http://127.0.0.1:{closed_port()}", TIMEOUT, TIMEOUT, retries=2)
    started = time.monotonic()
    with pytest.raises(BackendUnavailable):
        client.get("/policies")
    elapsed = time.monotonic() - started
    # Refusals are instant: what remains is the 0.2 s + 0.4 s back-off of the 2 retries.
    assert 0.55 <= elapsed < 0.6 + SLACK


def test_connection_refused_post_is_not_retried():
    client = BackendClient(f"http://127.0.0.1:{closed_port()}", TIMEOUT, TIMEOUT, retries=2)
    started = time.monotonic()
    with pytest.raises(BackendUnavailable):
        client.post("/interactions", {"summary": "s"})
    assert time.monotonic() - started < 0.2  # no back-off sleep: a single attempt


def test_body_cut_off_midway_is_unavailable_not_a_raw_requests_error(server):
    server.route("GET", "/orders/BW-100002", Reply(200, raw=b'{"id": "BW-1', declared_length=200))
    with pytest.raises(BackendUnavailable):
        make_client(server, retries=1).record("orders", "BW-100002")
    assert server.count("GET", "/orders/BW-100002") == 2


# --- bad bodies -------------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"{not json", b"", b"<html>ok</html>", b'{"id": "BW-1"'])
def test_2xx_without_json_is_a_bad_response(server, raw):
    server.route("GET", "/orders/BW-100002", Reply(200, raw=raw, content_type="text/html"))
    with pytest.raises(BackendBadResponse) as caught:
        make_client(server, retries=2).record("orders", "BW-100002")
    assert "without JSON" in str(caught.value)
    assert server.count("GET", "/orders/BW-100002") == 1  # not retried


def test_4xx_without_json_is_a_bad_response(server):
    server.route(
        "GET", "/orders/BW-100002", Reply(404, raw=b"Not Found", content_type="text/plain")
    )
    with pytest.raises(BackendBadResponse) as caught:
        make_client(server).record("orders", "BW-100002")
    assert "HTTP 404" in str(caught.value)


@pytest.mark.parametrize("body", [[ORDER], "BW-100002", 42, None, True])
def test_record_rejects_json_that_is_not_an_object(server, body):
    server.route("GET", "/orders/BW-100002", Reply(200, body))
    with pytest.raises(BackendBadResponse) as caught:
        make_client(server).record("orders", "BW-100002")
    assert str(caught.value) == "orders: expected a JSON object"


def test_policies_rejects_a_list(server):
    server.route("GET", "/policies", Reply(200, [{"return_window_days": 30}]))
    with pytest.raises(BackendBadResponse):
        make_client(server).policies()


def test_log_interaction_rejects_a_non_object_answer(server):
    server.route("POST", "/interactions", Reply(200, ["ok"]))
    with pytest.raises(BackendBadResponse):
        make_client(server).log_interaction("c", "rest", "faq", "s")


@pytest.mark.parametrize(
    "body",
    [
        {},  # no items at all
        {"items": None},
        {"items": {"id": "BW-100001"}},  # an object, not a list
        {"items": "BW-100001"},
        {"items": [{"id": "BW-100001"}, None]},  # an entry that is not a record
        {"items": ["BW-100001"]},
        [{"id": "BW-100001"}],  # the list itself, not wrapped
    ],
)
def test_customer_records_validates_the_item_list(server, body):
    server.route("GET", "/customers/C-1001/orders", Reply(200, body))
    with pytest.raises(BackendBadResponse):
        make_client(server).customer_records("C-1001", "orders")


def test_customer_records_of_an_unknown_customer_is_not_found(server):
    server.route(
        "GET", "/customers/C-9999/orders", Reply(404, {"detail": "customer C-9999 not found"})
    )
    with pytest.raises(RecordNotFound, match="C-9999"):
        make_client(server).customer_records("C-9999", "orders")


def test_error_hierarchy():
    for error in (BackendUnavailable, RecordNotFound, BackendRejected, BackendBadResponse):
        assert issubclass(error, BackendError)
    assert not issubclass(RecordNotFound, BackendUnavailable)


# --- call() and client() ----------------------------------------------------------


def test_call_runs_the_blocking_method_in_another_thread():
    seen = {}

    def blocking(a, b):
        seen["thread"] = threading.get_ident()
        return a + b

    async def main():
        seen["loop_thread"] = threading.get_ident()
        return await backend.call(blocking, 2, 3)

    assert asyncio.run(main()) == 5
    assert seen["thread"] != seen["loop_thread"]


def test_call_does_not_block_the_event_loop(server):
    server.route("GET", "/orders/BW-100002", Reply(200, ORDER, delay=0.5))
    client = make_client(server, read=2.0)

    async def main():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.05)
                ticks += 1

        task = asyncio.create_task(ticker())
        started = time.monotonic()
        results = await asyncio.gather(
            backend.call(client.record, "orders", "BW-100002"),
            backend.call(client.record, "orders", "BW-100002"),
        )
        elapsed = time.monotonic() - started
        task.cancel()
        return results, elapsed, ticks

    results, elapsed, ticks = asyncio.run(main())
    assert results == [ORDER, ORDER]
    assert elapsed < 0.95  # both 0.5 s calls ran side by side, not one after the other
    assert ticks >= 4  # the loop kept running while the calls waited


def test_call_propagates_typed_errors(server):
    server.route("GET", "/orders/BW-000000", Reply(404, {"detail": "no such order"}))
    client = make_client(server)
    with pytest.raises(RecordNotFound, match="no such order"):
        asyncio.run(backend.call(client.record, "orders", "BW-000000"))


@pytest.fixture
def fresh_settings():
    settings.cache_clear()
    backend.client.cache_clear()
    yield
    settings.cache_clear()
    backend.client.cache_clear()


def test_client_is_configured_from_the_settings(monkeypatch, fresh_settings):
    monkeypatch.setenv("BACKEND_URL", "http://crm.internal:9000/api/")
    monkeypatch.setenv("BACKEND_CONNECT_TIMEOUT", "1.5")
    monkeypatch.setenv("BACKEND_READ_TIMEOUT", "4")
    monkeypatch.setenv("BACKEND_RETRIES", "2")
    client = backend.client()
    assert client.base_url == "http://crm.internal:9000/api"
    assert client.timeout == (1.5, 4.0)
    assert client.retries == 2
    assert backend.client() is client


# --- circuit breaker ----------------------------------------------------------------


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_after_the_threshold_cools_off_and_probes_once():
    clock = Clock()
    breaker = CircuitBreaker(threshold=3, cool_off=5.0, clock=clock)
    for _ in range(2):
        breaker.admit("x")
        breaker.failed()
    assert not breaker.is_open
    breaker.admit("x")
    breaker.failed()
    assert breaker.is_open
    with pytest.raises(CircuitOpen):
        breaker.admit("GET /orders")
    clock.now += 5.0
    breaker.admit("probe")  # half-open: this one goes through ...
    with pytest.raises(CircuitOpen):
        breaker.admit("meanwhile")  # ... and no other while it runs
    breaker.failed()  # a failed probe opens it again for a full cool-off
    clock.now += 4.9
    with pytest.raises(CircuitOpen):
        breaker.admit("x")
    clock.now += 0.1
    breaker.admit("probe")
    breaker.succeeded()
    assert not breaker.is_open
    breaker.admit("x")


def test_a_success_resets_the_count_of_failures():
    breaker = CircuitBreaker(threshold=2, cool_off=5.0, clock=Clock())
    breaker.failed()
    breaker.succeeded()
    breaker.failed()
    assert not breaker.is_open


def test_a_frozen_backend_trips_the_breaker_and_later_calls_fail_at_once(server):
    server.route("GET", "/orders/BW-100002", Reply(200, ORDER, delay=SLOW))
    client = BackendClient(
        server.url, TIMEOUT, TIMEOUT, retries=1, breaker=CircuitBreaker(threshold=3, cool_off=60.0)
    )
    for _ in range(2):  # 2 + 1 timed-out attempts open it (the third call stops at once)
        with pytest.raises(BackendUnavailable):
            client.record("orders", "BW-100002")
    assert client.breaker.is_open and server.count("GET", "/orders/BW-100002") == 3
    started = time.monotonic()
    for _ in range(20):
        with pytest.raises(CircuitOpen):
            client.record("orders", "BW-100002")
    assert time.monotonic() - started < 0.2  # no timeouts, no back-off
    assert server.count("GET", "/orders/BW-100002") == 3


def test_after_the_cool_off_one_probe_closes_the_breaker_when_the_backend_is_back(server):
    server.route("GET", "/orders/BW-100002", Reply(503, {}), Reply(200, ORDER))
    client = BackendClient(
        server.url, TIMEOUT, TIMEOUT, retries=0, breaker=CircuitBreaker(threshold=1, cool_off=0.3)
    )
    with pytest.raises(BackendUnavailable):
        client.record("orders", "BW-100002")
    with pytest.raises(CircuitOpen):
        client.record("orders", "BW-100002")
    time.sleep(0.35)
    assert client.record("orders", "BW-100002") == ORDER
    assert not client.breaker.is_open and server.count("GET", "/orders/BW-100002") == 2


@pytest.mark.parametrize("status", [400, 404, 422])
def test_answers_below_500_do_not_count_against_the_backend(server, status):
    server.route("GET", "/orders/BW-1", Reply(status, {"detail": "no"}))
    client = BackendClient(
        server.url, TIMEOUT, TIMEOUT, retries=0, breaker=CircuitBreaker(threshold=1, cool_off=60.0)
    )
    for _ in range(3):
        with pytest.raises(BackendError):
            client.record("orders", "BW-1")
    assert not client.breaker.is_open and server.count("GET", "/orders/BW-1") == 3


def test_the_breaker_comes_from_the_settings(monkeypatch):
    monkeypatch.setenv("BACKEND_BREAKER_FAILURES", "7")
    monkeypatch.setenv("BACKEND_BREAKER_COOL_OFF", "12.5")
    settings.cache_clear()
    backend.client.cache_clear()
    try:
        breaker = backend.client().breaker
        assert (breaker.threshold, breaker.cool_off) == (7, 12.5)
    finally:
        settings.cache_clear()
        backend.client.cache_clear()


# --- the turn's deadline --------------------------------------------------------------


def test_one_deadline_cuts_every_attempt_and_retry_of_the_turn(server):
    """Timeouts of 1 s and two retries could take 3.6 s; the turn's 0.5 s cuts them."""
    server.route("GET", "/orders/BW-100002", Reply(200, ORDER, delay=SLOW))
    server.route("GET", "/policies", Reply(200, {}, delay=SLOW))
    client = make_client(server, retries=2, read=1.0, connect=1.0)
    started = time.monotonic()
    with backend.turn_deadline(0.5):
        with pytest.raises(BackendUnavailable):
            client.record("orders", "BW-100002")
        with pytest.raises(backend.TurnBudgetSpent):  # the next call of the turn: none left
            client.policies()
    elapsed = time.monotonic() - started
    assert 0.45 <= elapsed < 0.5 + SLACK, elapsed
    assert server.count("GET", "/orders/BW-100002") == 1
    assert server.count("GET", "/policies") == 0


def test_the_deadline_reaches_calls_run_on_threads_and_ends_with_the_turn(server):
    server.route("GET", "/orders/BW-100002", Reply(200, ORDER, delay=SLOW))
    client = make_client(server, retries=0, read=1.5, connect=1.5)

    async def turn() -> float:
        with backend.turn_deadline(0.4):
            started = time.monotonic()
            with pytest.raises(BackendUnavailable):
                await backend.call(client.record, "orders", "BW-100002")
            return time.monotonic() - started

    assert asyncio.run(turn()) < 0.4 + SLACK
    assert backend.remaining_turn() is None
    started = time.monotonic()  # outside a turn only the timeouts bound a call
    with pytest.raises(BackendUnavailable):
        client.record("orders", "BW-100002")
    assert time.monotonic() - started >= 1.4


def test_a_healthy_backend_is_unaffected_by_the_deadline(server):
    server.route("GET", "/orders/BW-100002", Reply(503, {}), Reply(200, ORDER, delay=0.1))
    client = make_client(server, retries=1)
    with backend.turn_deadline(2.5):
        assert client.record("orders", "BW-100002") == ORDER
        assert backend.remaining_turn() > 2.0
    assert server.count("GET", "/orders/BW-100002") == 2


def test_a_spent_budget_does_not_count_against_the_backend(server):
    server.route("GET", "/orders/BW-100002", Reply(200, ORDER))
    client = BackendClient(
        server.url, TIMEOUT, TIMEOUT, retries=0, breaker=CircuitBreaker(threshold=1, cool_off=60.0)
    )
    with backend.turn_deadline(0.0), pytest.raises(backend.TurnBudgetSpent):
        client.record("orders", "BW-100002")
    assert not client.breaker.is_open and server.count("GET", "/orders/BW-100002") == 0


def test_the_desk_is_not_bound_by_the_backends_turn_budget(server):
    server.route("GET", "/api/queue", Reply(200, {"waiting": 0}))
    with backend.turn_deadline(0.0):
        assert DeskClient(server.url, "t", TIMEOUT, TIMEOUT).queue() == {"waiting": 0}
