"""Condition triggers end to end: the real backend's lists (policies pending activation,
customers at risk) and the real memory, read by the worker with a controlled clock,
then by the outreach service itself with the real clock. A condition seen on every
scan is planned once; an activated policy, an open complaint in the CRM and a topic
never automated on file in the memory each suppress, named in the decision log."""

import dataclasses
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from outreach.config import DEFAULT_PATH
from stack.launch import outreach
from tests.outreach.rasa_fake import TOKEN, RasaStandIn
from tests.outreach.support import Sources, sources, wait_for
from tests.outreach.test_worker import decisions, make_worker, rasa  # noqa: F401

COMPLAINT = "C-1032"  # POL-50024 pending since 2026-10-21; a complaint open in the CRM


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sources]:
    home = tmp_path_factory.mktemp("outreach-conditions")
    with sources(home, {"BACKEND_LIST_RATE_LIMIT": "6000/minute"}) as started:
        started.change("customers", COMPLAINT, open_complaint=True)
        yield started


def reasons(running: Sources, plans: Any, customer_id: str) -> list[tuple[str, str]]:
    return [d[:2] for d in decisions(plans, customer_id)]


def test_a_policy_pending_three_days_gets_one_reminder_however_often_it_is_scanned(
    running: Sources, rasa: RasaStandIn, tmp_path: Path
) -> None:
    """POL-50009 (C-1012, Leeds) has been pending since 6 November."""
    worker, plans, _ = make_worker(running, rasa, tmp_path, lists=True)
    running.link_whatsapp("C-1012", "whatsapp-pending")
    running.link_whatsapp("C-1029", "whatsapp-at-risk")  # at risk, marketing consent
    worker.tick(datetime(2026, 11, 8, 10, 0, tzinfo=UTC))  # pending two days: not yet
    assert decisions(plans, "C-1012") == []
    day = datetime(2026, 11, 9, 10, 0, tzinfo=UTC)
    for minutes in (0, 1, 6, 12, 60, 60 * 24):  # scanned again and again; due after an hour
        worker.tick(day + timedelta(minutes=minutes))
    assert worker.scan(day + timedelta(days=2)) == 0
    assert decisions(plans, "C-1012") == [
        ("sent", "allowed", "whatsapp", "utter_outreach_activation_reminder")
    ]
    [sent] = rasa.sent("whatsapp-pending")
    assert (sent["outreach_record"], sent["outreach_disclose"]) == ("POL-50009", "yes")
    # The at-risk check-in: once, and only to a customer who consented to marketing.
    assert reasons(running, plans, "C-1029") == [("sent", "allowed")]
    assert rasa.sent("whatsapp-at-risk")[0]["outreach_response"] == "utter_outreach_checkin"
    assert reasons(running, plans, "C-1016") == [("suppressed", "consent")]


def test_a_policy_activated_before_the_reminder_goes_is_resolved(
    running: Sources, rasa: RasaStandIn, tmp_path: Path
) -> None:
    """POL-50013 (C-1018, Manchester): planned at night, activated before the morning."""
    worker, plans, _ = make_worker(running, rasa, tmp_path, lists=True)
    running.link_whatsapp("C-1018", "whatsapp-activated")
    worker.tick(datetime(2026, 11, 9, 21, 0, tzinfo=UTC))  # planned, due an hour later
    worker.tick(datetime(2026, 11, 9, 22, 0, tzinfo=UTC))  # 22:00 in Manchester
    assert reasons(running, plans, "C-1018") == [("deferred", "quiet_hours")]
    activated = requests.post(
        f"{running.config.backend_url}/device_policies/POL-50013/activation",
        json={
            "customer_id": "C-1018",
            "device": "Pulse 2 smartwatch",
            "device_serial": "PW2TEST0001",
            "terms_version": "2026-01",
            "terms_accepted": True,
        },
        headers={"Idempotency-Key": "test-conditions-activate-50013"},
        timeout=10,
    )
    assert activated.status_code == 200, activated.text
    worker.tick(datetime(2026, 11, 10, 8, 0, tzinfo=UTC))
    assert reasons(running, plans, "C-1018") == [
        ("deferred", "quiet_hours"),
        ("suppressed", "stop:problem_resolved"),
    ]
    assert rasa.sent("whatsapp-activated") == []


def test_an_open_complaint_in_the_crm_stops_the_reminder(
    running: Sources, rasa: RasaStandIn, tmp_path: Path
) -> None:
    worker, plans, _ = make_worker(running, rasa, tmp_path, lists=True)
    running.link_whatsapp(COMPLAINT, "whatsapp-complaint")
    worker.tick(datetime(2026, 11, 9, 10, 0, tzinfo=UTC))
    worker.tick(datetime(2026, 11, 9, 11, 0, tzinfo=UTC))
    assert decisions(plans, COMPLAINT) == [("suppressed", "stop:open_complaint", None, None)]
    assert rasa.sent("whatsapp-complaint") == []


def test_a_topic_never_automated_on_file_stops_a_payment_reminder(
    running: Sources, rasa: RasaStandIn, tmp_path: Path
) -> None:
    """C-1003 was handed to a person three days ago for a bereavement (the hand-over's
    reason in the memory's timeline); then a payment of theirs fails."""
    worker, plans, _ = make_worker(running, rasa, tmp_path)
    running.link_whatsapp("C-1003", "whatsapp-bereaved")
    then = time.time() - 3 * 86400
    answer = running.memory.put(
        "/conversations",
        {
            "conversation_id": "whatsapp-bereaved",
            "customer_id": "C-1003",
            "channel": "twilio",
            "started_at": then - 300,
            "last_at": then,
            "outcomes": [
                {
                    "action": "action_escalate",
                    "goal": "hand_over",
                    "result": "handed_over",
                    "reason": "sensitive_topic:bereavement",
                }
            ],
            "handed_over": True,
            "ended": True,
        },
    )
    assert answer.status_code == 200, answer.text
    bad = running.memory.put(
        "/conversations",
        {**answer.json(), "outcomes": [{"action": "a", "result": "x", "reason": "<b>"}]},
    )
    assert bad.status_code == 422  # a reason is a code, never text
    running.event("C-1003", "INV-900007")
    clock = datetime.now(UTC).replace(hour=11)
    worker.tick(clock)
    worker.tick(clock + timedelta(minutes=30))
    assert decisions(plans, "C-1003") == [("suppressed", "stop:never_automated_topic", None, None)]
    assert rasa.sent("whatsapp-bereaved") == []


def test_the_service_plans_a_reminder_once_across_its_scans_and_respects_the_complaint(
    running: Sources, rasa: RasaStandIn, tmp_path: Path
) -> None:
    """The outreach service as `make run` starts it (the real clock: every pending
    policy of the fixture is weeks old), scanning twice a second."""
    raw = yaml.safe_load(DEFAULT_PATH.read_text())
    raw["holdout_share"] = 0
    for rule in ("activation_reminder", "at_risk_checkin"):
        raw["rules"][rule]["delay_minutes"] = 0
    away = datetime.now(UTC) + timedelta(hours=12)  # quiet hours far from now everywhere
    raw["quiet_hours"] = {
        "start": away.strftime("%H:%M"),
        "end": (away + timedelta(minutes=1)).strftime("%H:%M"),
    }
    rules = tmp_path / "outreach.yml"
    rules.write_text(yaml.safe_dump(raw, allow_unicode=True))
    running.link_whatsapp("C-1012", "whatsapp-pending")
    running.link_whatsapp(COMPLAINT, "whatsapp-complaint")
    config = dataclasses.replace(
        running.config, outreach_database_url=f"sqlite:///{tmp_path / 'outreach.db'}"
    )
    base = outreach(config)
    env = {
        **base.env,
        "RASA_URL": rasa.url,
        "RASA_API_TOKEN": TOKEN,
        "OUTREACH_CONFIG": str(rules),
        "OUTREACH_POLL_SECONDS": "0.2",
        "OUTREACH_SCAN_SECONDS": "0.5",
    }
    service = dataclasses.replace(base, env=env).start()

    def log(customer_id: str) -> list[tuple[str, str, str | None]]:
        answer = requests.get(
            f"{config.outreach_url}/customers/{customer_id}/decisions",
            headers={"Authorization": f"Bearer {config.outreach_api_token}"},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        return [(d["action"], d["reason"], d["response"]) for d in answer.json()["decisions"]]

    try:
        wait_for(lambda: log("C-1012") and log(COMPLAINT))
        time.sleep(2)  # four more scans
        assert log("C-1012") == [("sent", "allowed", "utter_outreach_activation_reminder")]
        assert log(COMPLAINT) == [("suppressed", "stop:open_complaint", None)]
        assert "outreach.scan.unavailable" not in service.log_tail()
    finally:
        service.stop()
    assert len(rasa.sent("whatsapp-pending")) == 1
