"""Reliability of the scaled profile under a long run with failures (issue #16).

`python -m bench.soak [--conversations 200] [--messages 50] [--outage 30] [--smoke]`

Starts the scaled profile (stack/scaled.py: PostgreSQL, Redis, RabbitMQ, HAProxy, two
Rasa processes, two action servers, the supervisor watching them) and drives N
conversations of M messages over the REST channel, all at once, each message sent once
the previous one is answered (bench/load.py's journeys: order, claim, invoice, policy,
thanks, each customer vouched for). Mid-run, at a third of the messages, one Rasa
process is killed (SIGKILL; the supervisor starts it again); at two thirds PostgreSQL is
stopped for `--outage` seconds and started again.

The client behaves as a channel that retries: a 503 or 429 with Retry-After is waited
out and the same message sent again, as is a message whose connection broke before an
answer; every other answer is final. Each message carries an id (the REST channel's
`message_id`: a message sent again is answered from the conversation, not processed
twice) and its number in its metadata (`soak_seq`), so the checks read the PostgreSQL
tracker store itself, which is what another process or a restart sees:

- turns lost: a message answered 200 that is not in its conversation's stored events;
- order: each conversation's messages stored in the order sent, and its events' times
  never going back;
- answered twice: a message stored more than once;
- 5xx to the channel: any 5xx but a 503 with Retry-After;
- messages/s: answered messages over the wall time.

Prints the figures and a summary line, writes bench/results/soak.json (soak-smoke.json
with --smoke: 4 conversations x 5 messages, a 3 s outage, the process killed
between two of its turns). Exits 1 when a check fails.
`run_soak` also runs on a profile already started: `python -m bench.load --smoke --soak`
(the tests' smoke run) shares the load smoke's scaled profile.
"""

import argparse
import asyncio
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import create_engine, text

from bench.load import Script, Turn, judge, load_crm, machine, switchboard_scripts
from bench.results_file import RESULTS, percentile
from bench.turn_latency import SECRET, bench_config
from stack.processes import ROOT
from stack.scaled import DATABASES, Running
from stack.scaled import start as start_scaled
from stack.servers import pause_postgres

# A message waits at most this long for its answer: a turn held by a killed process's
# lock waits for the lock's lifetime (Rasa's TICKET_LOCK_LIFETIME, 60 s) first.
TURN_TIMEOUT = 120.0
# A message is retried (503/429 with Retry-After) for at most this long.
RETRY_DEADLINE = 180.0
MAX_RETRY_WAIT = 5.0
RETRYABLE = (429, 503)


@dataclass(frozen=True)
class SoakPlan:
    conversations: int = 200
    messages: int = 50
    outage_seconds: float = 30.0
    kill_replica: bool = True
    # Kill the process between two of its turns. A process killed mid-turn leaves that
    # conversation's Redis lock to expire (Rasa's 60 s): the smoke run would wait it out.
    kill_while_idle: bool = False


SMOKE = SoakPlan(4, 5, 3.0, kill_while_idle=True)
IDLE_WAIT_SECONDS = 2.0


@dataclass
class Sent:
    """One message's fate: its final status (0 when no answer came), how often it was
    retried after a 503/429 with Retry-After, and what was wrong with the answer."""

    sender: str
    seq: int
    status: int = 0
    retries: int = 0
    reconnects: int = 0
    error: str | None = None
    ms: float = 0.0
    answer: str = ""  # the answer's start, kept when it was not right

    @property
    def acknowledged(self) -> bool:
        return self.status == 200


@dataclass
class Progress:
    """How many messages have their final answer; the disruptions wait on it."""

    done: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def advance(self) -> None:
        self.done += 1
        self.changed.set()

    async def reach(self, count: int) -> None:
        while self.done < count:
            self.changed.clear()
            await self.changed.wait()


async def send(
    session: aiohttp.ClientSession, webhook: str, script: Script, turn: Turn, seq: int
) -> Sent:
    """One message, sent again while the answer is a 503/429 with Retry-After."""
    sent = Sent(script.sender, seq)
    body = {
        "sender": script.sender,
        "message": turn.text,
        "metadata": {**(script.metadata or {}), "soak_seq": seq},
        "message_id": f"soak-{seq}",
    }
    start = time.perf_counter()
    while True:
        try:
            async with session.post(webhook, json=body, headers=script.headers) as response:
                sent.status, answer = response.status, await response.text()
                retry_after = response.headers.get("Retry-After")
        except TimeoutError:
            sent.status, sent.error = 0, "timeout"
            break
        except aiohttp.ClientError:
            sent.status, sent.error = 0, "connection"
            if time.perf_counter() - start < RETRY_DEADLINE:
                sent.reconnects += 1
                await asyncio.sleep(1.0)
                continue
            break
        sent.error = None
        waited = time.perf_counter() - start
        if sent.status in RETRYABLE and retry_after is not None and waited < RETRY_DEADLINE:
            sent.retries += 1
            await asyncio.sleep(min(MAX_RETRY_WAIT, max(0.1, float(retry_after))))
            continue
        sent.error = judge(sent.status, answer, turn)
        if sent.error:
            sent.answer = f"{turn.text!r} -> {answer[:200]}"
        if sent.status in RETRYABLE and retry_after is None:
            sent.error = f"http-{sent.status}-without-retry-after"
        break
    sent.ms = (time.perf_counter() - start) * 1000
    return sent


async def converse(
    session: aiohttp.ClientSession, webhook: str, script: Script, progress: Progress
) -> list[Sent]:
    results = []
    for seq, turn in enumerate(script.turns):
        results.append(await send(session, webhook, script, turn, seq))
        progress.advance()
    return results


async def disrupt(
    running: Running, plan: SoakPlan, total: int, progress: Progress, log: list[str]
) -> None:
    """At a third of the messages one Rasa process killed, at two thirds PostgreSQL
    stopped for the outage."""
    started = time.monotonic()

    def note(line: str) -> None:
        log.append(f"{time.monotonic() - started:6.1f} s  {line}")

    if plan.kill_replica:
        await progress.reach(total // 3)
        if plan.kill_while_idle:
            await idle(running, "rasa-1")
        rasa = running.supervisor.services["rasa-1"]
        os.kill(rasa.process.pid, signal.SIGKILL)
        note(f"rasa-1 killed at message {progress.done}")
    if plan.outage_seconds > 0:
        await progress.reach(2 * total // 3)
        note(f"PostgreSQL stopped at message {progress.done}")
        await asyncio.to_thread(
            pause_postgres, running.profile.servers, plan.outage_seconds, DATABASES
        )
        note(f"PostgreSQL back at message {progress.done}")


def sessions(running: Running, server: str) -> int:
    """The requests HAProxy has open to one Rasa process, on any of its backends."""
    rows = running.profile.balancer.command("show stat").splitlines()
    header = rows[0].lstrip("# ").split(",")
    fields = [dict(zip(header, row.split(","), strict=False)) for row in rows[1:]]
    return sum(int(f.get("scur") or 0) for f in fields if f.get("svname") == server)


async def idle(running: Running, server: str) -> None:
    """Until the process has no request open, at most IDLE_WAIT_SECONDS (then it is
    killed anyway: the disruptions stay mid-run)."""
    deadline = time.monotonic() + IDLE_WAIT_SECONDS
    while sessions(running, server) and time.monotonic() < deadline:
        await asyncio.sleep(0.01)


async def drive(
    running: Running, webhook: str, scripts: Sequence[Script], plan: SoakPlan, log: list[str]
) -> tuple[list[Sent], float]:
    progress = Progress()
    total = sum(len(s.turns) for s in scripts)
    timeout = aiohttp.ClientTimeout(total=TURN_TIMEOUT)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        start = time.perf_counter()
        disruptions = asyncio.create_task(disrupt(running, plan, total, progress, log))
        conversations = await asyncio.gather(
            *(converse(session, webhook, s, progress) for s in scripts)
        )
        wall = time.perf_counter() - start
        await disruptions  # a disruption not reached yet is an error of the plan
    return [sent for results in conversations for sent in results], wall


# --- the checks --------------------------------------------------------------------


def stored_conversations(url: str, prefix: str) -> dict[str, list[tuple[float, dict[str, Any]]]]:
    """Each soak conversation's stored events, in the order stored: (time, event)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT sender_id, timestamp, data FROM events "
                    "WHERE sender_id LIKE :prefix ORDER BY id"
                ),
                {"prefix": f"{prefix}%"},
            ).fetchall()
    finally:
        engine.dispose()
    stored: dict[str, list[tuple[float, dict[str, Any]]]] = {}
    for sender, timestamp, data in rows:
        stored.setdefault(sender, []).append((timestamp or 0.0, json.loads(data)))
    return stored


def stored_sequence(events: Sequence[tuple[float, dict[str, Any]]]) -> list[int]:
    """The soak numbers of a conversation's stored messages, in stored order."""
    return [
        int(event["metadata"]["soak_seq"])
        for _, event in events
        if event.get("event") == "user" and "soak_seq" in (event.get("metadata") or {})
    ]


def check(sent: Sequence[Sent], stored: dict[str, list[tuple[float, dict[str, Any]]]]) -> dict:
    """The reliability figures: lost, out of order, doubled, 5xx."""
    by_sender: dict[str, list[Sent]] = {}
    for message in sent:
        by_sender.setdefault(message.sender, []).append(message)
    lost, doubled, out_of_order, times_back = [], [], [], []
    for sender, messages in by_sender.items():
        events = stored.get(sender, [])
        sequence = stored_sequence(events)
        lost += [f"{sender}#{m.seq}" for m in messages if m.acknowledged and m.seq not in sequence]
        doubled += [f"{sender}#{s}" for s in sorted(set(sequence)) if sequence.count(s) > 1]
        if sequence != sorted(sequence):
            out_of_order.append(sender)
        times = [t for t, _ in events]
        if times != sorted(times):
            times_back.append(sender)
    server_errors: dict[str, int] = {}
    for message in sent:
        if message.status >= 500:
            server_errors[str(message.status)] = server_errors.get(str(message.status), 0) + 1
    return {
        "lost": lost,
        "answered_twice": doubled,
        "messages_out_of_order": out_of_order,
        "event_times_out_of_order": times_back,
        "server_errors": server_errors,
    }


def summarize(sent: Sequence[Sent], wall: float, checks: dict[str, Any]) -> dict[str, Any]:
    kinds: dict[str, int] = {}
    for message in sent:
        if message.error:
            kinds[message.error] = kinds.get(message.error, 0) + 1
    acknowledged = sum(m.acknowledged for m in sent)
    timings = [m.ms for m in sent]
    return {
        "messages": len(sent),
        "acknowledged": acknowledged,
        "retried_messages": sum(m.retries > 0 for m in sent),
        "retries": sum(m.retries for m in sent),
        "reconnects": sum(m.reconnects for m in sent),
        "wall_s": round(wall, 1),
        "msg_per_s": round(acknowledged / wall, 2),
        "p50_ms": round(percentile(timings, 0.50), 1),
        "p99_ms": round(percentile(timings, 0.99), 1),
        "max_ms": round(max(timings), 1),
        "answer_errors": kinds,
        "answers_not_right": [m.answer for m in sent if m.answer][:5],
        **{key: len(value) if isinstance(value, list) else value for key, value in checks.items()},
        "examples": {k: v[:10] for k, v in checks.items() if isinstance(v, list) and v},
    }


def passed(result: dict[str, Any]) -> bool:
    return not (
        result["lost"]
        or result["answered_twice"]
        or result["messages_out_of_order"]
        or result["event_times_out_of_order"]
        or result["server_errors"]
    )


def run_soak(running: Running, rest_secret: str, plan: SoakPlan) -> dict[str, Any]:
    """The plan against a started profile (whose supervisor is then watching)."""
    running.supervisor.watch()
    prefix = f"soak-{uuid.uuid4().hex[:8]}-"
    make = switchboard_scripts(load_crm(), SECRET, rest_secret)
    scripts = [make(f"{prefix}{i}", i, plan.messages) for i in range(plan.conversations)]
    webhook = f"{running.profile.balanced.rasa_url}/webhooks/rest/webhook"
    log: list[str] = []
    sent, wall = asyncio.run(drive(running, webhook, scripts, plan, log))
    stored = stored_conversations(running.profile.servers.database_url("tracker"), prefix)
    result = summarize(sent, wall, check(sent, stored))
    result["disruptions"] = log
    result["rasa_restarts"] = running.supervisor.restarts.get("rasa-1", 0)
    return result


def report(result: dict[str, Any], plan: SoakPlan, results_file: Path) -> str:
    """Writes the result file; the lines to print."""
    results_file.parent.mkdir(parents=True, exist_ok=True)
    results_file.write_text(
        json.dumps(
            {
                "plan": asdict(plan),
                "result": result,
                "passed": passed(result),
                "machine": machine(),
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
            },
            indent=2,
        )
    )
    lines = [*result["disruptions"]]
    if result["examples"]:
        lines.append(f"examples: {json.dumps(result['examples'])}")
    if result["answer_errors"]:
        lines.append(f"answers not right (not counted as lost): {result['answer_errors']}")
        lines += [f"  {answer}" for answer in result["answers_not_right"]]
    lines.append(
        f"soak: {result['acknowledged']}/{result['messages']} messages answered over "
        f"{plan.conversations} conversations in {result['wall_s']} s "
        f"({result['msg_per_s']} msg/s, p50 {result['p50_ms']:.0f} ms, "
        f"p99 {result['p99_ms']:.0f} ms); lost {result['lost']}, answered twice "
        f"{result['answered_twice']}, out of order {result['messages_out_of_order']} "
        f"(event times {result['event_times_out_of_order']}), 5xx {result['server_errors']}, "
        f"{result['retries']} retries after 503/429, {result['reconnects']} after a broken "
        f"connection; rasa-1 restarted "
        f"{result['rasa_restarts']}x; {'PASSED' if passed(result) else 'FAILED'}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=SoakPlan.conversations)
    parser.add_argument("--messages", type=int, default=SoakPlan.messages)
    parser.add_argument("--outage", type=float, default=SoakPlan.outage_seconds)
    parser.add_argument("--no-kill", action="store_true", help="kill no Rasa process")
    parser.add_argument("--smoke", action="store_true", help="4 x 5 messages, a 3 s outage")
    args = parser.parse_args(argv)
    if args.conversations < 1 or args.messages < 1 or args.outage < 0:
        parser.error("--conversations and --messages must be at least 1, --outage 0 or more")
    plan = (
        SMOKE
        if args.smoke
        else SoakPlan(args.conversations, args.messages, args.outage, not args.no_kill)
    )
    # Under var/: PostgreSQL's own user must reach its data. Kept when a check fails.
    work = Path(tempfile.mkdtemp(prefix="bench-soak-", dir=ROOT / "var"))
    work.chmod(0o755)
    config = bench_config(work / "stack")
    running = start_scaled(config, work / "servers", 2, 2, report=print)
    try:
        result = run_soak(running, config.rest_jwt_secret, plan)
    finally:
        running.stop()
    print(report(result, plan, RESULTS / ("soak-smoke.json" if args.smoke else "soak.json")))
    if passed(result) and not result["answer_errors"]:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"logs kept in {config.log_dir} and {work / 'servers' / 'log'}")
    return 0 if passed(result) else 1


if __name__ == "__main__":
    sys.exit(main())
