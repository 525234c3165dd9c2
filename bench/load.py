"""Throughput, latency and memory of Switchboard under concurrent conversations,
next to a stock `rasa init` bot measured in the same run on the same machine.

`python -m bench.load [--conversations 20] [--turns 10] [--smoke] [--profile DIR]`

Starts the whole Switchboard stack (sample backend, action server, Rasa with the
SQL tracker store) on free ports in a temp dir, and the stock bot of
bench/stock_bot.py (in-memory tracker store, no action server). Against each in
turn it drives N concurrent conversations of T turns over the REST channel
(asyncio + aiohttp, one sender per conversation, each turn waiting for the
previous reply), then one conversation of 30 turns for the unloaded per-turn
latency. Switchboard's customers are vouched for by a signed trusted-integration
identity, so each turn is a real journey: order, claim and invoice status (each
a backend read), a policy answer, thanks. Every reply must be non-empty, and a
status answer must name the record asked about.

Prints a table and a one-line summary, writes bench/results/load.json (or
load-smoke.json with --smoke: 2 conversations x 2 turns, the run the tests use
so the benchmark cannot rot). Exits 1 when any turn failed.

The scaled profile (stack/scaled.py: PostgreSQL, Redis, RabbitMQ, HAProxy, N Rasa
processes, N = the cores unless `--processes`) is measured in the same run with 1, 2 and
N of its Rasa processes in HAProxy's rotation (the others stay up, idle), so the scaling
curve is printed beside the stock bot and the embedded stack.

`--single [--turns T]` instead runs the embedded stack alone, warms it up, and drives
one conversation of T turns (default 30), the figure `make bench-load` prints as
"one conversation p50": prints its p50, p95, the CPU each service spent per turn and,
of Rasa's, its event loop's (in seconds, not minutes; no other target is started,
nothing is written).

`--profile DIR` instead runs Switchboard alone with Rasa and the action server
under cProfile, switched on for the load only (not start-up or warm-up), and
prints and keeps in DIR their top entries by cumulative and by own time.
"""

import argparse
import asyncio
import dataclasses
import io
import itertools
import json
import os
import platform
import pstats
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import aiohttp

from actions.identity import sign
from bench.results_file import RESULTS, percentile
from bench.stock_bot import start_stock_bot
from bench.turn_latency import SECRET, bench_config
from connectors.rest_auth import authorization
from stack.config import VENV_BIN, StackConfig
from stack.launch import start_stack, stop_all
from stack.processes import ROOT, Service
from stack.scaled import Running
from stack.scaled import start as start_scaled

# The data the sample backend serves: its variable and default, relative to the root.
FIXTURE = ROOT / (os.environ.get("BRIGHTWAVE_FIXTURE") or "fixtures/brightwave_crm.json")
TURN_TIMEOUT = 30.0
STOCK_MESSAGES = ("hi", "I am sad", "yes", "great", "bye")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PROFILE_LINES = 30


# --- what the conversations say ---------------------------------------------


@dataclass(frozen=True)
class Turn:
    text: str
    # A fragment the reply must contain (case-insensitive): a status answer that
    # does not name the record means the journey went wrong, fast or not.
    expect: str = ""
    # What latencies are grouped by; the text itself when not given.
    kind: str = ""

    @property
    def label(self) -> str:
        return self.kind or self.text


@dataclass(frozen=True)
class Script:
    """One conversation: its sender, what it says, the metadata of each message."""

    sender: str
    turns: tuple[Turn, ...]
    metadata: dict[str, str] | None = None
    headers: dict[str, str] | None = None  # Switchboard's REST credential


ScriptMaker = Callable[[str, int, int], Script]  # (sender, conversation index, turns)


def take(cycles: Iterator[list[Turn]], count: int) -> tuple[Turn, ...]:
    """The first count turns of a conversation that repeats its cycle."""
    return tuple(itertools.islice(itertools.chain.from_iterable(cycles), count))


def load_crm(path: Path = FIXTURE) -> dict[str, Any]:
    return json.loads(path.read_text())


def records_of(crm: dict[str, Any], collection: str, customer_id: str) -> list[str]:
    return sorted(r["id"] for r in crm[collection] if r.get("customer_id") == customer_id)


def bench_customers(crm: dict[str, Any]) -> list[str]:
    """Customers with an order and an invoice to ask about (claims are optional)."""
    return [
        c["id"]
        for c in crm["customers"]
        if records_of(crm, "orders", c["id"]) and records_of(crm, "invoices", c["id"])
    ]


def customer_cycle(crm: dict[str, Any], customer_id: str, round_: int) -> list[Turn]:
    """One round of a customer's questions; later rounds ask about their other records."""

    def nth(collection: str) -> str | None:
        ids = records_of(crm, collection, customer_id)
        return ids[round_ % len(ids)] if ids else None

    order, claim, invoice = nth("orders"), nth("claims"), nth("invoices")
    turns = [Turn(f"where is my order {order}", order or "", "order")]
    if claim:
        turns.append(Turn(f"any news on my claim {claim}", claim, "claim"))
    turns += [
        Turn(f"what about invoice {invoice}", invoice or "", "invoice"),
        # The fixture's return window: the fallback mentions returns too.
        Turn("how long do returns take", f"{crm['policies']['return_window_days']} days", "policy"),
        Turn("thanks", kind="thanks"),
    ]
    return turns


def switchboard_scripts(crm: dict[str, Any], secret: str, rest_secret: str) -> ScriptMaker:
    """Conversation i is customer i (cycling), vouched for by a signed identity, each
    sender with its REST credential."""
    customers = bench_customers(crm)

    def make(sender: str, index: int, turns: int) -> Script:
        customer = customers[index % len(customers)]
        cycles = (customer_cycle(crm, customer, r) for r in itertools.count())
        return Script(
            sender,
            take(cycles, turns),
            {
                "verified_customer_id": customer,
                "verification_signature": sign(secret, sender, customer),
            },
            authorization(rest_secret, sender),
        )

    return make


def stock_script(sender: str, index: int, turns: int) -> Script:
    """The moodbot's own small talk, the only thing the stock bot understands."""
    return Script(sender, take(itertools.repeat([Turn(m) for m in STOCK_MESSAGES]), turns))


# --- the driver ---------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    kind: str
    ms: float
    error: str | None = None  # http-<status>, bad-json, empty, unexpected, timeout, connection


def judge(status: int, body: str, turn: Turn) -> str | None:
    """Why a reply is not a good answer, or None when it is."""
    if status != 200:
        return f"http-{status}"
    try:
        messages = json.loads(body)
    except ValueError:
        return "bad-json"
    said = (
        " ".join(
            str(m.get("text") or m.get("image") or "") for m in messages if isinstance(m, dict)
        )
        if isinstance(messages, list)
        else ""
    )
    if not said.strip():
        return "empty"
    if turn.expect and turn.expect.lower() not in said.lower():
        return "unexpected"
    return None


async def send(session: aiohttp.ClientSession, webhook: str, script: Script, turn: Turn) -> Outcome:
    body: dict[str, Any] = {"sender": script.sender, "message": turn.text}
    if script.metadata:
        body["metadata"] = script.metadata
    start = time.perf_counter()
    try:
        async with session.post(webhook, json=body, headers=script.headers) as response:
            error = judge(response.status, await response.text(), turn)
    except TimeoutError:
        error = "timeout"
    except aiohttp.ClientError:
        error = "connection"
    return Outcome(turn.label, (time.perf_counter() - start) * 1000, error)


async def converse(session: aiohttp.ClientSession, webhook: str, script: Script) -> list[Outcome]:
    """The turns of one conversation, each sent once the previous one is answered."""
    return [await send(session, webhook, script, turn) for turn in script.turns]


async def drive(webhook: str, scripts: Sequence[Script]) -> tuple[list[Outcome], float]:
    """All conversations at once; every turn's outcome and the wall time in seconds."""
    timeout = aiohttp.ClientTimeout(total=TURN_TIMEOUT)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        start = time.perf_counter()
        per_conversation = await asyncio.gather(*(converse(session, webhook, s) for s in scripts))
        wall = time.perf_counter() - start
    return [o for outcomes in per_conversation for o in outcomes], wall


def summarize(outcomes: list[Outcome], wall: float, conversations: int) -> dict[str, Any]:
    """Throughput counts good turns only; latencies count every turn, failed ones too,
    so that timeouts show in the tail instead of vanishing from it."""
    timings = [o.ms for o in outcomes]
    errors: dict[str, int] = {}
    for outcome in outcomes:
        if outcome.error:
            errors[outcome.error] = errors.get(outcome.error, 0) + 1
    completed = len(outcomes) - sum(errors.values())
    return {
        "conversations": conversations,
        "turns": len(outcomes),
        "completed": completed,
        "wall_s": round(wall, 2),
        "msg_per_s": round(completed / wall, 2),
        "p50_ms": round(percentile(timings, 0.50), 1),
        "p95_ms": round(percentile(timings, 0.95), 1),
        "p99_ms": round(percentile(timings, 0.99), 1),
        "mean_ms": round(statistics.mean(timings), 1),
        "max_ms": round(max(timings), 1),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "p50_ms_by_turn": p50_by_turn(outcomes),
    }


def p50_by_turn(outcomes: list[Outcome]) -> dict[str, float]:
    """The median of each kind of turn: a status question costs more than a thanks."""
    kinds: dict[str, list[float]] = {}
    for outcome in outcomes:
        kinds.setdefault(outcome.kind, []).append(outcome.ms)
    return {kind: round(percentile(ms, 0.50), 1) for kind, ms in kinds.items()}


# --- processes: peak memory and CPU --------------------------------------------


def _stat_fields(pid: int, thread: int | None = None) -> list[str]:
    """/proc/<pid>/stat (or one thread's) from field 3 (state) on; the name before it
    may hold spaces."""
    path = Path(f"/proc/{pid}/stat" if thread is None else f"/proc/{pid}/task/{thread}/stat")
    text = path.read_text()
    return text[text.rindex(")") + 2 :].split()


def process_tree(root: int) -> list[int]:
    """root and every process descended from it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            pid = int(entry.name)
            try:
                children.setdefault(int(_stat_fields(pid)[1]), []).append(pid)
            except (OSError, ValueError, IndexError):
                continue  # gone meanwhile
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def vm_hwm_kib(pid: int) -> int:
    """The process's peak resident set size (VmHWM), in KiB; 0 if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int, thread: int | None = None) -> float:
    """User + system CPU time of a process (or one of its threads) so far; 0 if it is
    gone."""
    try:
        fields = _stat_fields(pid, thread)
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def event_loop_cpu_seconds(service: Service) -> float:
    """The CPU time of Rasa's main thread, its event loop: it handles every message
    (policies, actions, the store's reads); the NLU parse and the store's writes run
    on other threads."""
    return cpu_seconds(service.process.pid, thread=service.process.pid)


def per_service(services: Sequence[Service], measure: Callable[[int], float]) -> dict[str, float]:
    """A per-process measure summed over each service's process tree."""
    return {s.name: sum(measure(pid) for pid in process_tree(s.process.pid)) for s in services}


def peak_memory_mb(services: Sequence[Service]) -> dict[str, float]:
    """Each service's VmHWM (summed over its processes: peaks, not a peak of the sum)."""
    mb = {name: round(kib / 1024, 1) for name, kib in per_service(services, vm_hwm_kib).items()}
    return {**mb, "total": round(sum(mb.values()), 1)}


# --- targets and the measurement ------------------------------------------------


@dataclass
class Target:
    name: str
    url: str
    services: list[Service]
    script: ScriptMaker

    @property
    def webhook(self) -> str:
        return f"{self.url}/webhooks/rest/webhook"


@dataclass(frozen=True)
class Plan:
    conversations: int
    turns: int
    single_turns: int = 30
    # Warm-up: the first turns load lazily (TensorFlow graphs, connections); one
    # round of every journey runs before anything is measured.
    warmup_conversations: int = 2
    warmup_turns: int = 5


# --smoke: only that the benchmark still works, in seconds once the services are up.
SMOKE = Plan(2, 2, single_turns=2, warmup_conversations=1, warmup_turns=5)


def run_phase(
    target: Target, phase: str, conversations: int, turns: int, run_id: str
) -> tuple[list[Outcome], float]:
    scripts = [target.script(f"bench-{run_id}-{phase}-{i}", i, turns) for i in range(conversations)]
    return asyncio.run(drive(target.webhook, scripts))


def measure(target: Target, plan: Plan) -> dict[str, Any]:
    """Warm-up, the concurrent load, then one conversation alone; memory last, as
    VmHWM is a peak that only grows."""
    run_id = uuid.uuid4().hex[:8]
    run_phase(target, "warmup", plan.warmup_conversations, plan.warmup_turns, run_id)
    cpu_before = per_service(target.services, cpu_seconds)
    outcomes, wall = run_phase(target, "load", plan.conversations, plan.turns, run_id)
    cpu_after = per_service(target.services, cpu_seconds)
    load = summarize(outcomes, wall, plan.conversations)
    single = summarize(*run_phase(target, "single", 1, plan.single_turns, run_id), 1)
    cpu_ms = {
        name: round((cpu_after[name] - cpu_before[name]) * 1000 / max(1, load["turns"]), 1)
        for name in cpu_after
    }
    return {
        "load": load,
        "single": single,
        "peak_memory_mb": peak_memory_mb(target.services),
        "cpu_ms_per_turn": {**cpu_ms, "total": round(sum(cpu_ms.values()), 1)},
    }


def switchboard_target(home: Path) -> Target:
    config = bench_config(home / "switchboard")
    return Target(
        "switchboard",
        config.rasa_url,
        start_stack(config),
        switchboard_scripts(load_crm(), SECRET, config.rest_jwt_secret),
    )


@dataclass
class ScaledTarget(Target):
    """The scaled profile; rotate(k) leaves k Rasa processes in the balancer's rotation."""

    running: Running | None = None

    def rotate(self, processes: int) -> None:
        assert self.running
        self.running.profile.balancer.rotate(processes)
        self.name = f"scaled x{processes}"


def scaled_target(home: Path, processes: int) -> Target:
    """The scaled profile with processes Rasa processes and as many action servers. Its
    servers' data lives under var/ (PostgreSQL's own user must reach it)."""
    config = bench_config(home / "scaled")
    servers_home = Path(tempfile.mkdtemp(prefix="bench-scaled-", dir=ROOT / "var"))
    servers_home.chmod(0o755)
    running = start_scaled(config, servers_home, processes, processes, report=lambda _: None)
    services: list[Service] = [*running.profile.servers.running]
    services += running.supervisor.services.values()
    return ScaledTarget(
        "scaled",
        running.profile.balanced.rasa_url,
        services,  # stopped in reverse: the stack, then its servers
        switchboard_scripts(load_crm(), SECRET, config.rest_jwt_secret),
        running,
    )


def scaling_steps(processes: int) -> list[int]:
    """1, 2 and N processes, each once."""
    return sorted({1, min(2, processes), processes})


def stock_target(home: Path) -> Target:
    service = start_stock_bot(home / "stock" / "log")
    return Target("stock", service.url, [service], stock_script)


def start_targets(starters: Sequence[Callable[[], Target]]) -> list[Target]:
    """Start every target at once (each Rasa spends most of a minute loading, which
    is not measured); if one fails or the start is interrupted, stop those that
    came up before re-raising."""
    with ThreadPoolExecutor(len(starters)) as pool:
        futures = [pool.submit(starter) for starter in starters]
        try:
            return [future.result() for future in futures]
        except BaseException:
            for future in futures:
                if future.exception() is None:  # waits for that start to end
                    stop_all(future.result().services)
            raise


def machine() -> dict[str, Any]:
    """Where the figures come from; the load average tells whether other work
    shared the cores (on a busy machine, compare runs made side by side only)."""
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "rasa": version("rasa"),
        "loadavg_1_5_15": [round(x, 2) for x in os.getloadavg()],
    }


# --- reporting -------------------------------------------------------------------


def table(results: dict[str, dict[str, Any]]) -> str:
    head = (
        f"{'target':<12} {'msg/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'errors':>7} {'1-conv p50':>10} {'peak MB':>8} {'CPU ms/turn':>11}"
    )
    rows = [head, "-" * len(head)]
    for name, r in results.items():
        load = r["load"]
        rows.append(
            f"{name:<12} {load['msg_per_s']:>7.1f} {load['p50_ms']:>8.0f} "
            f"{load['p95_ms']:>8.0f} {load['p99_ms']:>8.0f} {load['errors']:>7} "
            f"{r['single']['p50_ms']:>10.0f} {r['peak_memory_mb']['total']:>8.0f} "
            f"{r['cpu_ms_per_turn']['total']:>11.0f}"
        )
    for name, r in results.items():
        rows.append(
            f"{name}: peak memory "
            + _breakdown(r["peak_memory_mb"], "MB")
            + "; CPU per turn "
            + _breakdown(r["cpu_ms_per_turn"], "ms")
        )
        rows.append(
            f"{name}: 1-conversation p50 by turn " + _breakdown(r["single"]["p50_ms_by_turn"], "ms")
        )
        kinds = {**r["load"]["error_kinds"], **r["single"]["error_kinds"]}
        if kinds:
            rows.append(f"{name}: errors " + ", ".join(f"{k} {v}" for k, v in kinds.items()))
    return "\n".join(rows)


def _breakdown(values: dict[str, float], unit: str) -> str:
    return ", ".join(f"{k} {v:.0f} {unit}" for k, v in values.items() if k != "total")


def summary(results: dict[str, dict[str, Any]], plan: Plan) -> str:
    sb, stock = results["switchboard"], results["stock"]
    ratio = sb["load"]["msg_per_s"] / max(stock["load"]["msg_per_s"], 1e-9)
    curve = "; ".join(
        f"{name} {_rate(r)} ({r['load']['msg_per_s'] / max(stock['load']['msg_per_s'], 1e-9):.2f}x)"
        for name, r in results.items()
        if name.startswith("scaled")
    )
    return (
        f"scaling: {curve}\n"
        f"load: switchboard {_rate(sb)} vs stock {_rate(stock)} ({ratio:.2f}x); "
        f"1-conversation p50 {sb['single']['p50_ms']:.0f} vs "
        f"{stock['single']['p50_ms']:.0f} ms; peak memory "
        f"{sb['peak_memory_mb']['total']:.0f} vs {stock['peak_memory_mb']['total']:.0f} MB; "
        f"errors {errors(sb)} vs {errors(stock)} "
        f"({plan.conversations} conversations x {plan.turns} turns)"
    )


def _rate(result: dict[str, Any]) -> str:
    return f"{result['load']['msg_per_s']:.1f} msg/s p99 {result['load']['p99_ms']:.0f} ms"


def errors(result: dict[str, Any]) -> int:
    return int(result["load"]["errors"] + result["single"]["errors"])


# --- profiling ---------------------------------------------------------------------

# Runs a module with a profiler that SIGUSR1 switches on and SIGUSR2 switches
# off and dumps (to a temp name first, then renamed), so that only the load is
# profiled, not the minute of start-up. Signal handlers run on the main thread, which
# is the one running the event loop: actions' backend calls in worker threads
# (asyncio.to_thread) show as waiting, not in detail.
PROFILE_LAUNCHER = """
import cProfile, os, runpy, signal, sys
out, module = sys.argv[1:3]
sys.argv = [module, *sys.argv[3:]]
profiler = cProfile.Profile()
def dump(*_):
    profiler.disable()
    profiler.dump_stats(out + ".tmp")
    os.replace(out + ".tmp", out)
signal.signal(signal.SIGUSR1, lambda *_: profiler.enable())
signal.signal(signal.SIGUSR2, dump)
runpy.run_module(module, run_name="__main__", alter_sys=True)
"""
PROFILED = ("rasa", "action-server")
DUMP_TIMEOUT = 60.0


@dataclass(frozen=True)
class ProfiledConfig(StackConfig):
    """The stack's configuration with Rasa and the action server started under
    PROFILE_LAUNCHER, each dumping to profile_dir/<service>.prof."""

    profile_dir: Path = Path(".")

    def rasa_argv(self, command: str = "run") -> list[str]:
        return self._profiled("rasa", super().rasa_argv(command))

    def action_server_argv(self) -> list[str]:
        return self._profiled("action-server", super().action_server_argv())

    def _profiled(self, name: str, argv: list[str]) -> list[str]:
        """argv is [python, -m, module, args...]: the launcher runs the module itself."""
        if argv[1] != "-m":
            raise ValueError(f"cannot profile {name}: not started as a module: {argv}")
        return [
            str(VENV_BIN / "python"),
            "-c",
            PROFILE_LAUNCHER,
            str(self.profile_dir / f"{name}.prof"),
            *argv[2:],
        ]


def signal_profiled(services: Sequence[Service], signum: int) -> None:
    for service in services:
        if service.name in PROFILED:
            os.kill(service.process.pid, signum)


def wait_for_dumps(paths: Sequence[Path]) -> None:
    deadline = time.monotonic() + DUMP_TIMEOUT
    while not all(p.exists() for p in paths):
        if time.monotonic() > deadline:
            raise RuntimeError(f"no profile dumped in {DUMP_TIMEOUT:.0f} s: {paths}")
        time.sleep(0.2)


def top_entries(prof: Path, sort: str, lines: int = PROFILE_LINES) -> str:
    out = io.StringIO()
    pstats.Stats(str(prof), stream=out).strip_dirs().sort_stats(sort).print_stats(lines)
    return out.getvalue()


def profiled_load(config: ProfiledConfig, plan: Plan) -> dict[str, Any]:
    """Warm up unprofiled, then profile exactly the load; the load's figures."""
    services = start_stack(config)
    try:
        target = Target(
            "switchboard",
            config.rasa_url,
            services,
            switchboard_scripts(load_crm(), SECRET, config.rest_jwt_secret),
        )
        run_id = uuid.uuid4().hex[:8]
        run_phase(target, "warmup", plan.warmup_conversations, plan.warmup_turns, run_id)
        signal_profiled(services, signal.SIGUSR1)
        outcomes, wall = run_phase(target, "profile", plan.conversations, plan.turns, run_id)
        signal_profiled(services, signal.SIGUSR2)
        wait_for_dumps([config.profile_dir / f"{name}.prof" for name in PROFILED])
    finally:
        stop_all(services)
    return summarize(outcomes, wall, plan.conversations)


def profile(plan: Plan, out_dir: Path) -> int:
    """Switchboard alone under the plan's load, its Rasa and action server profiled;
    prints and keeps (in out_dir) their top entries by cumulative and own time."""
    out_dir = out_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in PROFILED:
        (out_dir / f"{name}.prof").unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as home:
        base = bench_config(Path(home))
        config = ProfiledConfig(
            **{f.name: getattr(base, f.name) for f in dataclasses.fields(base)}, profile_dir=out_dir
        )
        load = profiled_load(config, plan)
    print(f"profiled load (under the profiler's overhead): {json.dumps(load)}")
    for name in PROFILED:
        for sort in ("cumulative", "tottime"):
            text = top_entries(out_dir / f"{name}.prof", sort)
            (out_dir / f"{name}.{sort}.txt").write_text(text)
            print(f"=== {name} by {sort} ===\n{text}")
    return 1 if load["errors"] else 0


def single(turns: int) -> int:
    """The embedded stack alone: one conversation of turns turns after the warm-up."""
    plan = Plan(1, turns, single_turns=turns)
    with tempfile.TemporaryDirectory(prefix="bench-single-") as home:
        target = switchboard_target(Path(home))
        try:
            run_id = uuid.uuid4().hex[:8]
            run_phase(target, "warmup", plan.warmup_conversations, plan.warmup_turns, run_id)
            rasa = next(s for s in target.services if s.name == "rasa")
            cpu_before = per_service(target.services, cpu_seconds)
            loop_before = event_loop_cpu_seconds(rasa)
            outcomes, wall = run_phase(target, "single", 1, turns, run_id)
            cpu_after = per_service(target.services, cpu_seconds)
            loop_ms = (event_loop_cpu_seconds(rasa) - loop_before) * 1000 / max(turns, 1)
        finally:
            stop_all(target.services)
    result = summarize(outcomes, wall, 1)
    cpu_ms = {
        name: round((cpu_after[name] - cpu_before[name]) * 1000 / len(outcomes), 1)
        for name in cpu_after
    }
    print(
        f"one conversation, {turns} turns: p50 {result['p50_ms']:.1f} ms, "
        f"p95 {result['p95_ms']:.1f} ms, errors {result['errors']}; "
        f"CPU ms per turn {json.dumps(cpu_ms)}; Rasa's event loop {loop_ms:.1f}"
    )
    print("p50 by turn " + _breakdown(result["p50_ms_by_turn"], "ms"))
    return 1 if result["errors"] else 0


# --- main --------------------------------------------------------------------------


def measure_all(targets: Sequence[Target], plan: Plan, processes: int) -> dict[str, Any]:
    """Each target in turn; the scaled one once per step of its scaling curve."""
    results = {}
    for target in targets:
        if isinstance(target, ScaledTarget):
            for step in scaling_steps(processes):
                target.rotate(step)
                results[target.name] = measure(target, plan)
        else:
            results[target.name] = measure(target, plan)
    return results


def benchmark(plan: Plan, results_file: Path, processes: int, soak: bool = False) -> int:
    host = machine()  # before starting anything: the load average is other work's
    soaked = 0
    with tempfile.TemporaryDirectory(prefix="bench-load-") as home:
        targets = start_targets(
            [
                lambda: switchboard_target(Path(home)),
                lambda: stock_target(Path(home)),
                lambda: scaled_target(Path(home), processes),
            ]
        )
        try:
            results = measure_all(targets, plan, processes)
            if soak:
                soaked = soak_smoke(targets)
        finally:
            for target in targets:
                if isinstance(target, ScaledTarget) and target.running:
                    target.running.stop()  # the supervisor's processes, restarted ones too
                    shutil.rmtree(target.running.profile.servers.home, ignore_errors=True)
                else:
                    stop_all(target.services)
    report = {
        "plan": dataclasses.asdict(plan),
        "targets": results,
        "machine": host,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    results_file.parent.mkdir(parents=True, exist_ok=True)
    results_file.write_text(json.dumps(report, indent=2))
    print(table(results))
    print(
        f"machine: {host['cpu_count']} CPUs, load average before the run "
        f"{host['loadavg_1_5_15'][0]} (1 min)"
    )
    print(summary(results, plan))
    return 1 if soaked or any(errors(r) for r in results.values()) else 0


def soak_smoke(targets: Sequence[Target]) -> int:
    """bench/soak.py's smoke plan on the scaled profile already started (a second start
    would cost the tests another minute); its exit status."""
    # Imported here: bench.soak builds on this module.
    from bench import soak

    scaled = next(t for t in targets if isinstance(t, ScaledTarget))
    assert scaled.running
    scaled.rotate(len(scaled.running.profile.rasas))
    secret = scaled.running.profile.balanced.rest_jwt_secret
    result = soak.run_soak(scaled.running, secret, soak.SMOKE)
    print(soak.report(result, soak.SMOKE, RESULTS / "soak-smoke.json"))
    return 0 if soak.passed(result) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--turns", type=int, help="per conversation (default 10; --single: 30)")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="2 conversations x 2 turns: checks the benchmark still works",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="profile Switchboard's Rasa and action server instead",
    )
    parser.add_argument(
        "--single",
        action="store_true",
        help="only one conversation on the embedded stack (its p50 and CPU per turn)",
    )
    parser.add_argument(
        "--soak",
        action="store_true",
        help="with --smoke: then bench/soak.py's smoke plan on the same scaled profile",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=os.cpu_count() or 1,
        help="N, the scaled profile's Rasa processes (default: the cores)",
    )
    args = parser.parse_args(argv)
    if args.single:
        return single(args.turns or Plan(1, 1).single_turns)
    args.turns = args.turns or 10
    if args.conversations < 1 or args.turns < 1 or not 1 <= args.processes <= 32:
        parser.error("--conversations and --turns must be at least 1, --processes 1 to 32")
    plan = SMOKE if args.smoke else Plan(args.conversations, args.turns)
    if args.profile:
        return profile(plan, args.profile)
    results = RESULTS / ("load-smoke.json" if args.smoke else "load.json")
    return benchmark(plan, results, args.processes, soak=args.smoke and args.soak)


if __name__ == "__main__":
    sys.exit(main())
