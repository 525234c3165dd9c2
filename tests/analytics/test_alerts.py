"""The alerts' logic (analytics/alerts.py) on a real analytics store: each figure over
the window, an alert raised once when its bound is crossed and cleared once when the
figure is back, windows too small not judged, and a webhook that fails never stops
the evaluation."""

import logging
from pathlib import Path

import pytest

from analytics.alerts import Watch, measure
from analytics.metrics_config import MetricsConfigError, load_metrics_config, parse_metrics_config
from analytics.sessions import SessionFacts
from analytics.store import create_schema, save_session
from common.clock import CLOCK_FILE, set_clock
from common.database import create_db_engine
from stack.processes import ROOT, free_port

NOW = 1_900_000_000.0
SHIPPED = load_metrics_config(ROOT / "metrics.yml")


def session(
    n: int,
    *,
    over: bool = False,
    unknown: bool = False,
    failed_check: bool = False,
    score: int | None = None,
    hours_ago: float = 1,
) -> SessionFacts:
    outcomes = [{"goal": "verify_identity", "result": "failed" if failed_check else "verified"}]
    if unknown:
        outcomes.append({"goal": "unknown", "result": "clarified"})
    at = NOW - hours_ago * 3600
    return SessionFacts(
        f"s-{n}", at, at + 60, user_turns=2, outcomes=outcomes, handed_over=over, satisfaction=score
    )


def config(**alerts: object):  # type: ignore[no-untyped-def]
    data = SHIPPED.dict()
    data["alerts"] = {**data["alerts"], "min_conversations": 4, **alerts}
    return parse_metrics_config(data)


def test_each_figure_is_measured_and_too_few_are_not_judged() -> None:
    found = [
        session(1, over=True, unknown=True, failed_check=True, score=2),
        session(2, score=4),
        session(3),
        session(4, unknown=True),
    ]
    assert measure(found, 2) == {
        "fallback_rate": 0.5,
        "handover_rate": 0.25,
        "verification_failure_rate": 0.25,
        "satisfaction_mean": 3.0,
    }
    assert measure(found, 5) == dict.fromkeys(measure(found, 5), None)


@pytest.mark.parametrize(
    ("bounds", "named"),
    [
        ({"handover_rate": {}}, "alerts.bounds.handover_rate.max: give min, max or both"),
        ({"handover_rate": {"min": 0.5, "max": 0.2}}, "max is below min"),
        ({"fallback": {"max": 0.2}}, "alerts.bounds.__key__"),
        ({"handover_rate": {"max": -1}}, "alerts.bounds.handover_rate.max"),
    ],
)
def test_a_bad_bound_is_refused_naming_its_key(bounds: dict, named: str) -> None:
    with pytest.raises(MetricsConfigError, match=named):
        config(bounds=bounds)


def test_an_alert_is_raised_once_and_cleared_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    set_clock(tmp_path / "clock", NOW)
    monkeypatch.setenv(CLOCK_FILE, str(tmp_path / "clock"))
    store = create_db_engine(f"sqlite:///{tmp_path / 'analytics.db'}")
    create_schema(store)
    unreachable = f"http://127.0.0.1:{free_port()}/hook"  # nobody listens: logged, not raised
    watch = Watch(store, config(bounds={"handover_rate": {"max": 0.5}}), unreachable)
    with store.begin() as connection:
        for n in range(3):
            save_session(connection, session(n, over=True))
        save_session(connection, session(9, over=True, hours_ago=30))  # outside the window
    assert watch.evaluate() == []  # 3 conversations in the window: too few to judge
    with store.begin() as connection:
        save_session(connection, session(3))
    with caplog.at_level(logging.INFO, logger="analytics.alerts"):
        raised = watch.evaluate()
    assert [(a["metric"], a["state"], a["value"], a["conversations"]) for a in raised] == [
        ("handover_rate", "raised", 0.75, 4)
    ]
    assert "analytics.alert raised metric=handover_rate value=0.75" in caplog.text
    assert "webhook failed: ConnectionError" in caplog.text
    assert watch.evaluate() == []  # still outside: not raised again
    assert [a["metric"] for a in watch.view()["active"]] == ["handover_rate"]
    with store.begin() as connection:
        for n in range(10, 14):
            save_session(connection, session(n))
    cleared = watch.evaluate()
    assert [(a["state"], a["value"]) for a in cleared] == [("cleared", 0.375)]
    assert watch.evaluate() == [] and watch.view()["active"] == []
    assert [a["state"] for a in watch.view()["recent"]] == ["cleared", "raised"]
