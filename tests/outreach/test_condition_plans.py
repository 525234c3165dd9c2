"""Planning the condition rules (outreach/plans.py): once per rule and record however
often the condition is seen, beside the event plans, and erased with the customer."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from common.database import create_db_engine
from outreach.config import load_config
from outreach.plans import PlanStore, Seen

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
RULES = load_config().rules


def store(tmp_path: Path) -> PlanStore:
    return PlanStore(create_db_engine(f"sqlite:///{tmp_path / 'outreach.db'}"))


def test_a_condition_seen_on_every_scan_is_planned_once_per_rule_and_record(
    tmp_path: Path,
) -> None:
    plans = store(tmp_path)
    reminder = RULES["activation_reminder"]
    pending = [Seen("C-1012", "POL-50009"), Seen("C-1018", "POL-50013")]
    assert plans.plan_conditions("activation_reminder", reminder, pending, NOW) == 2
    for later in (1, 5, 60 * 24):
        again = plans.plan_conditions(
            "activation_reminder", reminder, pending, NOW + timedelta(minutes=later)
        )
        assert again == 0
    # The same customer under another rule is another plan.
    checkin = RULES["at_risk_checkin"]
    assert plans.plan_conditions("at_risk_checkin", checkin, [Seen("C-1012", "C-1012")], NOW) == 1
    assert plans.due(NOW) == []  # an hour after it is found
    due = plans.due(NOW + timedelta(hours=1))
    assert [(p.rule, p.event_type, p.record, p.customer_id) for p in due] == [
        ("activation_reminder", "pending_activation", "POL-50009", "C-1012"),
        ("activation_reminder", "pending_activation", "POL-50013", "C-1018"),
        ("at_risk_checkin", "at_risk", "C-1012", "C-1012"),
    ]
    assert all(p.event_id < 0 for p in due)  # never an event's id
    # An event with the same number as a condition's key plans beside it.
    event = {"id": 1, "type": "payment_failed", "record": "INV-900031"}
    event["data"] = {"customer_id": "C-1012"}
    assert plans.plan([event], RULES, 1, NOW) == 1


def test_erasure_removes_the_conditions_seen_for_the_customer(tmp_path: Path) -> None:
    plans = store(tmp_path)
    reminder = RULES["activation_reminder"]
    seen = [Seen("C-1012", "POL-50009"), Seen("C-1018", "POL-50013")]
    plans.plan_conditions("activation_reminder", reminder, seen, NOW)
    assert plans.erase("C-1012") == {
        "outreach_decisions": 0,
        "planned_sends": 1,
        "condition_keys": 1,
    }
    assert [p.customer_id for p in plans.due(NOW + timedelta(hours=1))] == ["C-1018"]
