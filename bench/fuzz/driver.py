"""Sends the cases of one entry point and tallies what came back."""

import json
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import requests
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from bench.fuzz.cases import Case, Request, SocketCase
from bench.fuzz.values import dumps, encode
from bench.results_file import percentile
from stack.processes import Service

TIMEOUT_SECONDS = 120.0
REPRODUCTIONS_SHOWN = 5
TRACEBACK = "Traceback (most recent call last)"
UNSENDABLE = 0  # the status of a case the HTTP client refused to send


@dataclass(frozen=True)
class Outcome:
    status: int | None  # None: no answer (timeout, connection refused or dropped)
    ms: float
    detail: str = ""


def draw_cases(strategy: st.SearchStrategy[Case], count: int, base_seed: int) -> list[Case]:
    """count cases drawn by hypothesis, the same ones on every run (fixed seeds)."""
    cases: list[Case] = []
    run = 0
    while len(cases) < count:

        @settings(
            max_examples=count - len(cases),
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @seed(base_seed * 1000 + run)
        @given(strategy)
        def collect(case: Case) -> None:
            cases.append(case)

        collect()
        run += 1
    return cases[:count]


def _answer(response: requests.Response, started: float) -> Outcome:
    return Outcome(
        response.status_code, (time.perf_counter() - started) * 1000, response.text[:300]
    )


def send_request(session: requests.Session, base_url: str, request: Request) -> Outcome:
    started = time.perf_counter()
    try:
        response = session.request(
            request.method,
            f"{base_url}{request.target}",
            headers=request.headers,
            data=request.body,
            timeout=TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.Timeout:
        return Outcome(None, (time.perf_counter() - started) * 1000, "timeout")
    except requests.ConnectionError as error:
        return Outcome(None, (time.perf_counter() - started) * 1000, f"connection: {error}")
    except (requests.exceptions.InvalidHeader, requests.exceptions.InvalidURL, ValueError):
        # the client library would not send it (a CR in a header): nothing reached the stack
        return Outcome(UNSENDABLE, 0.0, "not sendable")
    return _answer(response, started)


def send_socket(session: requests.Session, base_url: str, case: SocketCase) -> Outcome:
    """Engine.IO v4 over polling: open, join the namespace, ask for a session, send the
    message, leave. The worst answer of the exchange is the case's."""
    started = time.perf_counter()
    opened = send_request(session, base_url, Request("GET", "/socket.io/?EIO=4&transport=polling"))
    if opened.status != 200 or not opened.detail.startswith("0"):
        return opened
    sid = json.loads(opened.detail[1:])["sid"]
    session_id = uuid.uuid4().hex if case.session_id == "new" else case.session_id
    packet = (
        case.raw_packet
        if case.raw_packet is not None
        else "42" + dumps(["user_uttered", {"message": case.message, "session_id": session_id}])
    )
    outcomes = [opened]
    for payload in (
        "40",
        "42" + dumps(["session_request", {"session_id": session_id}]),
        packet,
        "41",
        "1",
    ):
        outcomes.append(
            send_request(
                session,
                base_url,
                Request(
                    "POST",
                    f"/socket.io/?EIO=4&transport=polling&sid={sid}",
                    {"Content-Type": "text/plain;charset=UTF-8"},
                    encode(payload, "raw-surrogates"),
                ),
            )
        )
    worst = max(outcomes, key=lambda o: 1000 if o.status is None else o.status or 999)
    return Outcome(worst.status, (time.perf_counter() - started) * 1000, worst.detail)


def send(session: requests.Session, base_url: str, case: Case) -> Outcome:
    if isinstance(case, SocketCase):
        return send_socket(session, base_url, case)
    assert isinstance(case, Request)
    return send_request(session, base_url, case)


@dataclass
class Tally:
    """What one entry point answered to its cases."""

    cases: int = 0
    by_class: dict[str, int] = field(
        default_factory=lambda: {"2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0}
    )
    rate_limited: int = 0
    unsendable: int = 0
    crashes: int = 0  # no answer at all
    tracebacks_logged: int = 0
    services_down: list[str] = field(default_factory=list)
    ms: list[float] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)  # the first 5xx and crashes

    def add(self, case: Case, outcome: Outcome) -> None:
        self.cases += 1
        if outcome.status == UNSENDABLE:
            self.unsendable += 1
            return
        self.ms.append(outcome.ms)
        if outcome.status is None:
            self.crashes += 1
        else:
            self.by_class[f"{min(outcome.status // 100, 5)}xx"] += 1
            self.rate_limited += outcome.status == 429
        failed = outcome.status is None or outcome.status >= 500
        if failed and len(self.failures) < REPRODUCTIONS_SHOWN:
            self.failures.append(
                {
                    "case": case.describe(),  # type: ignore[attr-defined]
                    "status": outcome.status,
                    "answer": outcome.detail[:200],
                }
            )

    @property
    def failed(self) -> int:
        return self.by_class["5xx"] + self.crashes

    def summary(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            **self.by_class,
            "429": self.rate_limited,
            "unsendable": self.unsendable,
            "crashes": self.crashes,
            "tracebacks_logged": self.tracebacks_logged,
            "services_down": self.services_down,
            "p50_ms": round(percentile(self.ms, 0.5), 1) if self.ms else None,
            "max_ms": round(max(self.ms), 1) if self.ms else None,
            "failures": self.failures,
        }


def _log_sizes(services: Sequence[Service]) -> dict[str, int]:
    return {s.name: s.log_path.stat().st_size if s.log_path.exists() else 0 for s in services}


def _new_tracebacks(services: Sequence[Service], before: dict[str, int]) -> int:
    count = 0
    for service in services:
        if service.log_path.exists():
            with service.log_path.open("rb") as log:
                log.seek(before.get(service.name, 0))
                count += log.read().decode("utf-8", "replace").count(TRACEBACK)
    return count


def run_cases(
    base_url: str,
    reproductions: Sequence[Case],
    generated: Sequence[Case],
    services: Sequence[Service],
    workers: int,
) -> Tally:
    """Reproductions one after the other (some depend on order: a retried
    Message-ID), then the generated cases concurrently."""
    tally = Tally()
    logs = _log_sizes(services)
    with requests.Session() as session:
        for case in reproductions:
            tally.add(case, send(session, base_url, case))
    with ThreadPoolExecutor(workers) as pool:
        sessions = [requests.Session() for _ in range(workers)]
        outcomes = pool.map(
            lambda pair: send(sessions[pair[0] % workers], base_url, pair[1]), enumerate(generated)
        )
        for case, outcome in zip(generated, outcomes, strict=True):
            tally.add(case, outcome)
    tally.tracebacks_logged = _new_tracebacks(services, logs)
    tally.services_down = [s.name for s in services if s.process.poll() is not None]
    return tally
