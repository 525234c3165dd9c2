"""What each session counts as, and the figures, from hand-built event sequences."""

from pathlib import Path

import pytest

from analytics.figures import (
    ABANDONED,
    CONTAINED,
    EMPTY,
    HANDED_OVER,
    OPEN,
    RESOLVED,
    classify,
    figures,
    session_cost,
)
from analytics.metrics_config import MetricsConfig, load_metrics_config, parse_metrics_config
from analytics.sessions import SessionFacts, fold
from tests.analytics.events import (
    T0,
    Script,
    abandoned,
    contained,
    handed_over,
    resolved_order,
)

ROOT = Path(__file__).resolve().parents[2]
HOUR = 3600.0
DAY = 86400.0


def sessions_of(*scripts: Script) -> list[SessionFacts]:
    """Every session the events make, as the consumer folds them (per sender, in order)."""
    found: list[SessionFacts] = []
    current: dict[str, SessionFacts] = {}
    for script in scripts:
        for event in script.events:
            before = current.get(script.sender)
            after = fold(before, script.sender, event)
            if after is not before:
                found.append(after)
            current[script.sender] = after
    return found


@pytest.fixture(scope="module")
def config() -> MetricsConfig:
    return load_metrics_config(ROOT / "metrics.yml")


def only(script: Script) -> SessionFacts:
    (session,) = sessions_of(script)
    return session


def test_a_session_keeps_its_channel_turns_outcomes_and_times() -> None:
    script = resolved_order(channel="twilio")
    session = only(script)
    assert session.channel == "twilio"
    assert (session.user_turns, session.bot_messages) == (2, 2)
    assert [o["goal"] for o in session.outcomes] == ["verify_identity", "check_order_status"]
    assert session.started_at == script.events[1]["timestamp"]
    assert session.last_activity_at == script.events[-1]["timestamp"]
    assert not session.handed_over


def test_each_class_from_its_events(config: MetricsConfig) -> None:
    now = T0 + HOUR
    assert classify(only(resolved_order()), config, now) == RESOLVED
    assert classify(only(handed_over()), config, now) == HANDED_OVER
    assert classify(only(contained()), config, now) == CONTAINED
    assert classify(only(abandoned()), config, now) == ABANDONED
    # The same silence is not yet abandonment before abandoned_after_minutes.
    assert classify(only(abandoned()), config, T0 + 60) == OPEN
    assert classify(only(Script("c-empty").start()), config, now) == EMPTY


def test_a_pause_alone_or_the_hand_overs_outcome_alone_is_a_hand_over(
    config: MetricsConfig,
) -> None:
    paused = Script("c-paused").start().user("greet").pause()
    recorded = Script("c-recorded").start().user("greet").outcome("hand_over", "handed_over")
    assert only(paused).handed_over
    assert classify(only(paused), config, T0 + HOUR) == HANDED_OVER
    assert classify(only(recorded), config, T0 + HOUR) == HANDED_OVER


def test_only_the_results_metrics_yml_names_complete_a_goal(config: MetricsConfig) -> None:
    failed = (
        Script("c-failed")
        .start()
        .user("check_order_status")
        .outcome("check_order_status", "not_found")
    )
    verified_only = Script("c-ver").start().user("inform").outcome("verify_identity", "verified")
    assert classify(only(failed), config, T0 + HOUR) == ABANDONED
    assert classify(only(verified_only), config, T0 + HOUR) == ABANDONED
    stricter = parse_metrics_config(
        {"version": 1, "goals": {"check_order_status": {"completed": ["not_found", "answered"]}}}
    )
    assert classify(only(failed), stricter, T0 + HOUR) == RESOLVED


def test_a_new_session_of_the_same_sender_is_a_new_record() -> None:
    script = resolved_order("c-twice").idle(2 * HOUR).start().user("greet").bot()
    first, second = sessions_of(script)
    assert first.outcomes and not second.outcomes
    assert (first.user_turns, second.user_turns) == (2, 1)
    assert second.started_at > first.last_activity_at


def test_a_republished_event_and_an_external_intent_are_not_turns() -> None:
    script = resolved_order("c-again")
    replayed = [*script.events, *script.events[2:5]]  # a retried save streams them again
    external = {**script.events[2], "timestamp": script.at + 1}
    external["parse_data"] = {"intent": {"name": "EXTERNAL_memory_event", "confidence": 1.0}}
    session = None
    for event in [*replayed, external]:
        session = fold(session, "c-again", event)
    assert session is not None
    assert (session.user_turns, session.bot_messages) == (2, 2)


def test_the_figures_of_a_period(config: MetricsConfig) -> None:
    sessions = sessions_of(
        resolved_order("a", "rest"),
        resolved_order("b", "twilio"),
        handed_over("c", "rest"),
        abandoned("d", "twilio"),
        contained("e", "socketio"),
        Script("f", "rest", T0).start().user("greet"),
    )
    # Ten minutes on, the silent ones (d, f) are still open and not counted.
    total = figures(sessions, config, now=T0 + 10 * 60)["total"]
    assert total["conversations"] == 4
    assert (total[RESOLVED], total[HANDED_OVER], total[CONTAINED], total[OPEN]) == (2, 1, 1, 2)
    later = figures(sessions, config, now=T0 + 2 * HOUR)
    total = later["total"]
    assert total["conversations"] == 6
    assert (total[RESOLVED], total[HANDED_OVER], total[CONTAINED], total[ABANDONED]) == (
        2,
        1,
        1,
        2,
    )
    assert total["goal_completion_rate"] == round(2 / 6, 4)
    assert total["containment_rate"] == round(5 / 6, 4)
    assert total["handover_rate"] == round(1 / 6, 4)
    assert total["abandoned_rate"] == round(2 / 6, 4)
    assert total["resolved_goals"] == 2
    assert later["by_channel"]["twilio"]["conversations"] == 2
    assert later["by_channel"]["twilio"][RESOLVED] == 1
    order = later["by_goal"]["check_order_status"]
    assert (order["attempted"], order["completed"], order["goal_completion_rate"]) == (2, 2, 1.0)
    # A goal is known from the outcome record only: d asked about a claim, but no
    # action recorded anything for it before the customer left.
    assert "check_claim_status" not in later["by_goal"]
    assert "verify_identity" not in later["by_goal"]  # a step, not a goal in metrics.yml


def test_cost_per_resolution_is_the_total_cost_over_resolved_goals(config: MetricsConfig) -> None:
    costs = config.costs
    resolved_whatsapp = only(resolved_order("w", "twilio"))  # 2 turns, 2 bot messages
    handover = only(handed_over("h", "rest"))  # 1 turn
    assert session_cost(resolved_whatsapp, config) == pytest.approx(
        2 * costs.compute_per_turn + 4 * costs.channels["twilio"].per_message
    )
    assert session_cost(handover, config) == pytest.approx(
        costs.compute_per_turn + costs.agent_hourly_rate * costs.agent_minutes_per_handover / 60
    )
    total = figures([resolved_whatsapp, handover], config, now=T0 + HOUR)["total"]
    expected = session_cost(resolved_whatsapp, config) + session_cost(handover, config)
    assert total["cost"] == pytest.approx(expected, abs=1e-4)
    assert total["cost_per_resolution"] == pytest.approx(expected, abs=1e-4)  # one resolution


def test_a_voice_call_is_costed_by_the_minute(config: MetricsConfig) -> None:
    call = Script("v", "twilio_voice").start().user("ask_return_policy").idle(150)
    call = call.outcome("ask_return_policy", "answered").bot()
    per_minute = config.costs.channels["twilio_voice"].per_minute
    assert session_cost(only(call), config) == pytest.approx(
        config.costs.compute_per_turn + 3 * per_minute  # 2.6 minutes, billed as 3
    )


def test_coming_back_about_the_same_goal_within_the_window_is_no_first_contact_resolution(
    config: MetricsConfig,
) -> None:
    def back(script: Script, days: float, goal: str) -> Script:
        return script.idle(days * DAY).start().user(goal).outcome(goal, "not_found").bot()

    again_soon = back(resolved_order("r1"), 2, "check_order_status")
    again_late = back(resolved_order("r2"), 8, "check_order_status")
    other_goal = back(resolved_order("r3"), 2, "check_claim_status")
    sessions = sessions_of(again_soon, again_late, other_goal)
    first_sessions = [s for s in sessions if s.started_at < T0 + DAY]
    result = figures(first_sessions, config, now=T0 + 20 * DAY, later=sessions)
    assert result["total"]["resolved_goals"] == 3
    assert result["total"]["first_contact_resolution_rate"] == round(2 / 3, 4)


def test_no_conversation_gives_no_rate(config: MetricsConfig) -> None:
    total = figures([], config, now=T0)["total"]
    assert total["conversations"] == 0
    assert total["goal_completion_rate"] is None
    assert total["cost_per_resolution"] is None


def test_odd_values_in_an_event_change_nothing_they_should_not() -> None:
    session = only(resolved_order("c-odd"))
    before = (session.user_turns, session.last_event_at, list(session.outcomes))
    for odd in (
        {"event": "user", "timestamp": float("inf"), "parse_data": {}},
        {"event": "user", "timestamp": "soon"},
        {"event": "bot", "timestamp": None},
    ):
        assert fold(session, "c-odd", odd) is session
    assert (session.user_turns, session.last_event_at, session.outcomes) == before
    later = session.last_event_at + 1
    fold(session, "c-odd", {"event": "slot", "name": "outcomes", "value": "x", "timestamp": later})
    assert session.outcomes == []  # a reset record is an empty one
    fold(session, "c-odd", {"event": "user", "timestamp": later, "parse_data": {"intent": 3}})
    assert (session.user_turns, session.last_intent) == (3, None)


def test_a_verified_customer_coming_back_on_another_channel_is_a_re_contact(
    config: MetricsConfig,
) -> None:
    def verified(script: Script, customer: str) -> Script:
        script.outcomes = [
            {
                "action": "verify",
                "goal": "verify_identity",
                "result": "verified",
                "record": customer,
                "detail": {},
                "at": script.at,
            },
        ]
        return script.outcome("check_order_status", "answered")

    chat = verified(Script("web-1", "socketio").start().user("check_order_status"), "C-1001")
    phone = Script("call-1", "twilio_voice", T0 + 2 * DAY).start().user("check_order_status")
    phone = verified(phone, "C-1001")
    stranger = Script("call-2", "twilio_voice", T0 + 2 * DAY).start().user("check_order_status")
    stranger = verified(stranger, "C-1002")
    first = only(chat)
    alone = figures([first], config, now=T0 + 20 * DAY, later=sessions_of(chat, stranger))
    assert alone["total"]["first_contact_resolution_rate"] == 1.0
    back = figures([first], config, now=T0 + 20 * DAY, later=sessions_of(chat, phone))
    assert back["total"]["first_contact_resolution_rate"] == 0.0
