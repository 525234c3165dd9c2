"""Ground truth for the outcome figures (issue #15): a week of mixed traffic played
against the running stack over its real channels (REST and WhatsApp) with a
controlled clock, and what each figure must be, printed beside what the supervisors'
dashboard (the desk's API) and `make report` show.

    python -m bench.simulate [--days 7] [--start 2026-11-02] [--per-day 1]

It starts its own stack (bench/channel_stack.py: Twilio's API and the SMTP server
replaced by the tests' recorders, the desk open at every hour), with
SWITCHBOARD_CLOCK_FILE set (common/clock.py): before each step the simulator writes
the simulated time there, so Rasa's event broker stamps the events and the desk its
claim and close times with it. Each simulated day has, per `--per-day`:

- a resolved order question on REST (verified, answered, goodbye, rated);
- two days later, for every other one, the same customer asking again on WhatsApp
  (verified again there; the memory links the identity and greets them back): the
  first conversation is then not first-contact resolved;
- a conversation contained on WhatsApp (no goal, closed by the customer, rated);
- a hand-over on REST that a desk agent claims and closes a known number of
  minutes later (the agent time);
- an abandoned order question (asked for the postcode, then silence);
- a payment-method journey dropped at its verification step (three wrong postcodes).

The simulator knows what each conversation must count as from what it played: the
class, the goals, re-contacts, turns, ratings, agent time and funnel steps; the
number of assistant messages (a WhatsApp message's cost) is read from Rasa's record
of the conversation. Exit status 1 when a figure differs.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from analytics.metrics_config import MetricsConfig, load_metrics_config
from bench.channel_stack import channel_stack
from common.clock import CLOCK_FILE, set_clock
from connectors.conversation_ids import conversation_id
from tests.channels.twilio_fake import ACCOUNT_SID, AUTH_TOKEN, WHATSAPP_NUMBER, TwilioWebhook
from tests.desk.support import ALWAYS_OPEN, behaviour
from tests.support.channels import WHATSAPP_PATH, handled
from tests.support.stack import Conversation, DeskClient, Stack

ROOT = Path(__file__).resolve().parents[1]
MINUTE = 60.0
DAY = 86400.0
SLOT_MINUTES = 30  # each conversation has a half-hour of its own, from 09:00
FIRST_HOUR = 9
# Customers with one order and no business event of the fixture (an event would be
# told live in their conversation): order, customer, postcode.
ORDER_CUSTOMERS = (
    ("BW-100004", "C-1002", "33628"),
    ("BW-100019", "C-1008", "42642"),
    ("BW-100031", "C-1013", "64718"),
    ("BW-100036", "C-1016", "71830"),
    ("BW-100040", "C-1022", "62892"),
    ("BW-100043", "C-1024", "52705"),
    ("BW-100045", "C-1026", "59299"),
    ("BW-100060", "C-1034", "91396"),
    ("BW-100064", "C-1037", "18601"),
    ("BW-100071", "C-1044", "86885"),
    ("BW-100072", "C-1045", "56456"),
)
# Orders asked about and then left at the postcode question.
ABANDONED_ORDERS = ("BW-100037", "BW-100038", "BW-100061", "BW-100065")
# Unpaid invoices of customers without a fixture event, for the dropped payment journey.
UNPAID_INVOICES = ("INV-900013", "INV-900028", "INV-900031", "INV-900076", "INV-900079")
WRONG_POSTCODES = ("11111", "22222", "33333")
HUMAN_REASON = "human_requested"  # the hand-over outcome's reason code for "a human"
REST, WHATSAPP = "rest", "twilio"
CLASSES = ("resolved", "handed_over", "contained", "abandoned")
ORDER_GOAL = "check_order_status"
PAYMENT_GOAL = "update_payment_method"


@dataclass
class Planned:
    """One conversation: what is said when, and what it must count as."""

    channel: str
    start: float  # simulated Unix time of its first message
    lines: list[str]
    outcome: str  # one of CLASSES
    customer: str | None = None  # the customer it verifies as
    attempted: tuple[str, ...] = ()
    completed: tuple[str, ...] = ()
    rating: int | None = None
    agent: tuple[int, int] | None = None  # (minutes to the claim, minutes claimed)
    funnels: dict[str, int] = field(default_factory=dict)  # journey: steps reached
    sender: str = field(default_factory=lambda: f"sim-{uuid.uuid4().hex[:12]}")
    bot_messages: int = 0  # read from Rasa's record once played

    def at(self, index: int) -> float:
        """When its index-th message is sent: a minute apart."""
        return self.start + index * MINUTE

    @property
    def agent_seconds(self) -> int:
        return self.agent[1] * 60 if self.agent else 0

    @property
    def last_activity(self) -> float:
        closed = self.at(0) + (sum(self.agent) * MINUTE if self.agent else 0)
        return max(self.at(len(self.lines) - 1), closed)


def rating_line(channel: str, score: int) -> str:
    """The customer's choice of the prompt's option: its payload on REST (a client shows
    buttons), its number on WhatsApp (the options come numbered)."""
    if channel == WHATSAPP:
        return str(score)
    return f'/rate_satisfaction{{"satisfaction_score": "{score}"}}'


def plan(start: date, days: int, per_day: int) -> list[Planned]:
    """The period's conversations, oldest first: per day, per_day of each kind, then
    the re-contacts of two days before."""
    found: list[Planned] = []
    orders = iter(ORDER_CUSTOMERS * (days * per_day))
    base = datetime(start.year, start.month, start.day, FIRST_HOUR, tzinfo=UTC).timestamp()
    recontacts: dict[int, list[Planned]] = defaultdict(list)
    count = 0
    for day in range(days):
        starts = (base + day * DAY + n * SLOT_MINUTES * MINUTE for n in range(10**6))
        for _ in range(per_day):
            order, customer, postcode = next(orders)
            score = count % 5 + 1
            found.append(order_question(REST, next(starts), order, customer, postcode, score))
            if count % 2 == 0 and day + 2 < days:
                again = order_question(WHATSAPP, 0.0, order, customer, postcode, score % 5 + 1)
                recontacts[day + 2].append(again)
            contained = (count + 2) % 5 + 1
            found.append(
                Planned(
                    WHATSAPP,
                    next(starts),
                    ["hi", "are you a bot?", "bye", rating_line(WHATSAPP, contained)],
                    "contained",
                    rating=contained,
                )
            )
            found.append(
                Planned(
                    REST,
                    next(starts),
                    ["I want to speak to a human"],
                    "handed_over",
                    agent=(2 + count % 3, 5 + 2 * (count % 4)),
                )
            )
            left = ABANDONED_ORDERS[count % len(ABANDONED_ORDERS)]
            channel = WHATSAPP if count % 2 else REST
            found.append(Planned(channel, next(starts), [f"where is my order {left}"], "abandoned"))
            invoice = UNPAID_INVOICES[count % len(UNPAID_INVOICES)]
            found.append(
                Planned(
                    REST,
                    next(starts),
                    ["I want to update my payment method", invoice, *WRONG_POSTCODES],
                    "abandoned",
                    funnels={PAYMENT_GOAL: 1},  # asked; not verified, so no link
                )
            )
            count += 1
        for again in recontacts.pop(day, []):
            again.start = next(starts)
            found.append(again)
    return found


def order_question(
    channel: str, start: float, order: str, customer: str, postcode: str, score: int
) -> Planned:
    """A verified customer's order question answered, a goodbye and a rating."""
    return Planned(
        channel,
        start,
        [f"where is my order {order}", postcode, "bye", rating_line(channel, score)],
        "resolved",
        customer,
        (ORDER_GOAL,),
        (ORDER_GOAL,),
        score,
        funnels={ORDER_GOAL: 3},
    )


# ---- playing ------------------------------------------------------------------------


class Player:
    """Plays the planned conversations in the order of the simulated clock."""

    def __init__(self, stack: Stack, clock: Path, verbose: bool = False) -> None:
        self.stack = stack
        self.clock = clock
        self.verbose = verbose
        self.whatsapp = TwilioWebhook(stack.config.rasa_url, WHATSAPP_PATH)
        self.agent = stack.agent("Simone")

    def steps(self, plans: list[Planned]) -> Iterator[tuple[float, Callable[[], None]]]:
        for planned in plans:
            for index, line in enumerate(planned.lines):
                yield planned.at(index), self._say(planned, line)
            if planned.agent:
                claim = planned.at(0) + planned.agent[0] * MINUTE
                yield claim, self._move(planned, "claim")
                yield claim + planned.agent[1] * MINUTE, self._move(planned, "close")

    def play(self, plans: list[Planned]) -> None:
        for at, step in sorted(self.steps(plans), key=lambda item: item[0]):
            set_clock(self.clock, at)
            step()
        for planned in plans:
            planned.bot_messages = self._bot_messages(planned)

    def conversation(self, planned: Planned) -> str:
        if planned.channel == WHATSAPP:
            return conversation_id("whatsapp", self._number(planned), AUTH_TOKEN)
        return planned.sender

    @staticmethod
    def _number(planned: Planned) -> str:
        return f"whatsapp:+4915{int(planned.sender[4:], 16) % 10**9:09d}"

    def _say(self, planned: Planned, line: str) -> Callable[[], None]:
        def step() -> None:
            if planned.channel == WHATSAPP:
                sid = "SM" + uuid.uuid4().hex
                reply = self.whatsapp.post(
                    {
                        "From": self._number(planned),
                        "To": WHATSAPP_NUMBER,
                        "Body": line,
                        "MessageSid": sid,
                        "AccountSid": ACCOUNT_SID,
                        "NumMedia": "0",
                    }
                )
                assert reply.status_code == 200, reply.text
                handled(self.stack, WHATSAPP, sid)
                said: Any = "(on WhatsApp)"
            else:
                said = [m.get("text") for m in Conversation(self.stack, planned.sender).send(line)]
            if self.verbose:
                print(f"  {planned.sender} {planned.channel}: {line!r} -> {said}", flush=True)

        return step

    def _move(self, planned: Planned, move: str) -> Callable[[], None]:
        def step() -> None:
            handoff = self._handoff(planned)
            response = self.agent.move(handoff, move)
            assert response.status_code == 200, response.text

        return step

    def _handoff(self, planned: Planned) -> str:
        deadline = time.monotonic() + 30
        while True:
            found = self.agent.get("/api/handoffs", params={"q": planned.sender}).json()
            if found:
                return str(found[0]["id"])
            assert time.monotonic() < deadline, f"no hand-over for {planned.sender}"
            time.sleep(0.2)

    def _bot_messages(self, planned: Planned) -> int:
        events = self.stack.tracker(self.conversation(planned))["events"]
        return sum(1 for event in events if event.get("event") == "bot")


# ---- the truth ----------------------------------------------------------------------


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def first_contact(plans: list[Planned], config: MetricsConfig) -> dict[int, set[str]]:
    """Per conversation (by index), its completed goals the same customer did not come
    back about within the window."""
    window = config.first_contact_resolution_days * DAY
    found = {}
    for index, planned in enumerate(plans):
        found[index] = {
            goal
            for goal in planned.completed
            if not any(
                other.customer == planned.customer
                and planned.customer is not None
                and goal in other.attempted
                and planned.start < other.start <= planned.start + window
                for other in plans
            )
        }
    return found


def cost(planned: Planned, config: MetricsConfig) -> float:
    costs = config.costs
    turns = len(planned.lines)
    total = costs.compute_per_turn * turns
    channel = costs.channels.get(planned.channel)
    if channel is not None:
        minutes = math.ceil((planned.last_activity - planned.start) / 60)
        total += channel.per_conversation
        total += channel.per_message * (turns + planned.bot_messages)
        total += channel.per_minute * minutes
    return total + agent_cost(planned, config)


def agent_cost(planned: Planned, config: MetricsConfig) -> float:
    return config.costs.agent_hourly_rate * planned.agent_seconds / 3600


Indexed = list[tuple[int, Planned]]  # conversations with their place in the period


def summary(plans: Indexed, fcr: dict[int, set[str]], config: MetricsConfig) -> dict:
    """What the dashboard's summary of these conversations must say."""
    classes = Counter(p.outcome for _, p in plans)
    total = len(plans)
    resolutions = sum(len(p.completed) for _, p in plans)
    spent = sum(cost(p, config) for _, p in plans)
    scores = [p.rating for _, p in plans if p.rating is not None]
    return {
        "conversations": total,
        **{name: classes[name] for name in CLASSES},
        "open": 0,
        "goal_completion_rate": _rate(sum(1 for _, p in plans if p.completed), total),
        "containment_rate": _rate(total - classes["handed_over"], total),
        "handover_rate": _rate(classes["handed_over"], total),
        "abandoned_rate": _rate(classes["abandoned"], total),
        "resolved_goals": resolutions,
        "first_contact_resolution_rate": _rate(sum(len(fcr[i]) for i, _ in plans), resolutions),
        "cost": round(spent, 4),
        "cost_per_resolution": round(spent / resolutions, 4) if resolutions else None,
        "agent_minutes": round(sum(p.agent_seconds for _, p in plans) / 60, 4),
        "agent_cost": round(sum(agent_cost(p, config) for _, p in plans), 4),
        "satisfaction_answers": len(scores),
        "satisfaction_mean": round(sum(scores) / len(scores), 4) if scores else None,
        "satisfaction_scores": {str(s): n for s, n in sorted(Counter(scores).items())},
        "handover_reasons": {HUMAN_REASON: classes["handed_over"]}
        if classes["handed_over"]
        else {},
    }


def funnels(plans: list[Planned], config: MetricsConfig) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for journey, steps in config.funnels.items():
        reached = [p.funnels[journey] for p in plans if journey in p.funnels]
        counts = [sum(1 for r in reached if r > index) for index in range(len(steps))]
        found[journey] = {
            "entered": len(reached),
            "steps": [
                {
                    "step": step.step,
                    "reached": n,
                    "rate": _rate(n, len(reached)),
                    "dropped": (counts[index - 1] if index else len(reached)) - n,
                }
                for index, (step, n) in enumerate(zip(steps, counts, strict=True))
            ],
        }
    return found


def truth(plans: list[Planned], config: MetricsConfig) -> dict[str, Any]:
    """The period's figures as the simulator knows they must be: in total, per channel,
    per day (UTC) and the funnels."""
    fcr = first_contact(plans, config)
    indexed = list(enumerate(plans))
    channels: dict[str, Indexed] = defaultdict(list)
    days: dict[str, Indexed] = defaultdict(list)
    for index, planned in indexed:
        channels[planned.channel].append((index, planned))
        label = datetime.fromtimestamp(planned.start, UTC).date().isoformat()
        days[label].append((index, planned))
    return {
        "total": summary(indexed, fcr, config),
        "by_channel": {
            name: summary(items, fcr, config) for name, items in sorted(channels.items())
        },
        "days": {label: summary(items, fcr, config) for label, items in sorted(days.items())},
        "funnels": funnels(plans, config),
    }


# ---- what the dashboard and the report show ----------------------------------------


def shown(figures: dict[str, Any]) -> dict[str, Any]:
    """The same parts of a /figures/daily answer (the desk's or the report's)."""
    period = figures["period"]
    return {
        "total": period["total"],
        "by_channel": period["by_channel"],
        "days": {d["day"]: d["total"] for d in figures["days"] if d["total"]["conversations"]},
        "funnels": period["funnels"],
    }


def caught_up(stack: Stack, timeout: float = 120) -> None:
    """Wait until the analytics service has folded every event the broker holds."""
    deadline = time.monotonic() + timeout
    headers = {"Authorization": f"Bearer {stack.config.analytics_api_token}"}
    while True:
        status = requests.get(
            f"{stack.config.analytics_url}/status", headers=headers, timeout=10
        ).json()
        if status["last_event_id"] == status["broker_last_event_id"] != 0:
            return
        assert time.monotonic() < deadline, status
        time.sleep(0.5)


def dashboard(stack: Stack, first: date, last: date) -> dict[str, Any]:
    """The supervisors' dashboard's figures, through the desk's API as a supervisor."""
    supervisor: DeskClient = stack.agent("Sven", "supervisor")
    response = supervisor.get(
        "/api/dashboard/figures", params={"start": first.isoformat(), "end": last.isoformat()}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def report(stack: Stack, first: date, last: date, zone: str, out: Path) -> dict[str, Any]:
    """`make report`'s figures: the command run on the stack's store, the figures read
    back from the page it wrote."""
    env = {
        **os.environ,
        "ANALYTICS_DATABASE_URL": stack.config.analytics_database_url,
        "PYTHONPATH": str(ROOT),
    }
    subprocess.run(
        [
            sys.executable,
            "-m",
            "analytics.report",
            "--out",
            str(out),
            "--start",
            first.isoformat(),
            "--end",
            last.isoformat(),
            "--tz",
            zone,
        ],
        check=True,
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    page = out.read_text(encoding="utf-8")
    start = page.index("<script type='application/json' id='figures'>") + len(
        "<script type='application/json' id='figures'>"
    )
    return dict(json.loads(page[start : page.index("</script>", start)].replace("<\\/", "</")))


@dataclass
class Result:
    truth: dict[str, Any]
    dashboard: dict[str, Any]
    report: dict[str, Any]
    plans: list[Planned]


def simulate(
    stack: Stack, clock: Path, start: date, days: int, per_day: int, verbose: bool = False
) -> Result:
    """Play the period's traffic on the stack and read the figures back."""
    config = load_metrics_config(ROOT / "metrics.yml")
    plans = plan(start, days, per_day)
    Player(stack, clock, verbose).play(plans)
    caught_up(stack)
    last = start + timedelta(days=days - 1)
    shown_on_desk = dashboard(stack, start, last)
    with tempfile.TemporaryDirectory(prefix="sim-report-") as folder:
        written = report(stack, start, last, shown_on_desk["time_zone"], Path(folder) / "r.html")
    return Result(truth(plans, config), shown(shown_on_desk), shown(written), plans)


@contextmanager
def simulation_stack() -> Iterator[tuple[Stack, Path]]:
    """The stack with every channel, the desk open at every hour and the simulator's
    clock; the clock file's path beside it."""
    with tempfile.TemporaryDirectory(prefix="sim-") as folder:
        home = Path(folder)
        clock = home / "clock"
        desk = home / "desk-settings.yml"
        desk.write_text(behaviour(ALWAYS_OPEN.replace("Europe/Berlin", "UTC")), encoding="utf-8")
        env = {CLOCK_FILE: str(clock), "DESK_SETTINGS": str(desk)}
        with channel_stack("simulate-", env) as stack:
            yield stack, clock


def differences(result: Result) -> list[tuple[str, Any, Any, Any]]:
    """(figure, truth, dashboard, report) for every figure where they differ."""
    found = []

    def walk(path: str, truth: Any, desk: Any, written: Any) -> None:
        if isinstance(truth, dict) and truth and all(isinstance(v, dict) for v in truth.values()):
            for key in sorted(set(truth) | set(desk or {}) | set(written or {})):
                walk(
                    f"{path}.{key}", truth.get(key), (desk or {}).get(key), (written or {}).get(key)
                )
        elif isinstance(truth, dict):
            for key in truth:
                walk(f"{path}.{key}", truth[key], (desk or {}).get(key), (written or {}).get(key))
        elif not truth == desk == written:
            found.append((path, truth, desk, written))

    walk("figures", result.truth, result.dashboard, result.report)
    return found


def print_result(result: Result) -> None:
    total, desk, written = (r["total"] for r in (result.truth, result.dashboard, result.report))
    print(f"{'figure':34} {'truth':>14} {'dashboard':>14} {'report':>14}")
    for key, value in total.items():
        if isinstance(value, dict):
            print(f"{key:34} {json.dumps(value)}")
            print(f"{'':34} {json.dumps(desk.get(key))} (dashboard)")
            continue
        print(f"{key:34} {value!s:>14} {desk.get(key)!s:>14} {written.get(key)!s:>14}")
    for journey, funnel in result.truth["funnels"].items():
        steps = ", ".join(f"{s['step']} {s['reached']}" for s in funnel["steps"])
        print(f"funnel {journey}: entered {funnel['entered']}; {steps}")
    diffs = differences(result)
    print("every figure equals the ground truth" if not diffs else f"{len(diffs)} differ:")
    for path, truth, desk, written in diffs:
        print(f"  {path}: truth {truth}, dashboard {desk}, report {written}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.simulate", description=__doc__)
    parser.add_argument("--days", type=int, default=7, help="days simulated (default a week)")
    parser.add_argument(
        "--start",
        type=date.fromisoformat,
        default=datetime.now(UTC).date() - timedelta(days=21),
        help="the first day, UTC (default three weeks ago)",
    )
    parser.add_argument("--per-day", type=int, default=1, help="each kind of traffic per day")
    parser.add_argument("--verbose", action="store_true", help="print every turn")
    args = parser.parse_args(argv)
    if not 3 <= args.days <= 31 or not 1 <= args.per_day <= 10:
        print("simulate: --days 3 to 31, --per-day 1 to 10", file=sys.stderr)
        return 2
    with simulation_stack() as (stack, clock):
        result = simulate(stack, clock, args.start, args.days, args.per_day, args.verbose)
    print_result(result)
    return 1 if differences(result) else 0


if __name__ == "__main__":
    sys.exit(main())
