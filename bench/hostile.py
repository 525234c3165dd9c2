"""Does hostile input slow everyone else down? Normal REST conversations, alone and
then alongside a stream of hostile messages; the issue's target (#20): the normal
traffic's p99 moves by no more than 100 ms.

`python -m bench.hostile [--conversations 4] [--turns 25] [--think 1.0] [--smoke]`

Starts the whole stack with every channel configured (bench/channel_stack.py),
warms it up, then runs the same normal traffic twice: N concurrent REST
conversations of T turns (a greeting, an order question, the postcode, a policy
question, thanks), each customer taking --think seconds to read and type before
the next message (0: back to back, which alone keeps a small machine's cores
busy), first alone, then while one client keeps sending hostile
messages back to back: REST messages of the largest size allowed (5,000 emoji,
5,000 characters of words, of record ids), a 100 KB REST message (refused), and
e-mails of 20,000 characters (words, record ids) and of 10,000 emoji. Prints the
normal traffic's p50/p99 in both runs and what the hostile messages took, writes
bench/results/hostile.json (hostile-smoke.json with --smoke: 2 conversations × 3
turns, for the tests). Exits 1 when a normal turn failed, or (not in the smoke
run, whose few turns give no p99) when p99 moved by more than 100 ms.
"""

import argparse
import itertools
import json
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import requests

from bench.channel_stack import channel_stack
from bench.fuzz.credentials import Credentials
from bench.fuzz.values import EMOJI
from bench.results_file import percentile, write_result
from tests.support.stack import Stack

TARGET_P99_DELTA_MS = 100.0
TIMEOUT_SECONDS = 120.0
REST = "/webhooks/rest/webhook"
EMAIL = "/webhooks/email/webhook"
NORMAL_TURNS = (
    "hello",
    "where is my order BW-100002",
    "98096",
    "how long do returns take",
    "thanks",
)
IDS = "where is my order BW-100002 "
# (label, channel, text): REST's limit is 5,000 characters, e-mail's 20,000.
HOSTILE: tuple[tuple[str, str, str], ...] = (
    ("REST 5,000 emoji", "rest", EMOJI * 5000),
    ("REST 5,000 chars of words", "rest", ("this is terrible service " * 200)[:5000]),
    ("REST 5,000 chars of record ids", "rest", (IDS * 200)[:5000]),
    ("REST 100 KB (refused)", "rest", "a" * 100_000),
    ("e-mail 20,000 chars of words", "email", ("where is my parcel " * 1100)[:20_000]),
    ("e-mail 20,000 chars of record ids", "email", (IDS * 800)[:20_000]),
    ("e-mail 10,000 emoji", "email", EMOJI * 10_000),
)


@dataclass(frozen=True)
class Plan:
    conversations: int
    turns: int
    warmup_turns: int = 5
    # A customer reads the answer and types the next message; 0: back to back, which
    # on a small machine keeps every core busy with normal traffic alone.
    think_seconds: float = 0.0


SMOKE = Plan(2, 3, warmup_turns=2)


class Client:
    """Posts to the stack as its REST and e-mail clients do (credentials from the
    fuzz bench's one place per channel)."""

    def __init__(self, stack: Stack) -> None:
        self.url = stack.config.rasa_url
        self.credentials = Credentials.of(stack)

    def rest(self, session: requests.Session, sender: str, text: str) -> requests.Response:
        return session.post(
            f"{self.url}{REST}",
            json={"sender": sender, "message": text},
            headers=self.credentials.rest(sender),
            timeout=TIMEOUT_SECONDS,
        )

    def email(self, session: requests.Session, text: str) -> requests.Response:
        body = {
            "from": "Noah O'Brien <noah.obrien0@example.com>",
            "subject": "My order",
            "text": text,
            "message_id": f"<{uuid.uuid4().hex}@hostile.example>",
        }
        return session.post(
            f"{self.url}{EMAIL}",
            data=json.dumps(body),
            headers={"Content-Type": "application/json", **self.credentials.email},
            timeout=TIMEOUT_SECONDS,
        )


def timed(call: Any, *args: Any) -> tuple[float, int | None]:
    """Milliseconds and status of one call; None for no answer."""
    started = time.perf_counter()
    try:
        status: int | None = call(*args).status_code
    except requests.RequestException:
        status = None
    return (time.perf_counter() - started) * 1000, status


def conversation(
    client: Client, sender: str, turns: int, think_seconds: float
) -> list[tuple[float, int | None]]:
    outcomes = []
    with requests.Session() as session:
        for text in itertools.islice(itertools.cycle(NORMAL_TURNS), turns):
            outcomes.append(timed(client.rest, session, sender, text))
            time.sleep(think_seconds)
    return outcomes


def normal_traffic(client: Client, plan: Plan, phase: str) -> list[tuple[float, int | None]]:
    run = uuid.uuid4().hex[:8]
    with ThreadPoolExecutor(plan.conversations) as pool:
        futures = [
            pool.submit(
                conversation,
                client,
                f"hostile-bench-{run}-{phase}-{i}",
                plan.turns,
                plan.think_seconds,
            )
            for i in range(plan.conversations)
        ]
        return [outcome for future in futures for outcome in future.result()]


def hostile_stream(client: Client, stop: threading.Event, once: bool) -> list[dict[str, Any]]:
    """Hostile messages back to back until stop is set (each kind at least once)."""
    sent: list[dict[str, Any]] = []
    with requests.Session() as session:
        for index in itertools.count():
            label, channel, text = HOSTILE[index % len(HOSTILE)]
            if index >= len(HOSTILE) and (stop.is_set() or once):
                break
            ms, status = (
                timed(client.rest, session, f"hostile-{uuid.uuid4().hex[:8]}", text)
                if channel == "rest"
                else timed(client.email, session, text)
            )
            sent.append({"message": label, "ms": round(ms, 1), "status": status})
    return sent


def figures(outcomes: Sequence[tuple[float, int | None]]) -> dict[str, Any]:
    ms = [m for m, _ in outcomes]
    return {
        "turns": len(outcomes),
        "p50_ms": round(percentile(ms, 0.5), 1),
        "p99_ms": round(percentile(ms, 0.99), 1),
        "max_ms": round(max(ms), 1),
        "errors": sum(1 for _, status in outcomes if status != 200),
    }


def measure(stack: Stack, plan: Plan, smoke: bool) -> dict[str, Any]:
    client = Client(stack)
    normal_traffic(client, Plan(1, plan.warmup_turns), "warmup")
    alone = figures(normal_traffic(client, plan, "alone"))
    stop = threading.Event()
    with ThreadPoolExecutor(1) as pool:
        hostile = pool.submit(hostile_stream, client, stop, smoke)
        beside = figures(normal_traffic(client, plan, "beside"))
        stop.set()
        sent = hostile.result()
    return {
        "alone": alone,
        "with_hostile": beside,
        "hostile_messages": sent,
        "p99_delta_ms": round(beside["p99_ms"] - alone["p99_ms"], 1),
    }


def report(result: dict[str, Any], plan: Plan) -> str:
    rows = [
        f"{'normal traffic':<22} {'turns':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
        f"{'errors':>7}"
    ]
    for name, key in (("alone", "alone"), ("with hostile traffic", "with_hostile")):
        r = result[key]
        rows.append(
            f"{name:<22} {r['turns']:>6} {r['p50_ms']:>8.0f} {r['p99_ms']:>8.0f} "
            f"{r['max_ms']:>8.0f} {r['errors']:>7}"
        )
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for message in result["hostile_messages"]:
        by_kind.setdefault(message["message"], []).append(message)
    for kind, sent in by_kind.items():
        rows.append(
            f"hostile: {kind}: {len(sent)} sent, max {max(m['ms'] for m in sent):.0f} ms, "
            f"statuses {sorted({str(m['status']) for m in sent})}"
        )
    rows.append(
        f"hostile: normal traffic p50 {result['alone']['p50_ms']:.0f} → "
        f"{result['with_hostile']['p50_ms']:.0f} ms, p99 {result['alone']['p99_ms']:.0f} → "
        f"{result['with_hostile']['p99_ms']:.0f} ms (moved {result['p99_delta_ms']:+.0f} "
        f"ms; target ≤ {TARGET_P99_DELTA_MS:.0f}); {plan.conversations} conversations × "
        f"{plan.turns} turns"
    )
    return "\n".join(rows)


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=4)
    parser.add_argument("--turns", type=int, default=25)
    parser.add_argument(
        "--think",
        type=float,
        default=1.0,
        help="seconds each normal customer waits between turns (0: back to back)",
    )
    parser.add_argument("--smoke", action="store_true", help="a quick run for the tests")
    args = parser.parse_args(argv)
    plan = SMOKE if args.smoke else Plan(args.conversations, args.turns, think_seconds=args.think)
    with channel_stack("bench-hostile-") as stack:
        result = measure(stack, plan, args.smoke)
    print(report(result, plan))
    met = result["p99_delta_ms"] <= TARGET_P99_DELTA_MS
    write_result(
        "hostile-smoke" if args.smoke else "hostile",
        {
            "conversations": plan.conversations,
            "turns": plan.turns,
            **result,
            "target_p99_delta_ms": TARGET_P99_DELTA_MS,
            "target_met": met,
        },
    )
    errors = result["alone"]["errors"] + result["with_hostile"]["errors"]
    return 0 if errors == 0 and (met or args.smoke) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
