"""The dashboard's reads: per-day buckets in a time zone, and the conversations behind
each number, from hand-built event sequences."""

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from analytics.dashboard import KINDS, conversations, daily, days
from analytics.figures import Judge, figures
from analytics.metrics_config import MetricsConfig, load_metrics_config
from analytics.sessions import SessionFacts
from tests.analytics.events import (
    T0,
    Script,
    abandoned,
    contained,
    fraud_handover,
    handed_over,
    resolved_order,
)
from tests.analytics.test_figures import sessions_of

ROOT = Path(__file__).resolve().parents[2]
DAY = 86400.0
BERLIN = ZoneInfo("Europe/Berlin")
LATER = T0 + 30 * DAY  # every session is long decided


@pytest.fixture(scope="module")
def config() -> MetricsConfig:
    return load_metrics_config(ROOT / "metrics.yml")


@pytest.fixture(scope="module")
def week() -> list[SessionFacts]:
    """Day 1: a resolved order (re-contacted on day 3 by the same sender), a hand-over;
    day 2: an abandoned claim, a contained chat, a fraud hand-over on WhatsApp."""
    return sessions_of(
        resolved_order("alice", "rest", T0 + 3600),
        handed_over("bob", "socketio", T0 + 7200),
        abandoned("carol", "rest", T0 + DAY + 3600),
        contained("dave", "socketio", T0 + DAY + 7200),
        fraud_handover("erin", T0 + DAY + 9000, "H-123"),
        resolved_order("alice", "rest", T0 + 2 * DAY + 3600),
    )


def test_local_days_cover_the_period_and_cut_it_at_local_midnight() -> None:
    found = list(days(T0, T0 + 2 * DAY, BERLIN))  # T0 is 01:00 in Berlin
    assert [d.label for d in found] == ["2025-11-30", "2025-12-01", "2025-12-02"]
    assert found[0].since == T0 and found[-1].until == T0 + 2 * DAY
    assert found[1].since == T0 + 23 * 3600 and found[1].until == T0 + 47 * 3600
    spring = list(days(1774738800.0, 1774738800.0 + 2 * DAY, BERLIN))  # 2026-03-29 00:00
    assert spring[0].until - spring[0].since == 23 * 3600  # the DST day is 23 h


def test_each_days_figures_are_the_figures_of_that_days_sessions(
    config: MetricsConfig, week: list[SessionFacts]
) -> None:
    period = [s for s in week if s.started_at < T0 + 2 * DAY]
    found = daily(period, week, config, LATER, T0, T0 + 2 * DAY, ZoneInfo("UTC"))
    assert [d["day"] for d in found["days"]] == ["2025-11-30", "2025-12-01"]
    first, second = (d["total"] for d in found["days"])
    assert (first["resolved"], first["handed_over"], first["conversations"]) == (1, 1, 2)
    assert first["first_contact_resolution_rate"] == 0.0  # alice came back on day 3
    assert (second["abandoned"], second["contained"], second["handed_over"]) == (1, 1, 1)
    assert second["handover_reasons"] == {"sensitive_topic:fraud": 1}
    outreach = found["period"].pop("outreach")  # tests/analytics/test_outreach_figures.py
    assert found["period"] == {
        k: v for k, v in figures(period, config, LATER, week).items() if k != "currency"
    }
    assert found["currency"] == "EUR"
    assert outreach["total"]["sent"] == 0 and outreach["by_rule"] == {}


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("conversations", {"alice", "bob", "carol", "dave", "erin"}),
        ("resolved", {"alice"}),
        ("handed_over", {"bob", "erin"}),
        ("contained", {"dave"}),
        ("abandoned", {"carol"}),
        ("not_handed_over", {"alice", "carol", "dave"}),
        ("goal_completed", {"alice"}),
        ("first_contact_resolved", set()),
        ("recontacted", {"alice"}),
        ("open", set()),
    ],
)
def test_each_number_lists_its_conversations(
    config: MetricsConfig, week: list[SessionFacts], kind: str, expected: set[str]
) -> None:
    period = [s for s in week if s.started_at < T0 + 2 * DAY]
    rows = conversations(period, Judge(config, LATER, week), kind)
    assert {row["conversation_id"] for row in rows} == expected
    summary = figures(period, config, LATER, week)["total"]
    if kind in ("resolved", "handed_over", "contained", "abandoned", "conversations"):
        assert len(rows) == summary[kind]


def test_the_drill_down_filters_by_channel_goal_and_reason(
    config: MetricsConfig, week: list[SessionFacts]
) -> None:
    judge = Judge(config, LATER, week)
    rows = conversations(week, judge, "handed_over", reason="sensitive_topic")
    assert [(r["conversation_id"], r["handoff_id"], r["channel"]) for r in rows] == [
        ("erin", "H-123", "twilio")
    ]
    assert rows[0]["handover_reason"] == "sensitive_topic:fraud"
    by_goal = conversations(week, judge, "goal_completed", goal="check_order_status")
    assert [r["first_contact_resolved"] for r in by_goal] == [["check_order_status"], []]
    assert conversations(week, judge, "conversations", channel="email") == []
    # the newest first
    everyone = conversations(week, judge, "conversations")
    assert [r["started_at"] for r in everyone] == sorted(
        (r["started_at"] for r in everyone), reverse=True
    )
    assert set(KINDS) >= {"conversations", "first_contact_resolved"}


def payment(sender: str, verified: bool, sent: bool) -> Script:
    """A payment update: asked (refused until verified), then verified, then the link."""
    script = Script(sender, "twilio", T0 + 5000).start().user("update_payment_method")
    script.outcome("update_payment_method", "refused")
    if verified:
        script.outcome("verify_identity", "verified")
    if sent:
        script.outcome("update_payment_method", "done")
    return script.bot().user("goodbye").bot()


def test_the_step_funnel_of_a_multi_step_journey(config: MetricsConfig) -> None:
    sessions = sessions_of(
        payment("p1", True, True),
        payment("p2", True, True),
        payment("p3", True, False),  # dropped after verifying
        payment("p4", False, False),  # dropped at verification
        resolved_order("q1", "rest", T0),  # not in this funnel
    )
    funnel = figures(sessions, config, LATER)["funnels"]["update_payment_method"]
    assert funnel["entered"] == 4
    assert [(s["step"], s["reached"], s["dropped"]) for s in funnel["steps"]] == [
        ("asked", 4, 0),
        ("verified", 3, 1),
        ("link_sent", 2, 1),
    ]
    assert [s["rate"] for s in funnel["steps"]] == [1.0, 0.75, 0.5]
    order = figures(sessions, config, LATER)["funnels"]["check_order_status"]
    assert order["entered"] == 1 and order["steps"][-1]["reached"] == 1
    listed = conversations(
        sessions,
        Judge(config, LATER, sessions),
        "conversations",
        funnel=("update_payment_method", 2),
    )
    assert {r["conversation_id"] for r in listed} == {"p1", "p2", "p3"}
    assert {r["steps_reached"]["update_payment_method"] for r in listed} == {2, 3}
