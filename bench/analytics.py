"""Whether the analytics pipeline keeps up (issue #15): 100,000 broker events in, the
dashboard's month answered in at most a second.

`python -m bench.analytics [--events 100000] [--smoke]`:

1. makes a month of synthetic conversations in Rasa's own event JSON (Rasa's event
   classes' `as_dict()`, with `sender_id`, as its tracker store hands them to the
   broker): on every channel, resolved, handed over (with K1's hand-over outcome and
   its reason), abandoned and closed ones, verified customers coming back; their
   events interleaved in time order;
2. publishes them through Rasa's broker as Switchboard configures it
   (analytics/broker.py, SQLite) into its `events` table: events per second written;
3. starts the analytics service on that broker and its own store, as the stack
   does, and times its consumer until every event is folded: events per second;
4. asks the service, over HTTP with its token, what the dashboard asks for a month:
   `GET /figures/daily` (30 days, Europe/Berlin), the drill-down `GET /conversations`
   of the hand-overs, and `GET /figures`: best, median and worst of 5 each;
5. runs the same month's query in this process (the store read and the per-day
   figures, analytics/dashboard.py): its CPU time, which the other jobs on a shared
   machine do not inflate as they do the service's wall-clock time (it runs at a lower
   CPU priority).

Prints the figures and writes bench/results/analytics.json (analytics_smoke.json).
"""

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    ConversationPaused,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)

from analytics.broker import UrlSQLEventBroker
from analytics.dashboard import daily
from analytics.metrics_config import load_metrics_config
from analytics.settings import ROOT
from analytics.store import sessions_between
from bench.results_file import write_result
from common.database import create_db_engine
from stack.config import isolated_config
from stack.launch import analytics

MONTH_START = datetime(2026, 10, 1, tzinfo=UTC).timestamp()
DAYS = 30
CHANNELS = ("socketio", "twilio", "twilio_voice", "email", "rest")
GOALS = (
    ("check_order_status", "order"),
    ("check_claim_status", "claim"),
    ("check_invoice", "invoice"),
    ("ask_return_policy", None),
    ("ask_shipping_time", None),
)
REASONS = ("human_requested", "negative_emotion", "sensitive_topic:fraud", "low_confidence")
QUERIES = 5
TARGET_SECONDS = 1.0
CATCH_UP_TIMEOUT = 1800.0


class Conversation:
    """One session's events in Rasa's broker shape, each a few seconds after the last."""

    def __init__(self, sender: str, channel: str, at: float) -> None:
        self.sender, self.channel, self.at = sender, channel, at
        self.events: list[dict[str, Any]] = []
        self.outcomes: list[dict[str, Any]] = []

    def add(self, event: Event, seconds: float = 3.0) -> "Conversation":
        self.at += seconds
        event.timestamp = self.at
        self.events.append({"sender_id": self.sender, **event.as_dict()})
        return self

    def user(self, intent: str, text: str) -> "Conversation":
        parse = {"intent": {"name": intent, "confidence": 0.97}, "entities": [], "text": text}
        self.add(UserUttered(text, parse["intent"], [], parse, input_channel=self.channel))
        return self.add(ActionExecuted("action_listen"), 0.5)

    def bot(self, text: str) -> "Conversation":
        return self.add(BotUttered(text, {}, {"utter_action": "utter_x"}), 1.0)

    def outcome(self, goal: str, result: str, record: Any = None, detail: Any = None) -> None:
        self.outcomes = [
            *self.outcomes,
            {
                "action": "action_answer_request",
                "goal": goal,
                "result": result,
                "record": record,
                "detail": detail or {},
                "at": self.at,
            },
        ]
        self.add(SlotSet("outcomes", self.outcomes), 0.2)


def conversation(number: int, rng: random.Random, customers: int) -> Conversation:
    """A session of a customer (a few come back), ending in one of the four ways."""
    customer = rng.randrange(customers)
    at = MONTH_START + rng.random() * DAYS * 86400
    talk = Conversation(f"bench-{number}", rng.choice(CHANNELS), at)
    talk.add(ActionExecuted("action_session_start"), 0).add(SessionStarted(), 0.1)
    goal, topic = rng.choice(GOALS)
    talk.user(goal, f"question about my {topic or 'account'}").bot("which one?")
    ending = rng.random()
    if topic:
        talk.user("inform", "12345").outcome("verify_identity", "verified", f"C-{customer}")
    if ending < 0.55:
        talk.outcome(goal, "answered", f"R-{number}")
        talk.bot("here it is").user("thank", "thanks").bot("you're welcome")
    elif ending < 0.75:
        reason = rng.choice(REASONS)
        talk.user("request_human", "a person please")
        talk.outcome("hand_over", "handed_over", f"H-{number}", {"reason_code": reason})
        talk.bot("a colleague will join").add(ConversationPaused(), 0.1)
    elif ending < 0.9:
        talk.bot("anything else?")  # and nothing more: abandoned
    else:
        talk.user("goodbye", "bye").bot("bye")
    return talk


def month_of_events(count: int, seed: int = 15) -> list[dict[str, Any]]:
    """About count events of whole conversations, interleaved in time order."""
    rng = random.Random(seed)
    events: list[dict[str, Any]] = []
    number = 0
    while len(events) < count:
        events += conversation(number, rng, customers=max(10, count // 30)).events
        number += 1
    events.sort(key=lambda event: event["timestamp"])
    return events


def publish(url: str, events: list[dict[str, Any]]) -> float:
    """Events per second written through the broker Rasa uses (analytics/broker.py)."""
    broker = UrlSQLEventBroker(url)
    started = time.perf_counter()
    for event in events:
        broker.publish(event)
    asyncio.run(broker.close())
    return len(events) / (time.perf_counter() - started)


def timed(get: Any, path: str, params: dict[str, Any]) -> dict[str, float]:
    seconds = []
    for _ in range(QUERIES):
        started = time.perf_counter()
        answer = get(path, params)
        seconds.append(time.perf_counter() - started)
        answer.raise_for_status()
    return {
        "best": round(min(seconds), 3),
        "median": round(statistics.median(seconds), 3),
        "worst": round(max(seconds), 3),
    }


def query_cpu_seconds(store_url: str, since: float, until: float) -> float:
    """The best of 3 CPU times of the month's per-day figures, read from the store."""
    config = load_metrics_config(ROOT / "metrics.yml")
    engine = create_db_engine(store_url)
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        with engine.connect() as connection:
            later = sessions_between(
                connection, since, until + config.first_contact_resolution_days * 86400
            )
        period = [s for s in later if s.started_at < until]
        daily(period, later, config, time.time(), since, until, ZoneInfo("Europe/Berlin"))
        best = min(best, time.process_time() - started)
    engine.dispose()
    return round(best, 3)


def run(count: int, name: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-analytics-") as home:
        config = isolated_config(
            Path(home), {"ANALYTICS_POLL_SECONDS": "0.05", "ANALYTICS_RATE_LIMIT": "10000/minute"}
        )
        events = month_of_events(count)
        written = publish(config.event_broker_url, events)
        service = analytics(config).start()
        started = time.perf_counter()
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {config.analytics_api_token}"

        def get(path: str, params: dict[str, Any] | None = None) -> requests.Response:
            return session.get(f"{config.analytics_url}{path}", params=params, timeout=60)

        try:
            while (status := get("/status").json())["last_event_id"] < len(events):
                if time.perf_counter() - started > CATCH_UP_TIMEOUT:
                    raise SystemExit(f"analytics: the consumer did not catch up: {status}")
                time.sleep(0.1)
            folded = len(events) / (time.perf_counter() - started)
            month = {"since": MONTH_START, "until": MONTH_START + DAYS * 86400}
            queries = {
                "figures_daily": timed(get, "/figures/daily", {**month, "tz": "Europe/Berlin"}),
                "drill_down": timed(get, "/conversations", {**month, "kind": "handed_over"}),
                "figures": timed(get, "/figures", month),
            }
            sessions = status["sessions"]
        finally:
            service.stop()
        cpu = query_cpu_seconds(config.analytics_database_url, month["since"], month["until"])
    worst = queries["figures_daily"]["worst"]
    result = {
        "events": len(events),
        "sessions": sessions,
        "days": DAYS,
        "broker_events_per_second": round(written),
        "consumer_events_per_second": round(folded),
        "queries_seconds": queries,
        "figures_daily_cpu_seconds_in_process": cpu,
        "target_seconds": TARGET_SECONDS,
        "met": worst <= TARGET_SECONDS,
    }
    return write_result(name, result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--smoke", action="store_true", help="2,000 events (a quick check)")
    args = parser.parse_args()
    count, name = (2_000, "analytics_smoke") if args.smoke else (args.events, "analytics")
    result = run(count, name)
    daily = result["queries_seconds"]["figures_daily"]
    print(
        f"analytics: {result['events']} events ({result['sessions']} sessions over "
        f"{DAYS} days); broker writes {result['broker_events_per_second']} events/s, "
        f"consumer folds {result['consumer_events_per_second']} events/s"
    )
    for query, seconds in result["queries_seconds"].items():
        print(
            f"  {query}: best {seconds['best']} s, median {seconds['median']} s, "
            f"worst {seconds['worst']} s"
        )
    print(f"  figures_daily in process: {result['figures_daily_cpu_seconds_in_process']} s CPU")
    verdict = "met" if result["met"] else "NOT met"
    print(
        f"dashboard month (figures/daily) worst {daily['worst']} s ≤ {TARGET_SECONDS} s: {verdict}"
    )


if __name__ == "__main__":
    main()
