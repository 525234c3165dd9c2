"""Fuzz every entry point of the running stack; 0 answers of 5xx and 0 crashes is
the target (issues #10 and #20).

`python -m bench.fuzz [--cases 1000] [--seed 20] [--workers 4] [--smoke]`

Starts the whole stack with every channel configured (Twilio's API replaced by
the tests' recorder, e-mail replies going to the tests' SMTP server) on free
ports in a temp dir, then sends each entry point first every reproduction of
issue #20's table, then hypothesis-generated cases (fixed seeds: the same cases
on every run) up to --cases: the REST webhook and poll, WhatsApp signed and
unsigned, voice (signed; with ?silence= and an outreach call's plan), e-mail (with the secret), the web chat
page and socket, the erase routes on Rasa's internal listener and the action
server, and the desk's and the sample backend's APIs from their
/openapi.json. Prints a table per entry point (cases, answers by class, 429s,
crashes = no answer, tracebacks in the services' logs, the first 5xx
reproductions), then checks the stack still answers a normal REST conversation
and writes bench/results/fuzz.json (fuzz-smoke.json with --smoke: 30 cases per
entry point). Exits 1 on any 5xx, any crash, a service down, or a stack that no
longer answers.
"""

import argparse
import json
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests
from hypothesis import strategies as st

from bench.channel_stack import channel_stack
from bench.fuzz import channels, erasure
from bench.fuzz.cases import Case, Request
from bench.fuzz.credentials import Credentials
from bench.fuzz.driver import Tally, draw_cases, run_cases
from bench.fuzz.openapi import Operation, requests_of
from bench.load import bench_customers, load_crm
from bench.results_file import write_result
from tests.support.stack import Conversation, Stack

SEED = 20  # the reliability issue's number
SMOKE_CASES = 30
HEALTH_ATTEMPTS = 4


@dataclass(frozen=True)
class EntryPoint:
    name: str
    base_url: str
    # Built when the entry point's turn comes: the desk's ids exist only after
    # the channels have handed conversations over.
    cases: Callable[[], tuple[list[Case], st.SearchStrategy[Case]]]


def openapi_cases(
    url: str,
    credentials: Callable[[Operation], dict[str, str]],
    known: Mapping[str, Sequence[str]],
    reproductions: Sequence[Case],
) -> tuple[list[Case], st.SearchStrategy[Case]]:
    spec = requests.get(f"{url}/openapi.json", timeout=30).json()
    return list(reproductions), requests_of(spec, credentials, lambda name: known.get(name, ()))


def desk_handoff_ids(stack: Stack, creds: Credentials) -> list[str]:
    """The hand-overs the channels' fuzz created (a poisoned one among them)."""
    response = requests.get(
        f"{stack.config.desk_url}/api/handoffs", headers=creds.desk_agent, timeout=30
    )
    if response.status_code != 200:
        return []
    return [h["id"] for h in response.json() if isinstance(h, dict) and "id" in h][:20]


def desk_cases(stack: Stack, creds: Credentials) -> tuple[list[Case], st.SearchStrategy[Case]]:
    ids = desk_handoff_ids(stack, creds)
    listing = [
        Request("GET", "/api/handoffs", creds.desk_agent, note="the queue"),
        Request("GET", "/api/handoffs?status=waiting", creds.desk_agent, note="the waiting list"),
        Request("GET", "/api/queue", creds.desk_integration, note="the queue state"),
        *(Request("GET", f"/api/handoffs/{i}", creds.desk_agent, note="a hand-over") for i in ids),
    ]

    def credentials(op: Operation) -> dict[str, str]:
        if op.path.startswith("/admin/"):  # an admin's erasure and its receipts
            return creds.desk_admin
        return creds.desk_integration if "integration" in op.tags else creds.desk_agent

    known = {"handoff_id": ids, "customer_id": bench_customers(load_crm())[:20]}
    return openapi_cases(stack.config.desk_url, credentials, known, listing)


def backend_cases(stack: Stack) -> tuple[list[Case], st.SearchStrategy[Case]]:
    crm = load_crm()
    known = {
        "record_id": [r["id"] for c in ("orders", "claims", "invoices") for r in crm[c]][:50],
        "customer_id": bench_customers(crm)[:20],
    }
    for collection in ("orders", "claims", "invoices", "policies_", "customers"):
        known[f"{collection.rstrip('s_')}_id"] = known["record_id"]
    lists = {"Authorization": f"Bearer {stack.config.backend_list_token}"}  # outreach's lists
    return openapi_cases(
        stack.config.backend_url,
        lambda op: lists if op.path.startswith("/lists/") else {},
        known,
        [],
    )


def memory_cases(stack: Stack) -> tuple[list[Case], st.SearchStrategy[Case]]:
    """The customer memory's API with its callers' token (`/events` takes a signature
    of its own: its cases are refused, which is what they test)."""
    token = {"Authorization": f"Bearer {stack.config.memory_api_token}"}
    known = {"customer_id": bench_customers(load_crm())[:20]}
    return openapi_cases(stack.config.memory_url, lambda op: token, known, [])


def analytics_cases(stack: Stack) -> tuple[list[Case], st.SearchStrategy[Case]]:
    """The analytics service's read API with its callers' token."""
    token = {"Authorization": f"Bearer {stack.config.analytics_api_token}"}
    return openapi_cases(stack.config.analytics_url, lambda op: token, {}, [])


def outreach_cases(stack: Stack) -> tuple[list[Case], st.SearchStrategy[Case]]:
    """The outreach API (the consent ledger, the decision log) with its caller's token."""
    token = {"Authorization": f"Bearer {stack.config.outreach_api_token}"}
    known = {"customer_id": bench_customers(load_crm())[:20]}
    return openapi_cases(stack.config.outreach_url, lambda op: token, known, [])


def entry_points(stack: Stack, creds: Credentials) -> list[EntryPoint]:
    rasa = stack.config.rasa_url
    return [
        EntryPoint(
            "REST webhook",
            rasa,
            lambda: (channels.rest_reproductions(creds), channels.rest_cases(creds)),
        ),
        EntryPoint(
            "REST poll",
            rasa,
            lambda: (channels.rest_poll_reproductions(creds), channels.rest_poll_cases(creds)),
        ),
        EntryPoint(
            "WhatsApp signed",
            rasa,
            lambda: (
                channels.whatsapp_reproductions(creds, True),
                channels.whatsapp_cases(creds, True),
            ),
        ),
        EntryPoint(
            "WhatsApp unsigned",
            rasa,
            lambda: (
                channels.whatsapp_reproductions(creds, False),
                channels.whatsapp_cases(creds, False),
            ),
        ),
        EntryPoint(
            "Voice",
            rasa,
            lambda: (channels.voice_reproductions(creds), channels.voice_cases(creds)),
        ),
        EntryPoint(
            "E-mail",
            rasa,
            lambda: (channels.email_reproductions(creds), channels.email_cases(creds)),
        ),
        EntryPoint(
            "Web chat", rasa, lambda: (channels.webchat_reproductions(), channels.webchat_cases())
        ),
        EntryPoint("Backend API", stack.config.backend_url, lambda: backend_cases(stack)),
        EntryPoint("Desk API", stack.config.desk_url, lambda: desk_cases(stack, creds)),
        EntryPoint("Memory API", stack.config.memory_url, lambda: memory_cases(stack)),
        EntryPoint("Analytics API", stack.config.analytics_url, lambda: analytics_cases(stack)),
        EntryPoint("Outreach API", stack.config.outreach_url, lambda: outreach_cases(stack)),
        EntryPoint(
            "Rasa erase (internal)",
            stack.config.rasa_internal_url,
            lambda: (
                erasure.rasa_erase_reproductions(stack.config),
                erasure.rasa_erase_cases(stack.config),
            ),
        ),
        EntryPoint(
            "Lockout erase (action server)",
            stack.config.action_url,
            lambda: ([], erasure.lockout_erase_cases(stack.config)),
        ),
    ]


def still_answers(stack: Stack) -> dict[str, Any]:
    """A normal REST conversation, and the desk and backend health; a rate limit the
    fuzz ran into is waited out (its Retry-After) rather than counted as down."""
    detail: dict[str, Any] = {}
    for attempt in range(HEALTH_ATTEMPTS):
        conversation = Conversation(stack)
        try:
            replies = [conversation.say("hello"), conversation.say("where is my order BW-100002")]
            detail["rest"] = all(r.strip() for r in replies)
            break
        except (AssertionError, requests.RequestException) as error:
            detail["rest"] = False
            detail["rest_error"] = str(error)[:300]
            time.sleep(min(60, 5 * (attempt + 1) ** 2))
    for name, url in (("desk", stack.config.desk_url), ("backend", stack.config.backend_url)):
        try:
            detail[name] = requests.get(f"{url}/health", timeout=10).status_code == 200
        except requests.RequestException:
            detail[name] = False
    detail["ok"] = bool(detail["rest"] and detail["desk"] and detail["backend"])
    return detail


def table(results: dict[str, dict[str, Any]]) -> str:
    head = (
        f"{'entry point':<18} {'cases':>6} {'2xx':>5} {'4xx':>5} {'429':>5} {'5xx':>5} "
        f"{'crashes':>7} {'tracebacks':>10} {'p50 ms':>7} {'max ms':>8} {'unsent':>6}"
    )
    rows = [head, "-" * len(head)]
    for name, r in results.items():
        rows.append(
            f"{name:<18} {r['cases']:>6} {r['2xx']:>5} {r['4xx']:>5} {r['429']:>5} "
            f"{r['5xx']:>5} {r['crashes']:>7} {r['tracebacks_logged']:>10} "
            f"{r['p50_ms'] or 0:>7.0f} {r['max_ms'] or 0:>8.0f} {r['unsendable']:>6}"
        )
    for name, r in results.items():
        if r["services_down"]:
            rows.append(f"{name}: services down afterwards: {', '.join(r['services_down'])}")
        for failure in r["failures"]:
            rows.append(
                f"{name}: {failure['status'] or 'no answer'} ← {failure['case']}"
                f" → {failure['answer'][:120]!r}"
            )
    return "\n".join(rows)


def fuzz(
    stack: Stack,
    cases: int,
    base_seed: int,
    workers: int,
    keep: Callable[[dict[str, dict[str, Any]]], None],
) -> dict[str, dict[str, Any]]:
    """Each entry point in turn; keep() is given the results so far after each."""
    creds = Credentials.of(stack)
    services = [
        s
        for s in (
            stack.backend,
            stack.desk,
            stack.memory,
            stack.analytics,
            stack.outreach,
            stack.actions,
            stack.rasa,
        )
        if s
    ]
    results: dict[str, dict[str, Any]] = {}
    for index, point in enumerate(entry_points(stack, creds)):
        reproductions, strategy = point.cases()
        generated = draw_cases(strategy, max(0, cases - len(reproductions)), base_seed + index)
        started = time.perf_counter()
        tally: Tally = run_cases(point.base_url, reproductions, generated, services, workers)
        results[point.name] = tally.summary()
        print(
            f"{point.name}: {tally.cases} cases in {time.perf_counter() - started:.0f} s, "
            f"{tally.by_class['5xx']} 5xx, {tally.crashes} crashes",
            flush=True,
        )
        keep(results)
    return results


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000, help="cases per entry point")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--workers", type=int, default=4, help="concurrent requests")
    parser.add_argument(
        "--smoke", action="store_true", help=f"{SMOKE_CASES} cases per entry point, for the tests"
    )
    args = parser.parse_args(argv)
    cases = SMOKE_CASES if args.smoke else args.cases
    name = "fuzz-smoke" if args.smoke else "fuzz"
    settings = {"cases_per_entry_point": cases, "seed": args.seed, "workers": args.workers}

    def keep(results: dict[str, dict[str, Any]]) -> None:  # a long run's figures so far
        write_result(name, {**settings, "entry_points": results, "complete": False})

    with channel_stack("bench-fuzz-") as stack:
        results = fuzz(stack, cases, args.seed, args.workers, keep)
        health = still_answers(stack)
    failed = sum(r["5xx"] + r["crashes"] + len(r["services_down"]) for r in results.values())
    passed = failed == 0 and health["ok"]
    print(table(results))
    total = sum(r["cases"] for r in results.values())
    print(
        f"fuzz: {total} cases over {len(results)} entry points, "
        f"{sum(r['5xx'] for r in results.values())} answers of 5xx, "
        f"{sum(r['crashes'] for r in results.values())} crashes; the stack "
        f"{'still answers' if health['ok'] else 'NO LONGER ANSWERS'} ({json.dumps(health)}); "
        f"{'PASS' if passed else 'FAIL'}"
    )
    write_result(
        name,
        {
            **settings,
            "entry_points": results,
            "still_answers": health,
            "passed": passed,
            "complete": True,
        },
    )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
