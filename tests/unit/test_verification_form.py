"""The verification form's validation and the answer, run against rasa-sdk Trackers,
the real sample backend and a real lockout store: what an unverified customer is
told about existing and unknown records, and how the record lock holds."""

import asyncio
import functools
import socket
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client, lockout
from actions.answers import ActionAnswerRequest
from actions.identity import sign
from actions.outcomes import OUTCOMES
from actions.settings import settings
from actions.slots import (
    BACKEND_ERROR,
    CLAIMED_BY_EMAIL,
    CLAIMED_CUSTOMER_ID,
    FACTOR_CONFIRMED,
    FACTOR_REFUSED,
    KNOWLEDGE_FACTOR,
    NO_SUCH_OWNER,
    PENDING_CLAIM,
    PENDING_FACTOR,
    VERIFICATION_ATTEMPTS,
    VERIFICATION_FAILED,
    VERIFICATION_LOCKED,
    VERIFIED_CUSTOMER_ID,
    no_such_owner,
    request_finished,
)
from actions.verification import ValidateVerificationForm, needed_slots
from tests.backend.support import start_backend
from tests.support.crm import crm, customer

MAX_FAILURES = 3
MAX_ATTEMPTS = 2
SECRET = "unit-secret"
POSTCODE = customer("C-1001")["postcode"]


def synchronous(test: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    """An async test run to completion (the actions are coroutines)."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


@pytest.fixture(scope="module")
def backend_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("form-backend")
    service = start_backend(
        "backend",
        workdir,
        {"DATABASE_URL": f"sqlite:///{workdir / 'backend.db'}", "BACKEND_ADMIN_TOKEN": ""},
    )
    yield service.url
    service.stop()


@pytest.fixture(autouse=True)
def configured(backend_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Settings, backend client and store from this test's environment, and only it."""
    monkeypatch.setenv("BACKEND_URL", backend_url)
    monkeypatch.setenv("ASSISTANT_DATABASE_URL", f"sqlite:///{tmp_path / 'assistant.db'}")
    monkeypatch.setenv("VERIFICATION_MAX_FAILURES", str(MAX_FAILURES))
    monkeypatch.setenv("VERIFICATION_MAX_ATTEMPTS", str(MAX_ATTEMPTS))
    monkeypatch.setenv("SWITCHBOARD_INTEGRATION_SECRET", SECRET)
    caches = (settings, backend_client.client, lockout.store)
    for cache in caches:
        cache.cache_clear()
    yield
    for cache in caches:
        cache.cache_clear()


def tracker(
    text: str,
    candidates: dict[str, Any],
    slots: dict[str, Any] | None = None,
    sender: str = "conversation-1",
    metadata: dict[str, Any] | None = None,
) -> Tracker:
    """The tracker as the form's validation sees it: the customer's message, then the
    slot candidates extracted from it."""
    events: list[dict[str, Any]] = [
        {
            "event": "user",
            "text": text,
            "input_channel": "rest",
            "metadata": metadata or {},
            "parse_data": {"intent": {"name": "inform"}, "entities": []},
        },
        *({"event": "slot", "name": name, "value": value} for name, value in candidates.items()),
    ]
    all_slots = {
        "request_topic": "order",
        "verification_attempts": 0,
        "verification_failed": False,
        "verification_locked": False,
        "backend_error": False,
        **(slots or {}),
        **candidates,
    }
    return Tracker(
        sender,
        all_slots,
        {"text": text, "metadata": metadata or {}, "intent": {"name": "inform"}, "entities": []},
        events,
        False,
        None,
        {"name": "verification_form"},
        "action_listen",
    )


async def validate(track: Tracker) -> tuple:
    """The slots the validation sets (but the outcome record) and the responses it sends."""
    dispatcher = CollectingDispatcher()
    events = await ValidateVerificationForm().get_validation_events(dispatcher, track, {})
    return (
        {e["name"]: e["value"] for e in events if e["name"] != OUTCOMES},
        [(m["response"], m.get("attempts_left")) for m in dispatcher.messages],
    )


async def outcomes_of(track: Tracker) -> list[tuple[str, str, str | None, dict[str, Any]]]:
    """What the validation recorded: (goal, result, record, detail) of each outcome."""
    events = await ValidateVerificationForm().get_validation_events(
        CollectingDispatcher(), track, {}
    )
    recorded = [e["value"] for e in events if e["name"] == OUTCOMES]
    return [
        (o["goal"], o["result"], o["record"], o["detail"])
        for o in (recorded[-1] if recorded else [])
    ]


async def give_reference(order_id: str, sender: str = "conversation-1") -> dict[str, Any]:
    slots, said = await validate(
        tracker(f"where is {order_id}", {"order_id": order_id}, sender=sender)
    )
    assert said == []  # nothing about the record, whether it exists or not
    return slots


async def give_factor(factor: str, slots: dict[str, Any]) -> tuple:
    return await validate(tracker(factor, {KNOWLEDGE_FACTOR: factor}, slots))


@synchronous
async def test_existing_and_unknown_orders_both_ask_for_the_factor() -> None:
    for order_id in ("BW-100002", "BW-999999"):
        slots = await give_reference(order_id)
        assert slots["order_id"] == order_id and slots[CLAIMED_CUSTOMER_ID]
        followed = tracker("", {}, slots)
        assert needed_slots(followed) == [KNOWLEDGE_FACTOR]
    assert (await give_reference("BW-999999"))[CLAIMED_CUSTOMER_ID] == no_such_owner(
        "orders", "BW-999999"
    )


@synchronous
async def test_an_email_address_names_the_customer_and_proves_nothing() -> None:
    owner = customer("C-1001")
    asked = {"request_topic": "invoice"}
    for address, known in ((owner["email"].upper(), True), ("nobody@example.com", False)):
        slots, said = await validate(tracker(f"my email is {address}", {}, asked))
        claimed = slots[CLAIMED_CUSTOMER_ID]
        assert (set(slots), slots[CLAIMED_BY_EMAIL], said) == (
            {CLAIMED_CUSTOMER_ID, CLAIMED_BY_EMAIL},
            True,
            [],
        )
        # Nobody's address is claimed under a key of its own (hashed: no address kept).
        assert (
            claimed == "C-1001"
            if known
            else (claimed.startswith(NO_SUCH_OWNER) and "nobody" not in claimed)
        )
        assert needed_slots(tracker("", {}, {**asked, **slots})) == [KNOWLEDGE_FACTOR]
    slots = {**asked, CLAIMED_CUSTOMER_ID: "C-1001", CLAIMED_BY_EMAIL: True}
    # The address again is no answer (and no attempt); the postcode is.
    assert await give_factor(owner["email"], slots) == (
        {KNOWLEDGE_FACTOR: None},
        [("utter_factor_not_understood", None)],
    )
    verified, said = await give_factor(f"postcode {POSTCODE}", slots)
    assert verified[VERIFIED_CUSTOMER_ID] == "C-1001" and said == []
    assert verified[KNOWLEDGE_FACTOR] == FACTOR_CONFIRMED


@synchronous
async def test_an_email_address_with_a_record_number_is_the_factor() -> None:
    owner = customer("C-1001")
    slots, _ = await validate(
        tracker(f"where is BW-100002, {owner['email']}", {"order_id": "BW-100002"})
    )
    assert slots[VERIFIED_CUSTOMER_ID] == "C-1001" and CLAIMED_BY_EMAIL not in slots
    slots, _ = await validate(
        tracker(
            f"my e-mail is {owner['email']}, postcode {POSTCODE}", {}, {"request_topic": "claim"}
        )
    )
    assert slots[VERIFIED_CUSTOMER_ID] == "C-1001" and slots[CLAIMED_BY_EMAIL] is True


@synchronous
async def test_the_number_a_channel_vouches_for_names_the_claimed_customer() -> None:
    """The connector passes the caller's number; the action looks it up in the CRM."""
    for channel, number, claimed in [
        ("twilio_voice", "+447700998515", "C-1001"),
        ("twilio", "+447700998515", "C-1001"),
        ("twilio_voice", "+15550000000", None),
        ("rest", "+447700998515", None),
    ]:
        track = tracker("hello", {}, metadata={"channel_number": number})
        track.events[0]["input_channel"] = channel
        slots, said = await validate(track)
        assert slots.get(CLAIMED_CUSTOMER_ID) == claimed and said == []


def mismatch(left: int) -> tuple[str, int | None]:
    """What a wrong answer is told, with so many attempts left (never "1 attempts")."""
    if left == 1:
        return ("utter_factor_mismatch_last_attempt", None)
    return ("utter_factor_mismatch", left)


@synchronous
async def test_an_answer_for_an_unknown_order_reads_like_a_wrong_one() -> None:
    existing, unknown = await give_reference("BW-100002"), await give_reference("BW-999999")
    for attempt in range(1, MAX_ATTEMPTS):
        known_slots, known_said = await give_factor("12345", existing)
        unknown_slots, unknown_said = await give_factor(POSTCODE, unknown)
        assert known_said == unknown_said == [mismatch(MAX_ATTEMPTS - attempt)]
        assert (
            known_slots == unknown_slots == {KNOWLEDGE_FACTOR: None, VERIFICATION_ATTEMPTS: attempt}
        )
        existing.update(known_slots)
        unknown.update(unknown_slots)
    assert (await give_factor("12345", existing)) == (await give_factor(POSTCODE, unknown))


@synchronous
async def test_a_malformed_reference_is_refused() -> None:
    slots, said = await validate(tracker("where is BW-12", {"order_id": "BW-12"}))
    assert slots == {"order_id": None}
    assert said == [("utter_reference_malformed", None)]


@synchronous
async def test_failures_across_conversations_lock_the_record() -> None:
    for conversation in range(MAX_FAILURES):
        slots = await give_reference("BW-100002", sender=f"conversation-{conversation}")
        result, _ = await give_factor("12345", slots)
        assert VERIFIED_CUSTOMER_ID not in result
    assert result.get(VERIFICATION_LOCKED) is True and result[KNOWLEDGE_FACTOR] == FACTOR_REFUSED
    # A fresh conversation (a restart, another channel) with the right answer.
    slots = await give_reference("BW-100002", sender="after-restart")
    result, said = await give_factor(POSTCODE, slots)
    assert result == {KNOWLEDGE_FACTOR: FACTOR_REFUSED, VERIFICATION_LOCKED: True}
    assert said == []
    assert needed_slots(tracker("", {}, {**slots, **result})) == []


@synchronous
async def test_an_unlock_lets_the_right_answer_verify() -> None:
    store = lockout.store()
    for _ in range(MAX_FAILURES):
        store.record_failure("C-1001")
    store.unlock("C-1001", "dana")
    result, _ = await give_factor(POSTCODE, await give_reference("BW-100002"))
    assert result[VERIFIED_CUSTOMER_ID] == "C-1001"


@synchronous
async def test_the_per_conversation_limit_still_ends_the_session() -> None:
    slots = await give_reference("BW-100002")
    for _ in range(MAX_ATTEMPTS):
        result, _ = await give_factor("12345", slots)
        slots.update(result)
    assert slots[VERIFICATION_FAILED] is True and not slots.get(VERIFICATION_LOCKED)
    assert lockout.store().status("C-1001").failures == MAX_ATTEMPTS


@synchronous
async def test_the_form_records_each_verdict_without_the_answer_given() -> None:
    slots = await give_reference("BW-100002")
    wrong = tracker("12345", {KNOWLEDGE_FACTOR: "12345"}, slots)
    assert await outcomes_of(wrong) == [
        ("verify_identity", "failed", "C-1001", {"attempts": 1, "attempts_left": 1})
    ]

    def right() -> Tracker:
        return tracker(f"it's {POSTCODE}", {KNOWLEDGE_FACTOR: f"it's {POSTCODE}"}, slots)

    assert await outcomes_of(right()) == [
        ("verify_identity", "verified", "C-1001", {"method": "postcode"})
    ]
    for _ in range(MAX_FAILURES):
        lockout.store().record_failure("C-1001")
    assert await outcomes_of(right()) == [
        ("verify_identity", "refused", "C-1001", {"reason": "locked"})
    ]
    assert await outcomes_of(tracker("where is BW-100002", {"order_id": "BW-100002"})) == []


@synchronous
async def test_a_vouched_customer_is_recorded_as_verified_by_the_channel() -> None:
    vouch = {
        "verified_customer_id": "C-1001",
        "verification_signature": sign(SECRET, "web-1", "C-1001"),
    }
    track = tracker("where is BW-100005", {"order_id": "BW-100005"}, sender="web-1", metadata=vouch)
    assert await outcomes_of(track) == [
        ("check_order_status", "not_found", "BW-100005", {}),  # C-1003's order
        ("verify_identity", "verified", "C-1001", {"method": "signed-in channel"}),
    ]


async def answer(
    slots: dict[str, Any], metadata: dict[str, Any] | None = None, sender: str = "conversation-1"
) -> list[str]:
    return (await answer_and_record(slots, metadata, sender))[0]


async def answer_and_record(
    slots: dict[str, Any], metadata: dict[str, Any] | None = None, sender: str = "conversation-1"
) -> tuple[list[str], dict[str, Any]]:
    """What the answer says, and the outcome it records."""
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerRequest().run(
        dispatcher, tracker("ok", {}, slots, sender, metadata), {}
    )
    [recorded] = [e["value"][-1] for e in events if e["name"] == OUTCOMES]
    return [m.get("response") or m.get("text") for m in dispatcher.messages], recorded


@synchronous
async def test_the_answer_records_how_the_request_ended() -> None:
    verified = {VERIFIED_CUSTOMER_ID: "C-1001"}
    cases = [
        ({"order_id": "BW-100002", **verified}, ("answered", "BW-100002", {})),
        ({**verified}, ("answered", None, {"scope": "open"})),
        ({"order_id": "BW-100005", **verified}, ("not_found", "BW-100005", {})),
        (
            {"order_id": "BW-100002", VERIFICATION_FAILED: True},
            ("refused", "BW-100002", {"reason": "not_verified"}),
        ),
        (
            {"order_id": "BW-100002", VERIFICATION_LOCKED: True},
            ("refused", "BW-100002", {"reason": "locked"}),
        ),
        ({"request_topic": None}, ("failed", None, {"reason": "unclear"})),
    ]
    for slots, (result, record_id, detail) in cases:
        _, recorded = await answer_and_record(slots)
        assert (recorded["action"], recorded["result"], recorded["record"], recorded["detail"]) == (
            "action_answer_request",
            result,
            record_id,
            detail,
        )
        assert recorded["goal"] == (
            "check_order_status" if slots.get("request_topic", "order") else "unknown"
        )


@synchronous
async def test_a_locked_record_is_not_answered_even_when_verified_or_vouched() -> None:
    verified = {"order_id": "BW-100002", VERIFIED_CUSTOMER_ID: "C-1001"}
    assert await answer(verified) == ["utter_order_delayed_tracked"]  # BW-100002's answer
    for _ in range(MAX_FAILURES):
        lockout.store().record_failure("C-1001")
    assert await answer(verified) == ["utter_account_locked"]
    vouch = {
        "verified_customer_id": "C-1001",
        "verification_signature": sign(SECRET, "web-1", "C-1001"),
    }
    assert await answer({"order_id": "BW-100002"}, vouch, sender="web-1") == [
        "utter_account_locked"
    ]
    assert await answer({VERIFICATION_LOCKED: True}) == ["utter_account_locked"]


@synchronous
async def test_a_store_outage_fails_closed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    slots = await give_reference("BW-100002")
    monkeypatch.setenv("ASSISTANT_DATABASE_URL", f"sqlite:///{tmp_path / 'gone' / 'x.db'}")
    settings.cache_clear()
    lockout.store.cache_clear()
    result, _ = await give_factor(POSTCODE, slots)
    assert result["backend_error"] is True and VERIFIED_CUSTOMER_ID not in result


def backend_down(monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the actions at a port nothing listens on (a backend that is down)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("BACKEND_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("BACKEND_RETRIES", "0")
    settings.cache_clear()
    backend_client.client.cache_clear()


def backend_back(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("BACKEND_URL", url)
    settings.cache_clear()
    backend_client.client.cache_clear()


def after_the_apology(slots: dict[str, Any]) -> dict[str, Any]:
    """The slots once action_answer_request has closed the request."""
    finished = {event["name"]: event["value"] for event in request_finished()}
    return {**slots, **finished}


@synchronous
async def test_a_factor_given_during_an_outage_is_checked_when_the_backend_is_back(
    backend_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    slots = await give_reference("BW-100002")
    backend_down(monkeypatch)
    result, _ = await give_factor(POSTCODE, slots)
    assert result[BACKEND_ERROR] is True and VERIFIED_CUSTOMER_ID not in result
    assert (result[PENDING_FACTOR], result[PENDING_CLAIM]) == (POSTCODE, "C-1001")
    kept = after_the_apology({**slots, **result})
    # Asked again while still down: the factor stays kept.
    again, _ = await validate(tracker("where is BW-100002", {"order_id": "BW-100002"}, kept))
    assert again[BACKEND_ERROR] is True and again[PENDING_FACTOR] == POSTCODE
    backend_back(monkeypatch, backend_url)
    verified, said = await validate(
        tracker(
            "where is BW-100002", {"order_id": "BW-100002"}, after_the_apology({**kept, **again})
        )
    )
    assert verified[VERIFIED_CUSTOMER_ID] == "C-1001" and said == []
    assert verified[PENDING_FACTOR] is None and verified[PENDING_CLAIM] is None


@synchronous
async def test_a_kept_factor_is_not_tried_on_someone_elses_record(
    backend_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    slots = await give_reference("BW-100002")
    backend_down(monkeypatch)
    result, _ = await give_factor(POSTCODE, slots)
    backend_back(monkeypatch, backend_url)
    other = next(o["id"] for o in crm()["orders"] if o["customer_id"] != "C-1001")
    checked, said = await validate(
        tracker(f"where is {other}", {"order_id": other}, after_the_apology({**slots, **result}))
    )
    assert VERIFIED_CUSTOMER_ID not in checked and PENDING_FACTOR not in checked and said == []
    assert lockout.store().status("C-1001").failures == 0


@synchronous
async def test_a_wrong_kept_factor_counts_like_any_wrong_answer(
    backend_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    slots = await give_reference("BW-100002")
    backend_down(monkeypatch)
    result, _ = await give_factor("12345", slots)
    backend_back(monkeypatch, backend_url)
    checked, said = await validate(
        tracker(
            "where is BW-100002", {"order_id": "BW-100002"}, after_the_apology({**slots, **result})
        )
    )
    assert said == [mismatch(MAX_ATTEMPTS - 1)]
    assert checked[PENDING_FACTOR] is None and VERIFIED_CUSTOMER_ID not in checked
    assert lockout.store().status("C-1001").failures == 1
