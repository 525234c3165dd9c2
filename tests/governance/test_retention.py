"""retention.yml and the job (common/retention.py), and Rasa's share of it
(stack/conversation_retention.py) on a real SQL tracker store and channels' database:
a conversation quiet for longer than its channel's period goes with what the channels
keep of it, a newer one stays, and the report counts what went."""

import asyncio
import logging
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa.core.lock_store import InMemoryLockStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from common.clock import CLOCK_FILE, set_clock
from common.periodic import every
from common.retention import (
    DEFAULT_PATH,
    RetentionConfigError,
    RetentionJob,
    load_retention,
    parse_retention,
)
from connectors.state import channel_state
from stack.conversation_retention import purge
from tracker_store.sql import DurableSQLTrackerStore

DAY = 86400.0
NOW = 1_900_000_000.0
DOMAIN = Domain.from_yaml('version: "3.1"\nintents: [greet]\n')


def shipped() -> dict[str, Any]:
    return yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))


def test_the_shipped_file_loads_with_its_channels() -> None:
    config = load_retention()
    assert config.conversations.days_for("rest") == 90
    assert config.conversations.days_for("twilio_voice") == 30
    assert config.conversations.days_for(None) == 90


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"conversations": {"days": 0}}, "conversations.days: ensure this value is greater"),
        (
            {"conversations": {"days": 90, "channels": {"fax": 3}}},
            "conversations.channels.__key__: unexpected value; permitted: 'rest'",
        ),
        ({"memory_timeline": {"days": "soon"}}, "memory_timeline.days: value is not a valid"),
        ({"run_every_minutes": 0}, "run_every_minutes: ensure this value is greater"),
        ({"transcripts": {"days": 9}}, "transcripts: extra fields not permitted"),
        ({"analytics_sessions": {"days": 30}}, "analytics_sessions: sessions are the events'"),
    ],
)
def test_a_bad_value_is_refused_naming_its_key(change: dict[str, Any], named: str) -> None:
    with pytest.raises(RetentionConfigError, match=named.replace("(", r"\(")):
        parse_retention({**shipped(), **change})


def test_a_missing_kind_is_refused() -> None:
    data = shipped()
    del data["outreach_decisions"]
    with pytest.raises(RetentionConfigError, match="outreach_decisions: field required"):
        parse_retention(data)


def test_a_broken_file_at_a_later_run_keeps_the_last_good_periods(tmp_path: Path) -> None:
    path = tmp_path / "retention.yml"
    path.write_text(DEFAULT_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    seen: list[int] = []
    job = RetentionJob("test", lambda config, now: seen.append(config.memory_timeline.days) or [])
    job.path = path
    path.write_text("memory_timeline: {days: -1}\n", encoding="utf-8")
    report = job.run()
    assert seen == [365]
    assert "retention.yml: " in report["config_problem"]


class Agent:
    """What the purge uses of Rasa's agent: its tracker store and lock store."""

    def __init__(self, store: DurableSQLTrackerStore) -> None:
        self.tracker_store, self.lock_store = store, InMemoryLockStore()


def conversation(sender: str, channel: str, age_days: float) -> DialogueStateTracker:
    at = NOW - age_days * DAY
    tracker = DialogueStateTracker(sender, DOMAIN.slots)
    for event in (
        UserUttered(
            "hi", {"name": "greet", "confidence": 1.0}, input_channel=channel, timestamp=at
        ),
        ActionExecuted("utter_greet", timestamp=at + 1),
        BotUttered("Hello.", timestamp=at + 2),
    ):
        tracker.update(event)
    return tracker


def test_rasa_deletes_the_conversations_past_their_channels_period(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("CHANNEL_STATE_URL", f"sqlite:///{tmp_path / 'channels.db'}")
    set_clock(tmp_path / "clock", NOW)
    monkeypatch.setenv(CLOCK_FILE, str(tmp_path / "clock"))
    store = DurableSQLTrackerStore(
        DOMAIN, host=f"sqlite:///{tmp_path / 'tracker.db'}", journal=str(tmp_path / "j.jsonl")
    )
    ages = {  # rest 90 days, twilio_voice 30, email 180 (retention.yml)
        "rest-old": ("rest", 91),
        "rest-new": ("rest", 89),
        "voice-old": ("twilio_voice", 31),
        "email-kept": ("email", 120),
        "email-old": ("email", 181),
    }
    state = channel_state()

    async def seed() -> None:
        for sender, (channel, age) in ages.items():
            await store.save(conversation(sender, channel, age))
            await state.remember(channel, sender, "where replies go")

    asyncio.run(seed())
    loop = asyncio.new_event_loop()
    job = RetentionJob(
        "rasa", lambda config, now: loop.run_until_complete(purge(Agent(store), config, now))
    )
    with caplog.at_level(logging.INFO, logger="common.retention"):
        report = job.run()
    loop.close()
    counts = {(d["kind"], d["channel"]): d["count"] for d in report["deleted"]}
    assert counts == {
        ("conversations", "rest"): 1,
        ("conversations", "twilio_voice"): 1,
        ("conversations", "email"): 1,
        ("tracker_events", "rest"): 3,
        ("tracker_events", "twilio_voice"): 3,
        ("tracker_events", "email"): 3,
        ("journal_entries", "rest"): 0,
        ("journal_entries", "twilio_voice"): 0,
        ("journal_entries", "email"): 0,
        ("channel_recipients", "rest"): 1,
        ("channel_recipients", "twilio_voice"): 1,
        ("channel_recipients", "email"): 1,
        ("agent_message_deliveries", "rest"): 0,
        ("agent_message_deliveries", "twilio_voice"): 0,
        ("agent_message_deliveries", "email"): 0,
    }
    cutoffs = {d["channel"]: d["cutoff"] for d in report["deleted"]}
    assert cutoffs["twilio_voice"] == "2030-02-15T17:46:40+00:00"  # NOW - 30 days
    assert sorted(asyncio.run(store.keys())) == ["email-kept", "rest-new"]
    remembered = {s: asyncio.run(state.recall(ages[s][0], s)) for s in ages}
    assert remembered == {
        "rest-old": None,
        "rest-new": "where replies go",
        "voice-old": None,
        "email-kept": "where replies go",
        "email-old": None,
    }
    logged = caplog.text
    assert "deleted 1 conversations (twilio_voice) older than 2030-02-15" in logged
    assert "rest-old" not in logged and "where replies go" not in logged


def test_the_scheduler_runs_the_job_again_and_again() -> None:
    runs: list[int] = []
    twice = threading.Event()

    def work() -> None:
        runs.append(1)
        if len(runs) >= 2:
            twice.set()

    scheduler = every(0.1, work)
    try:
        assert twice.wait(5)
    finally:
        scheduler.shutdown(wait=False)
