"""The worker with a controlled clock, against the real memory (events, links,
conversations) and the real backend (is the invoice paid?) over HTTP; Rasa's API is a
stand-in here (the real one in test_send_whatsapp.py). Each decision is read back from
the log."""

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml

from common.database import create_db_engine
from connectors.voice_outreach import call_plan
from outreach.config import DEFAULT_PATH, OutreachConfig, load_config, parse_config
from outreach.delivery import RasaDelivery
from outreach.governance import Decision
from outreach.ledger import ConsentLedger
from outreach.plans import PlanStore
from outreach.sources import Backend, Facts, Memory
from outreach.voice import TwilioCalls
from outreach.worker import MailNaming, Worker
from tests.channels.twilio_fake import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, VOICE_NUMBER, TwilioApi
from tests.outreach.rasa_fake import TOKEN, RasaStandIn
from tests.outreach.support import FIXTURE, Sources, sources
from tests.support.crm import customer

# Mid-morning in London and Berlin: outside quiet hours everywhere the fixture lives.
MORNING = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
DELAY = timedelta(minutes=30)  # outreach.yml's payment_failed delay


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sources]:
    with sources(tmp_path_factory.mktemp("outreach-sources")) as started:
        yield started


@pytest.fixture
def rasa() -> Iterator[RasaStandIn]:
    with RasaStandIn() as fake:
        yield fake


def make_worker(
    running: Sources,
    rasa: RasaStandIn,
    home: Path,
    config: OutreachConfig | None = None,
    mail: MailNaming | None = None,
    lists: bool = False,
    calls: TwilioCalls | None = None,
) -> tuple[Worker, PlanStore, ConsentLedger]:
    """A worker with its own database, reading the feed from now on (and sending
    e-mail too when given the e-mail secret and domain; scanning the backend's lists
    for the condition rules when given `lists`)."""
    engine = create_db_engine(f"sqlite:///{home / 'outreach.db'}")
    plans, ledger = PlanStore(engine), ConsentLedger(engine)
    ledger.seed_from_fixture(FIXTURE, MORNING - timedelta(days=30))
    memory = Memory(running.config.memory_url, running.config.memory_api_token)
    worker = Worker(
        config or load_config(),
        plans,
        ledger,
        memory,
        Facts(
            memory,
            Backend(
                running.config.backend_url, running.config.backend_list_token if lists else None
            ),
            email=mail is not None,
            voice=calls is not None,
        ),
        RasaDelivery(rasa.url, TOKEN, wait=0.01),
        mail,
        calls,
    )
    head = plans.cursor()
    while events := memory.events_after(head)[0]:
        head = events[-1]["id"]
    plans.plan([], {}, head, MORNING)
    return worker, plans, ledger


def decisions(plans: PlanStore, customer_id: str) -> list[tuple[Any, ...]]:
    return [
        (d["action"], d["reason"], d["channel"], d["response"])
        for d in plans.log(customer_id, 0, 100)
    ]


def test_quiet_hours_defer_the_send_to_the_morning_in_the_customers_zone(
    running: Sources, rasa: RasaStandIn, tmp_path: Path
) -> None:
    worker, plans, _ = make_worker(running, rasa, tmp_path)
    running.link_whatsapp("C-1031", "whatsapp-koeln")  # Köln: Europe/Berlin
    evening = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)  # 21:00 in Köln
    running.event("C-1031", "INV-900085")
    worker.tick(evening)
    assert decisions(plans, "C-1031") == []  # planned, not yet due
    worker.tick(evening + DELAY)
    [deferred] = plans.log("C-1031", 0, 10)
    assert (deferred["action"], deferred["reason"]) == ("deferred", "quiet_hours")
    # 08:00 in Köln is 07:00 UTC in winter.
    assert deferred["not_before"] == "2026-12-01T07:00:00+00:00"
    worker.tick(datetime(2026, 12, 1, 6, 59, tzinfo=UTC))
    assert rasa.sent() == []
    worker.tick(datetime(2026, 12, 1, 7, 0, tzinfo=UTC))
    assert decisions(plans, "C-1031")[-1] == (
        "sent",
        "allowed",
        "whatsapp",
        "utter_outreach_payment_failed",
    )
    [sent] = rasa.sent("whatsapp-koeln")
    assert sent["outreach_response"] == "utter_outreach_payment_failed"
    assert sent["outreach_disclose"] == "yes" and sent["outreach_record"] == "INV-900085"


def test_the_cap_suppresses_the_third_message_of_a_day(
    running: Sources, rasa: RasaStandIn, tmp_path: Path
) -> None:
    worker, plans, _ = make_worker(running, rasa, tmp_path)
    running.link_whatsapp("C-1021", "whatsapp-cap")
    for attempt in ("card expired", "insufficient funds", "card blocked"):
        running.event("C-1021", "INV-900055", attempt)
    worker.tick(MORNING)
    worker.tick(MORNING + DELAY)
    assert [d[:2] for d in decisions(plans, "C-1021")] == [
        ("sent", "allowed"),
        ("sent", "allowed"),
        ("suppressed", "cap:per_day"),
    ]
    sent = rasa.sent("whatsapp-cap")
    assert [s["outreach_disclose"] for s in sent] == ["yes", "no"]  # the first one says who
    worker.read_feed(MORNING + DELAY)  # the feed read again plans nothing twice
    plans.plan(
        running.memory.get("/events", after=0, limit=500).json()["events"],
        worker.config.rules,
        0,
        MORNING,
    )
    worker.tick(MORNING + 2 * DELAY)
    assert len(rasa.sent("whatsapp-cap")) == 2 and len(decisions(plans, "C-1021")) == 3


def test_a_payment_made_before_the_send_cancels_it(
    running: Sources, rasa: RasaStandIn, tmp_path: Path
) -> None:
    worker, plans, _ = make_worker(running, rasa, tmp_path)
    running.link_whatsapp("C-1015", "whatsapp-paid")
    running.event("C-1015", "INV-900043")
    worker.tick(MORNING)
    running.pay("INV-900043")
    worker.tick(MORNING + DELAY)
    assert decisions(plans, "C-1015") == [("suppressed", "stop:problem_resolved", None, None)]
    assert rasa.sent() == []


def test_stop_on_whatsapp_stops_the_email_outreach_too(
    running: Sources, rasa: RasaStandIn, tmp_path: Path
) -> None:
    worker, plans, ledger = make_worker(running, rasa, tmp_path)
    running.link_whatsapp("C-1043", "whatsapp-stop")
    ledger.opt_out("C-1043", "service", "customer:twilio", MORNING, key="stop-1043")
    running.event("C-1043", "INV-900115")
    worker.tick(MORNING)
    worker.tick(MORNING + DELAY)
    [entry] = plans.log("C-1043", 0, 10)
    assert (entry["action"], entry["reason"]) == ("suppressed", "consent")
    assert entry["skipped"] == [["whatsapp", "consent"], ["email", "consent"], ["voice", "consent"]]
    assert rasa.sent() == []


def test_a_customer_talking_to_an_agent_is_not_messaged(
    running: Sources, rasa: RasaStandIn, tmp_path: Path
) -> None:
    raw = yaml.safe_load(DEFAULT_PATH.read_text())
    rule = raw["rules"]["payment_failed"]
    rule["stop_when"] = [c for c in rule["stop_when"] if c != {"contacted_recently": {"hours": 24}}]
    worker, plans, _ = make_worker(running, rasa, tmp_path, parse_config(raw))
    running.link_whatsapp("C-1047", "whatsapp-agent")
    now = time.time()
    answer = running.memory.put(
        "/conversations",
        {
            "conversation_id": "whatsapp-agent",
            "customer_id": "C-1047",
            "channel": "twilio",
            "started_at": now - 120,
            "last_at": now - 60,
            "outcomes": [{"action": "action_human_handoff", "result": "handed_over"}],
            "handed_over": True,
        },
    )
    assert answer.status_code == 200, answer.text
    running.event("C-1047", "INV-900127")
    clock = datetime.now(UTC).replace(hour=11)  # daytime in Valencia
    worker.tick(clock)
    worker.tick(clock + DELAY)
    assert decisions(plans, "C-1047") == [
        ("suppressed", "stop:agent_holds_conversation", None, None)
    ]
    assert rasa.sent() == []


def test_an_unreachable_rasa_is_retried_with_backoff_then_recorded_as_failed(
    running: Sources, rasa: RasaStandIn, tmp_path: Path
) -> None:
    worker, plans, _ = make_worker(running, rasa, tmp_path)
    worker.delivery = RasaDelivery("http://127.0.0.1:9", TOKEN, attempts=2, wait=0.01)
    running.link_whatsapp("C-1048", "whatsapp-down")
    running.event("C-1048", "INV-900130")
    worker.tick(MORNING)
    at = MORNING + DELAY
    for minutes in (0, 1, 2, 4, 8):  # tried again after 1, 2, 4, 8 minutes
        at += timedelta(minutes=minutes)
        assert decisions(plans, "C-1048") == []
        worker.tick(at)
    assert decisions(plans, "C-1048") == [("failed", "unreachable", "whatsapp", None)]


def test_the_hold_out_group_is_recorded_as_a_decision(
    running: Sources, rasa: RasaStandIn, tmp_path: Path
) -> None:
    """C-1028 falls in outreach.yml's 10 % hold-out: measured, never messaged."""
    worker, plans, _ = make_worker(running, rasa, tmp_path)
    running.link_whatsapp("C-1028", "whatsapp-holdout")
    running.event("C-1028", "INV-900076")
    worker.tick(MORNING)
    worker.tick(MORNING + DELAY)
    assert decisions(plans, "C-1028") == [("suppressed", "holdout", None, None)]
    assert rasa.sent() == []


def test_of_two_workers_on_one_database_one_sends(
    running: Sources, rasa: RasaStandIn, tmp_path: Path
) -> None:
    """Both read the same due plan; the one that moves it first sends, the other skips."""
    worker, plans, _ = make_worker(running, rasa, tmp_path)
    running.link_whatsapp("C-1003", "whatsapp-two-workers")
    running.event("C-1003", "INV-900007")
    worker.tick(MORNING)
    [plan] = plans.due(MORNING + DELAY)
    worker.handle(plan, MORNING + DELAY)
    worker.handle(plan, MORNING + DELAY)  # the second worker, with what it read before
    assert [d[:2] for d in decisions(plans, "C-1003")] == [("sent", "allowed")]
    assert len(rasa.sent("whatsapp-two-workers")) == 1


def test_a_call_is_placed_once_and_one_cut_short_by_a_restart_is_not_placed_again(
    running: Sources, rasa: RasaStandIn, tmp_path: Path
) -> None:
    """No WhatsApp conversation, no e-mail: the CRM's phone, through the Calls API."""
    with TwilioApi() as twilio:
        calls = TwilioCalls(ACCOUNT_SID, AUTH_TOKEN, VOICE_NUMBER, PUBLIC_URL, twilio.url)
        worker, plans, _ = make_worker(running, rasa, tmp_path, calls=calls)
        running.event("C-1005", "INV-900013")
        worker.tick(MORNING)
        worker.tick(MORNING + DELAY)
        [call] = twilio.calls_to(customer("C-1005")["phone"])
        assert call.form["From"] == VOICE_NUMBER and call.path.endswith("/Calls.json")
        plan = call_plan(dict(parse_qsl(urlsplit(call.form["Url"]).query)))
        assert plan is not None and plan["record"] == "INV-900013"
        assert decisions(plans, "C-1005") == [
            ("sent", "allowed", "voice", "utter_outreach_payment_failed")
        ]
        worker.tick(MORNING + 3 * DELAY)
        assert len(twilio.calls_to(customer("C-1005")["phone"])) == 1

        # A worker that died while placing a call leaves its plan `sending`.
        running.event("C-1008", "INV-900022")
        worker.tick(MORNING + DELAY)
        [cut] = plans.due(MORNING + 2 * DELAY)
        plans.sending(cut, Decision("send", "allowed", "voice", disclose=True), MORNING)
        worker.tick(MORNING + 2 * DELAY + timedelta(minutes=3))  # its lease is over
        assert twilio.calls_to(customer("C-1008")["phone"]) == []
        assert [d[:2] for d in decisions(plans, "C-1008")] == [("failed", "call_unknown")]
