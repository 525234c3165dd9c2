"""Agent time (the desk's claim-to-close times, carried by its closing message) and the
satisfaction answers, from hand-built events to the figures; the simulator's clock;
metrics.yml's satisfaction key; and an older analytics store gaining the new columns."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rasa.shared.core.events import BotUttered, SlotSet
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, inspect

from analytics.figures import figures
from analytics.metrics_config import MetricsConfig, load_metrics_config, parse_metrics_config
from analytics.store import create_schema
from common import clock
from common.database import create_db_engine
from common.satisfaction import SatisfactionConfigError, load_satisfaction
from desk.models import Handoff
from desk.transitions import MOVES, with_agent_time
from tests.analytics.events import T0, Script, contained, handed_over, resolved_order
from tests.analytics.test_figures import sessions_of

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def config() -> MetricsConfig:
    return load_metrics_config(ROOT / "metrics.yml")


def closed_by_desk(script: Script, seconds: float) -> Script:
    """The desk's closing message, as desk/transitions.with_agent_time marks it."""
    message = BotUttered("closed", metadata={"agent": "dana", "agent_seconds": seconds})
    return script._add(message)


def rated(script: Script, score: object) -> Script:
    return script.user("rate_satisfaction")._add(SlotSet("satisfaction", score)).bot()


def test_agent_time_is_the_desks_claim_to_close_time_times_the_rate(
    config: MetricsConfig,
) -> None:
    rate = config.costs.agent_hourly_rate
    closed = closed_by_desk(handed_over("c-closed"), 12 * 60)
    waiting = handed_over("c-waiting", at=T0 + 60)  # not closed yet: the estimate
    found = figures(sessions_of(closed, waiting), config, T0 + 86400)["total"]
    estimate = rate * config.costs.agent_minutes_per_handover / 60
    assert found["agent_minutes"] == 12
    assert found["agent_cost"] == round(rate * 12 / 60 + estimate, 4)
    compute = 2 * config.costs.compute_per_turn
    assert found["cost"] == round(rate * 12 / 60 + estimate + compute, 4)


def test_the_satisfaction_answers_are_counted_with_their_conversation(
    config: MetricsConfig,
) -> None:
    scripts = [
        rated(contained("c-1"), 5),
        rated(contained("c-2", at=T0 + 60), 2),
        rated(resolved_order("c-3", at=T0 + 120), 5),
        contained("c-4", at=T0 + 180),  # asked, no answer
        rated(contained("c-5", at=T0 + 240), 9),  # not an option: not kept
        rated(contained("c-6", at=T0 + 300), True),
    ]
    found = figures(sessions_of(*scripts), config, T0 + 86400)
    total = found["total"]
    assert total["satisfaction_answers"] == 3
    assert total["satisfaction_mean"] == 4.0
    assert total["satisfaction_scores"] == {"2": 1, "5": 2}
    # the answer after the goodbye leaves the conversation contained, not abandoned
    assert (total["contained"], total["abandoned"], total["resolved"]) == (5, 0, 1)


def test_a_closing_message_without_a_sane_time_adds_none(config: MetricsConfig) -> None:
    for odd in (-5, "600", True, 10**9, None):
        script = handed_over("c-odd")
        script._add(BotUttered("closed", metadata={"agent_seconds": odd}))
        (session,) = sessions_of(script)
        assert session.agent_seconds is None, odd


def test_the_desks_ending_moves_carry_the_claim_to_close_seconds() -> None:
    claimed = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    handoff = Handoff(id="H-1", claimed_at=claimed)
    events = [{"event": "bot", "text": "bye", "metadata": {"agent": "dana"}}, {"event": "resume"}]
    marked = with_agent_time(events, handoff, claimed + timedelta(minutes=7, seconds=30))
    assert marked[0]["metadata"] == {"agent": "dana", "agent_seconds": 450}
    assert marked[1] == {"event": "resume"}
    assert events[0]["metadata"] == {"agent": "dana"}  # the move's own events unchanged
    never = with_agent_time(events, Handoff(id="H-2"), claimed)
    assert never[0]["metadata"]["agent_seconds"] == 0
    assert {m.name for m in MOVES.values() if m.to in ("closed", "handed_back")} == {
        "close",
        "hand_back",
    }


def test_the_clock_reads_the_simulators_file_else_the_real_time(tmp_path: Path) -> None:
    path = tmp_path / "clock"
    assert abs(clock.now(path) - datetime.now(UTC).timestamp()) < 5  # missing: real time
    clock.set_clock(path, 1_762_074_000.0)
    assert clock.now(path) == 1_762_074_000.0
    assert clock.now_utc(path) == datetime.fromtimestamp(1_762_074_000, UTC)
    for bad in ("", "soon", "nan", "-1"):
        path.write_text(bad)
        assert abs(clock.now(path) - datetime.now(UTC).timestamp()) < 5, bad


def test_metrics_yml_names_the_channels_asked_and_refuses_others(tmp_path: Path) -> None:
    assert load_satisfaction(ROOT / "metrics.yml").asked_on("twilio")
    assert not load_satisfaction(ROOT / "metrics.yml").asked_on("twilio_voice")
    with pytest.raises(ValueError, match=r"satisfaction\.channels\.0: the prompt is asked on"):
        parse_metrics_config(
            {
                "version": 1,
                "goals": {"x": {"completed": ["done"]}},
                "satisfaction": {"channels": ["twilio_voice"]},
            }
        )
    path = tmp_path / "metrics.yml"
    for text, reason in (
        ("satisfaction: {channels: [email]}", "satisfaction.channels.0"),
        ("satisfaction: {channel: [rest]}", "satisfaction.channel"),
        ("satisfaction: [rest]", "expected a mapping"),
    ):
        path.write_text(text)
        with pytest.raises(SatisfactionConfigError, match=reason):
            load_satisfaction(path)


def test_an_older_store_gains_the_new_columns(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'old.db'}")
    old = MetaData()
    Table(
        "sessions",
        old,
        Column("id", Integer, primary_key=True),
        Column("sender_id", String(255)),
        Column("started_at", Float),
        Column("outcomes", Text),
    )
    old.create_all(engine)
    create_schema(engine)
    create_schema(engine)  # twice: nothing left to add
    names = {c["name"] for c in inspect(engine).get_columns("sessions")}
    assert {"agent_seconds", "satisfaction"} <= names
    engine.dispose()
