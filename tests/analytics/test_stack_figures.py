"""End to end: customers talk to the running assistant over REST; Rasa's event broker
carries the events to the analytics service, whose figures must equal what was done.
Stopping the analytics service while customers talk loses and doubles nothing."""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from analytics.store import latest_session
from common.database import create_db_engine
from stack.config import isolated_config
from stack.launch import start_analytics
from tests.support.stack import API_TOKEN, Conversation, Stack, running_stack

ROOT = Path(__file__).resolve().parents[2]
ABANDONED_AFTER_SECONDS = 3.0
TIMEOUT = 10


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    home = tmp_path_factory.mktemp("analytics-stack")
    metrics = yaml.safe_load((ROOT / "metrics.yml").read_text())
    metrics["abandoned_after_minutes"] = ABANDONED_AFTER_SECONDS / 60
    (home / "metrics.yml").write_text(yaml.safe_dump(metrics))
    config = isolated_config(
        home,
        {"ANALYTICS_METRICS_FILE": str(home / "metrics.yml"), "ANALYTICS_POLL_SECONDS": "0.2"},
        rasa_api_token=API_TOKEN,
    )
    with running_stack(config) as running:
        yield running


def api(stack: Stack, path: str, **params: Any) -> requests.Response:
    return requests.get(
        f"{stack.config.analytics_url}{path}",
        params=params,
        headers={"Authorization": f"Bearer {stack.config.analytics_api_token}"},
        timeout=TIMEOUT,
    )


def caught_up(stack: Stack, timeout: float = 20) -> dict[str, Any]:
    """The consumer's status once it has folded every event the broker holds."""
    deadline = time.monotonic() + timeout
    while True:
        status = api(stack, "/status").json()
        if status["last_event_id"] == status["broker_last_event_id"] != 0:
            return status
        assert time.monotonic() < deadline, status
        time.sleep(0.2)


def session(stack: Stack, sender: str) -> Any:
    engine = create_db_engine(stack.config.analytics_database_url)
    try:
        with engine.connect() as connection:
            return latest_session(connection, sender)
    finally:
        engine.dispose()


def test_the_figures_equal_what_the_customers_did(stack: Stack) -> None:
    since = time.time() - 1
    resolved = Conversation(stack)
    assert "postcode" in resolved.say("where is my order BW-100002")
    assert "carrier capacity shortage" in resolved.say("98096")
    handed = Conversation(stack)
    handed.say("I want to speak to a human")
    left = Conversation(stack)
    assert "claim" in left.say("what's the status of my claim?")
    time.sleep(ABANDONED_AFTER_SECONDS + 0.5)
    caught_up(stack)

    assert api(stack, "/figures", since=since, until=since + 3600).status_code == 200
    figures = api(stack, "/figures", since=since, until=time.time() + 60).json()
    total = figures["total"]
    assert (total["conversations"], total["resolved"], total["handed_over"]) == (3, 1, 1)
    assert (total["abandoned"], total["contained"], total["open"]) == (1, 0, 0)
    assert total["goal_completion_rate"] == round(1 / 3, 4)
    assert total["containment_rate"] == round(2 / 3, 4)
    assert total["handover_rate"] == round(1 / 3, 4)
    assert total["abandoned_rate"] == round(1 / 3, 4)
    assert total["resolved_goals"] == 1
    assert list(figures["by_channel"]) == ["rest"]
    order = figures["by_goal"]["check_order_status"]
    assert (order["attempted"], order["completed"]) == (1, 1)
    # metrics.yml's cost model: 4 customer turns of compute; one hand-over's agent time.
    costs = yaml.safe_load((ROOT / "metrics.yml").read_text())["costs"]
    agent = costs["agent_hourly_rate"] * costs["agent_minutes_per_handover"] / 60
    expected = 4 * costs["compute_per_turn"] + agent
    assert total["cost"] == pytest.approx(expected, abs=1e-4)
    assert total["cost_per_resolution"] == pytest.approx(expected, abs=1e-4)

    facts = session(stack, resolved.sender)
    assert [o["goal"] for o in facts.outcomes] == ["verify_identity", "check_order_status"]
    assert (facts.channel, facts.user_turns, facts.handed_over) == ("rest", 2, False)
    assert session(stack, handed.sender).handed_over


def test_events_while_the_consumer_is_down_are_folded_once_after_it_restarts(
    stack: Stack,
) -> None:
    chat = Conversation(stack)
    chat.say("where is my order BW-100002")
    assert "carrier capacity shortage" in chat.say("98096")
    before = caught_up(stack)
    assert stack.analytics
    stack.analytics.stop()
    assert "welcome" in chat.say("thanks a lot")
    stack.analytics = start_analytics(stack.config)
    after = caught_up(stack)
    assert after["sessions"] == before["sessions"]
    assert after["last_event_id"] > before["last_event_id"]
    facts = session(stack, chat.sender)
    assert (facts.user_turns, facts.last_intent) == (3, "thank")
    stack.analytics.stop()  # and once more, with nothing new: nothing changes
    stack.analytics = start_analytics(stack.config)
    assert caught_up(stack) == after
    assert session(stack, chat.sender) == facts


def test_the_figures_need_the_token(stack: Stack) -> None:
    url = f"{stack.config.analytics_url}/figures"
    period = {"since": 0, "until": 1}
    assert requests.get(url, params=period, timeout=TIMEOUT).status_code == 401
    wrong = {"Authorization": "Bearer not-the-token"}
    assert requests.get(url, params=period, headers=wrong, timeout=TIMEOUT).status_code == 401
