"""Every sentence the actions send is a response in domain.yml, and every `{variable}`
in every variant of it (text, voice, e-mail) is one the action fills.

Call sites with literal variables are read from the source (ast); the ones whose
variables are built at run time (answers, policy answers, the hand-over notice) are
checked on what their builders return for every branch, and action_answer_request /
action_answer_policy are run against tracker fixtures, a CollectingDispatcher and
the real sample backend."""

import ast
import asyncio
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client as backend
from actions import lockout
from actions.answers import ActionAnswerRequest
from actions.handoff_notice import REASON_RESPONSES, handoff_notice
from actions.policy_answers import ActionAnswerPolicy
from actions.records import TOPICS
from actions.render import (
    NOTHING_OPEN,
    POLICY_ANSWERS,
    Answer,
    claim_answer,
    invoice_answer,
    not_on_account,
    order_answer,
    support_hours_answer,
)
from actions.responses import placeholders, responses
from actions.settings import settings
from tests.backend.support import start_backend
from tests.support.crm import crm

ACTIONS = Path(__file__).resolve().parents[2] / "actions"
POLICIES = crm()["policies"]
HOURS = {
    "time_zone": "Europe/Berlin",
    "days": ["mon", "tue", "wed", "thu", "fri"],
    "open": "08:00",
    "close": "20:00",
}
UTC = UTC


def utter_calls() -> Iterator[tuple[str, ast.Call]]:
    for path in sorted(ACTIONS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "utter_message"
            ):
                yield f"{path.name}:{node.lineno}", node


def test_no_action_sends_text_of_its_own() -> None:
    """`grep -rn "utter_message(text=" actions` comes back empty, and stays so."""
    sites = [
        where
        for where, call in utter_calls()
        if any(k.arg in ("text", "template") for k in call.keywords)
    ]
    assert sites == []


def literal_sites() -> list[tuple[str, str, set[str]]]:
    """(where, response, variables passed) of every call naming its response and all
    its variables literally."""
    found = []
    for where, call in utter_calls():
        keywords = {k.arg: k.value for k in call.keywords}
        response = keywords.get("response")
        if isinstance(response, ast.Constant) and None not in keywords:
            found.append((where, str(response.value), {k for k in keywords if k}))
    return found


def test_every_call_names_a_response() -> None:
    for where, call in utter_calls():
        assert any(k.arg == "response" for k in call.keywords), where


@pytest.mark.parametrize("where,response,passed", literal_sites(), ids=lambda x: str(x))
def test_every_literal_call_fills_its_response(where: str, response: str, passed: set[str]) -> None:
    assert response in responses(), where
    assert placeholders(response) <= passed, where


# --- responses whose variables are built at run time ------------------------------


def built_answers() -> list[Answer]:
    """Every branch of the answer builders: the fixture's records and the edge cases."""
    data = crm()
    order = {"id": "BW-1", "status": "delayed", "eta": "2026-12-01", "items": [{"name": "x"}]}
    tracked = {"carrier": "DPD", "tracking_number": "TRK1"}
    orders = [
        order,
        {**order, **tracked},
        {**order, "delay_reason": "snow"},
        {**order, "delay_reason": "snow", **tracked},
        {**order, "status": "lost"},
        *({**order, "status": s} for s in ("shipped", "out_for_delivery")),
        *({**order, "status": s, **tracked} for s in ("shipped", "out_for_delivery")),
    ]
    claim = {"id": "CLM-1", "status": "open"}
    claims = [
        claim,
        {**claim, "payout": 5},
        {**claim, "next_step": "Wait."},
        {**claim, "payout": 5, "next_step": "Wait."},
    ]
    invoice = {"id": "INV-1", "amount": 5, "status": "failed", "method": "card"}
    invoices = [
        invoice,
        {**invoice, "failure_reason": "card expired"},
        {**invoice, "status": "disputed"},
    ]
    return (
        [order_answer(o) for o in data["orders"] + orders]
        + [claim_answer(c) for c in data["claims"] + claims]
        + [invoice_answer(i, POLICIES) for i in data["invoices"] + invoices]
        + [answer(POLICIES, "en") for answer in POLICY_ANSWERS.values()]
        + [support_hours_answer(HOURS, POLICIES, datetime(2026, 11, 25, 9, tzinfo=UTC))]
        + [(name, {}) for name in NOTHING_OPEN.values()]
        + [
            ("utter_record_not_on_account", not_on_account(kind, "BW-1"))
            for kind in TOPICS.values()
        ]
    )


def built_notices() -> list[Answer]:
    """Every reason and every next step of the hand-over notice, from desk receipts
    (contract K2) within and outside hours, on text and on a call."""
    wednesday = datetime(2026, 11, 25, 9, tzinfo=UTC)
    live = {
        "id": "a" * 32,
        "reference": "H-AAAAAA",
        "status": "waiting",
        "position": 2,
        "expected_wait_minutes": 6,
        "open_now": True,
        "next_open": None,
        "hours": HOURS,
    }
    ticket = {
        **live,
        "status": "ticket",
        "expected_wait_minutes": None,
        "open_now": False,
        "next_open": "2026-11-30T08:00:00+01:00",
    }
    cases = [
        (live, "rest", False),
        ({**live, "position": 0}, "rest", False),
        (ticket, "rest", False),
        ({"open_now": False}, "rest", False),
        (live, "twilio_voice", True),
        (live, "twilio_voice", False),
        (ticket, "twilio_voice", True),
    ]
    reasons = [*REASON_RESPONSES, "sensitive_topic:other", "anything_else"]
    return [
        (m["response"], m["variables"])
        for reason in reasons
        for receipt, channel, can in cases
        for can_text in (True, False)
        for m in handoff_notice(
            reason, receipt, channel, can, wednesday, can_text=can_text
        ).messages
    ]


@pytest.mark.parametrize("answer", built_answers() + built_notices(), ids=lambda a: a[0])
def test_every_built_response_is_filled(answer: Answer) -> None:
    name, variables = answer
    assert name in responses()
    assert placeholders(name) <= set(variables)
    assert all(value not in (None, "") for value in variables.values()), variables


def test_every_answer_response_in_the_domain_is_used() -> None:
    """No response of the answers or the notice that no branch sends (a dead sentence)."""
    used = {name for name, _ in built_answers() + built_notices()}
    prefixes = (
        "utter_order_",
        "utter_claim_",
        "utter_invoice_",
        "utter_policy_",
        "utter_no_open_",
        "utter_handoff_",
    )
    # Literal calls in escalate.py; the acknowledgement Rasa sends (stack/handoff_ack.py).
    sent_elsewhere = {"utter_handoff_unavailable", "utter_handoff_reference", "utter_handoff_ack"}
    declared = {name for name in responses() if name.startswith(prefixes)} - sent_elsewhere
    assert declared - used == set()


# --- the actions' run() against tracker fixtures ----------------------------------


@pytest.fixture(scope="module")
def real_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("backend")
    service = start_backend(
        "backend",
        workdir,
        {"DATABASE_URL": f"sqlite:///{workdir / 'backend.db'}", "BACKEND_ADMIN_TOKEN": ""},
    )
    yield service.url
    service.stop()


@pytest.fixture
def action_server(
    real_backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """The action server's process-wide clients pointed at the real backend."""
    monkeypatch.setenv("BACKEND_URL", real_backend)
    monkeypatch.setenv("ASSISTANT_DATABASE_URL", f"sqlite:///{tmp_path / 'assistant.db'}")
    caches = (settings, backend.client, lockout.store)
    for cached in caches:
        cached.cache_clear()
    yield
    for cached in caches:
        cached.cache_clear()


def tracker(
    slots: Mapping[str, Any], intent: str = "check_order_status", channel: str | None = "rest"
) -> Tracker:
    ranked = {"name": intent, "confidence": 1.0}
    latest = {"intent": ranked, "intent_ranking": [ranked], "entities": [], "text": "…"}
    events = [{"event": "user", "text": "…", "parse_data": latest, "input_channel": channel}]
    return Tracker("unit-test", dict(slots), latest, events, False, None, {}, "action_listen")


def run(action: Any, on: Tracker) -> list[dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    asyncio.run(action.run(dispatcher, on, {}))
    return dispatcher.messages


def filled(message: Mapping[str, Any]) -> None:
    """The message names a response and carries every variable it needs."""
    assert message["text"] is None
    assert placeholders(message["response"]) <= set(message)


def test_an_order_answer_names_its_response_and_fills_it(action_server: None) -> None:
    messages = run(
        ActionAnswerRequest(),
        tracker(
            {"request_topic": "order", "order_id": "BW-100002", "verified_customer_id": "C-1001"}
        ),
    )
    assert [m["response"] for m in messages] == ["utter_order_delayed_tracked"]
    filled(messages[0])
    assert messages[0]["order_id"] == "BW-100002"
    assert messages[0]["order_id_spoken"] == "B W 1 0 0 0 0 2"
    assert messages[0]["delay_reason"] == "carrier capacity shortage"
    assert messages[0]["eta"] == "25 November 2026"


def test_open_records_are_one_response_each(action_server: None) -> None:
    customer = "C-1001"
    open_orders = [
        o
        for o in crm()["orders"]
        if o["customer_id"] == customer
        and o["status"] not in ("delivered", "cancelled", "returned")
    ]
    messages = run(
        ActionAnswerRequest(), tracker({"request_topic": "order", "verified_customer_id": customer})
    )
    assert [m["order_id"] for m in messages] == [o["id"] for o in open_orders][:3]
    for message in messages:
        assert message["response"].startswith("utter_order_")
        filled(message)


def test_an_invoice_answer_uses_the_policies(action_server: None) -> None:
    invoice = next(i for i in crm()["invoices"] if i["status"] == "failed")
    messages = run(
        ActionAnswerRequest(),
        tracker(
            {
                "request_topic": "invoice",
                "invoice_id": invoice["id"],
                "verified_customer_id": invoice["customer_id"],
            },
            "check_invoice",
        ),
    )
    assert messages[0]["response"].startswith("utter_invoice_failed")
    filled(messages[0])
    assert messages[0]["alternatives"] == "card, PayPal, bank transfer or Klarna"


def test_someone_elses_record_names_the_id_it_was_given(action_server: None) -> None:
    other = next(o for o in crm()["orders"] if o["customer_id"] != "C-1001")
    messages = run(
        ActionAnswerRequest(),
        tracker(
            {"request_topic": "order", "order_id": other["id"], "verified_customer_id": "C-1001"}
        ),
    )
    assert [m["response"] for m in messages] == ["utter_record_not_on_account"]
    filled(messages[0])
    assert messages[0]["record_id"] == other["id"]


@pytest.mark.parametrize("intent", sorted(POLICY_ANSWERS))
def test_every_policy_answer_names_its_response_and_fills_it(
    action_server: None, intent: str
) -> None:
    messages = run(ActionAnswerPolicy(), tracker({}, intent))
    assert [m["response"] for m in messages] == [POLICY_ANSWERS[intent](POLICIES, "en")[0]]
    filled(messages[0])


def test_a_policy_answer_with_the_backend_down_apologises(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BACKEND_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("BACKEND_RETRIES", "0")
    for cached in (settings, backend.client):
        cached.cache_clear()
    try:
        messages = run(ActionAnswerPolicy(), tracker({}, "ask_warranty"))
    finally:
        for cached in (settings, backend.client):
            cached.cache_clear()
    assert [m["response"] for m in messages] == ["utter_backend_down"]
