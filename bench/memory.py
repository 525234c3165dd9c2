"""What the customer memory costs a turn, and how fast an event reaches a live
conversation.

`python -m bench.memory [--conversations 20] [--events 200]` starts its own stack
(memory included) on free ports, then:

- added latency per turn: the only memory call a turn waits for is the recall made
  when the customer is identified (`actions/memory_client.py`); every write (the
  identity link, the conversation's record, events marked as told) goes out in the
  background. Timed over 200 recalls against a memory holding conversations, after
  the background writes of as many identifications;
- event to conversation: N customers verified in live REST conversations (vouched by
  a trusted integration), then M signed `payment_failed` events posted for them by
  10 posters, first as a steady stream of --rate events a second (20: each of the 20
  customers gets an event a second, far more than any customer's systems raise),
  then all at once as fast as the posters can (the burst: each customer gets 10 at
  the same moment; printed, the target is the stream's); each is timed from the
  POST to its message in the customer's conversation, as the customer's client
  sees it: it polls
  `GET /webhooks/rest/messages` every --poll seconds (0.25 by default: a web page
  polls every second or two; 20 clients polling faster are load the bench itself
  puts on Rasa's event loop, and the poll's wait is counted in the figure).

Prints p50/p95 of both and writes bench/results/memory.json.
"""

import argparse
import dataclasses
import json
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from actions.identity import sign
from actions.memory_client import KNOWLEDGE_FACTOR, MemoryClient
from bench.results_file import percentile, write_result
from connectors.rest_auth import authorization
from memory.signing import signature
from stack.config import StackConfig, isolated_config
from stack.credentials import without_rate_limits
from stack.launch import start_stack, stop_all

SECRET = "bench-integration-secret"
SOURCE, SOURCE_SECRET = "billing", "bench-billing-secret-of-32-characters!"
EVENT_TIMEOUT = 60.0


def bench_config(home: Path) -> StackConfig:
    config = isolated_config(
        home,
        {
            "SWITCHBOARD_INTEGRATION_SECRET": SECRET,
            "MEMORY_EVENT_SECRETS": f"{SOURCE}={SOURCE_SECRET}",
            "MEMORY_RATE_LIMIT": "100000/minute",
        },
    )
    return dataclasses.replace(config, credentials=without_rate_limits(home))


def customer(n: int) -> str:
    return f"C-{1001 + n % 48}"  # the fixture's 48 customers


def turn_latency(config: StackConfig, calls: int) -> list[float]:
    """Milliseconds the identifying turn waits on the memory (the recall)."""
    client = MemoryClient(config.memory_url, config.memory_api_token, 1.0)
    now = time.time()
    for n in range(50):  # a memory with history
        client.conversation(
            {
                "conversation_id": f"bench-{n}",
                "customer_id": customer(n),
                "channel": "socketio",
                "started_at": now - 3600,
                "last_at": now,
                "outcomes": [
                    {
                        "action": "action_answer_request",
                        "goal": "check_order_status",
                        "result": "answered",
                        "record": "BW-100002",
                    }
                ],
            }
        )
        client.link(customer(n), "rest", f"bench-id-{n}", KNOWLEDGE_FACTOR)
    client.recall(customer(0), "bench-warm-up")

    def recall(n: int) -> float:
        start = time.perf_counter()
        client.recall(customer(n), f"bench-new-{n}")
        return (time.perf_counter() - start) * 1000

    return [recall(n) for n in range(calls)]


class LiveCustomer:
    """One verified customer talking over REST, polling for the assistant's messages."""

    def __init__(self, config: StackConfig, customer_id: str) -> None:
        self.config, self.customer_id = config, customer_id
        self.sender = f"bench-memory-{uuid.uuid4().hex[:10]}"
        self.session = requests.Session()
        self.session.headers.update(authorization(config.rest_jwt_secret, self.sender))

    def verify(self) -> None:
        reply = self.session.post(
            f"{self.config.rasa_url}/webhooks/rest/webhook",
            json={
                "sender": self.sender,
                "message": "where are my orders",
                "metadata": {
                    "verified_customer_id": self.customer_id,
                    "verification_signature": sign(SECRET, self.sender, self.customer_id),
                },
            },
            timeout=60,
        )
        reply.raise_for_status()

    def texts_since(self, since: float) -> list[str]:
        answer = self.session.get(
            f"{self.config.rasa_url}/webhooks/rest/messages",
            params={"sender": self.sender, "since": str(since)},
            timeout=30,
        )
        answer.raise_for_status()
        return [m.get("text") or "" for m in answer.json()["messages"]]


def post_event(config: StackConfig, customer_id: str, marker: str) -> None:
    body = json.dumps(
        {
            "type": "payment_failed",
            "customer_id": customer_id,
            "invoice_id": "INV-900001",
            "at": "2026-11-30T09:00:00Z",
            "detail": f"card expired {marker}",
        }
    ).encode()
    stamp = str(int(time.time()))
    answer = requests.post(
        f"{config.memory_url}/events",
        data=body,
        timeout=30,
        headers={
            "Content-Type": "application/json",
            "Idempotency-Key": marker,
            "X-Switchboard-Source": SOURCE,
            "X-Switchboard-Timestamp": stamp,
            "X-Switchboard-Signature": signature(SOURCE_SECRET, stamp, body),
        },
    )
    if answer.status_code != 201:
        raise RuntimeError(f"event refused: {answer.status_code} {answer.text}")


def live_customers(config: StackConfig, conversations: int) -> list[LiveCustomer]:
    customers = [LiveCustomer(config, customer(n)) for n in range(conversations)]
    for live in customers:
        live.verify()
    time.sleep(1.0)  # the background writes that make the conversations live
    return customers


def event_latency(
    config: StackConfig,
    customers: list[LiveCustomer],
    events: int,
    poll_seconds: float,
    rate: float,
) -> tuple[list[float], int]:
    """Milliseconds from each event's POST to its message in the conversation, and how
    many never arrived within EVENT_TIMEOUT (left waiting for the next contact);
    rate events a second, or all at once with rate 0."""
    conversations = len(customers)
    since = time.time() - 1
    posted: dict[str, tuple[LiveCustomer, float]] = {}
    seen: dict[str, float] = {}
    done = threading.Event()

    def watch(live: LiveCustomer) -> None:
        while not done.is_set():
            for text in live.texts_since(since):
                for marker, (owner, _) in list(posted.items()):
                    if owner is live and marker in text and marker not in seen:
                        seen[marker] = time.perf_counter()
            time.sleep(poll_seconds)

    watchers = [threading.Thread(target=watch, args=(live,), daemon=True) for live in customers]
    for watcher in watchers:
        watcher.start()

    started = time.perf_counter()

    def send(n: int) -> None:
        if rate:
            time.sleep(max(0.0, started + n / rate - time.perf_counter()))
        live, marker = customers[n % conversations], f"ev{n:04d}x{uuid.uuid4().hex[:6]}"
        posted[marker] = (live, time.perf_counter())
        post_event(config, live.customer_id, marker)

    with ThreadPoolExecutor(10) as pool:
        list(pool.map(send, range(events)))
    deadline = time.monotonic() + EVENT_TIMEOUT
    while len(seen) < len(posted) and time.monotonic() < deadline:
        time.sleep(0.1)
    done.set()
    if not seen:
        raise RuntimeError("no event reached its conversation")
    return (
        [(seen[marker] - start) * 1000 for marker, (_, start) in posted.items() if marker in seen],
        len(posted) - len(seen),
    )


def main() -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--poll", type=float, default=0.25, help="seconds between a client's polls")
    parser.add_argument("--rate", type=float, default=20.0, help="events a second in the stream")
    parser.add_argument("--smoke", action="store_true", help="2 conversations, 4 events")
    args = parser.parse_args()
    if args.smoke:
        args.conversations, args.events = 2, 4
    with tempfile.TemporaryDirectory() as home:
        config = bench_config(Path(home))
        services = start_stack(config)
        try:
            turns = turn_latency(config, 20 if args.smoke else 200)
            customers = live_customers(config, args.conversations)
            events, missed = event_latency(config, customers, args.events, args.poll, args.rate)
            burst, burst_missed = event_latency(config, customers, args.events, args.poll, 0)
        finally:
            stop_all(services)
    result = {
        "conversations": args.conversations,
        "events": args.events,
        "poll_seconds": args.poll,
        "turn_added_p50_ms": round(percentile(turns, 0.50), 1),
        "turn_added_p95_ms": round(percentile(turns, 0.95), 1),
        "event_p50_ms": round(percentile(events, 0.50), 1),
        "event_p95_ms": round(percentile(events, 0.95), 1),
        "event_max_ms": round(max(events), 1),
        "events_not_delivered_live": missed,
        "events_per_second": args.rate,
        "burst_event_p50_ms": round(percentile(burst, 0.50), 1),
        "burst_event_p95_ms": round(percentile(burst, 0.95), 1),
        "burst_events_not_delivered_live": burst_missed,
    }
    write_result("memory_smoke" if args.smoke else "memory", result)
    print(
        f"memory: added latency per turn p50 {result['turn_added_p50_ms']} ms, p95 "
        f"{result['turn_added_p95_ms']} ms (target <= 5 ms); event to conversation with "
        f"{args.conversations} live conversations and {args.events} events, "
        f"{args.rate:g} a second: p50 {result['event_p50_ms']} ms, p95 "
        f"{result['event_p95_ms']} ms (target <= 1000 ms), {missed} not delivered live; "
        f"all at once: p50 {result['burst_event_p50_ms']} ms, p95 "
        f"{result['burst_event_p95_ms']} ms, {burst_missed} not delivered live"
    )
    return result


if __name__ == "__main__":
    main()
