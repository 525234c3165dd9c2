"""Latency of one customer turn that calls the backend, over the REST channel.

`python -m bench.turn_latency [--turns 100]` starts its own stack (sample
backend, action server, Rasa with the SQL tracker store) on free ports, then a
customer whose channel vouches for them asks for an order's status again and
again: every turn runs NLU, the verification form (a backend read to check the
order belongs to them) and the answer (a second backend read). Prints p50, p95,
mean and max, and writes bench/results/turn_latency.json.
"""

import argparse
import dataclasses
import statistics
import tempfile
import time
from pathlib import Path

import requests

from actions.identity import sign
from bench.results_file import percentile, write_result
from connectors.rest_auth import authorization
from stack.config import StackConfig, isolated_config
from stack.credentials import without_rate_limits
from stack.launch import start_stack, stop_all

SECRET = "bench-integration-secret"
CUSTOMER, ORDER = "C-1001", "BW-100002"


def bench_config(home: Path) -> StackConfig:
    """A stack of its own for a benchmark, vouching with SECRET, without rate limits."""
    config = isolated_config(home, {"SWITCHBOARD_INTEGRATION_SECRET": SECRET})
    return dataclasses.replace(config, credentials=without_rate_limits(home))


def measure(config: StackConfig, turns: int) -> list[float]:
    """Milliseconds per turn; every reply must carry the order's status."""
    sender = "bench-latency"
    webhook = f"{config.rasa_url}/webhooks/rest/webhook"
    body = {
        "sender": sender,
        "message": f"where is my order {ORDER}",
        "metadata": {
            "verified_customer_id": CUSTOMER,
            "verification_signature": sign(SECRET, sender, CUSTOMER),
        },
    }
    session = requests.Session()
    session.headers.update(authorization(config.rest_jwt_secret, sender))
    timings = []
    for _ in range(turns):
        start = time.perf_counter()
        reply = session.post(webhook, json=body, timeout=30).json()
        timings.append((time.perf_counter() - start) * 1000)
        if not any("delayed" in m.get("text", "") for m in reply):
            raise RuntimeError(f"unexpected reply: {reply}")
    return timings


def main() -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=100)
    parser.add_argument("--smoke", action="store_true", help="3 turns, for tests")
    args = parser.parse_args()
    if args.smoke:
        args.turns = 3
    with tempfile.TemporaryDirectory() as home:
        config = bench_config(Path(home))
        services = start_stack(config)
        try:
            measure(config, 3)  # warm-up: first calls load lazily
            timings = measure(config, args.turns)
        finally:
            stop_all(services)
    result = {
        "turns": args.turns,
        "p50_ms": round(percentile(timings, 0.50), 1),
        "p95_ms": round(percentile(timings, 0.95), 1),
        "mean_ms": round(statistics.mean(timings), 1),
        "max_ms": round(max(timings), 1),
    }
    write_result("turn_latency_smoke" if args.smoke else "turn_latency", result)
    print(
        f"turn latency over {args.turns} backend-calling turns: p50 {result['p50_ms']} ms, "
        f"p95 {result['p95_ms']} ms, mean {result['mean_ms']} ms, max {result['max_ms']} ms"
    )
    return result


if __name__ == "__main__":
    main()
