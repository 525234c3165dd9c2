"""The rules of common/minimise.py on the corpus: no raw card number, e-mail address,
phone number or verification answer survives a turn's events as they are stored, and
what the contact centre must read back (record ids, amounts, other dates) does."""

import io
import json
import logging
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from common.minimise import (
    WITHHELD,
    minimise_events,
    minimise_logs,
    minimise_text,
    withhold_factors,
)
from tests.governance.corpus import Message, corpus, survivors

KINDS = Counter(message.kind for message in corpus())


def user(text: str, **extra: Any) -> dict[str, Any]:
    """A user event as Rasa's `as_dict` writes it, entities and metadata included."""
    return {
        "event": "user",
        "timestamp": 1.0,
        "text": text,
        "parse_data": {
            "text": text,
            "intent": {"name": "inform", "confidence": 0.9},
            "entities": [{"entity": "anything", "value": text, "start": 0, "end": len(text)}],
        },
        "metadata": {"note": text, **extra},
        "input_channel": "rest",
    }


def slot(name: str, value: Any) -> dict[str, Any]:
    return {"event": "slot", "timestamp": 1.0, "name": name, "value": value}


def turn(message: Message) -> list[dict[str, Any]]:
    """The message's turn: a verification answer fills the answer slot with the typed
    text before the form's check replaces it; the assistant repeats the text back."""
    events = [user(message.text)]
    if message.kind == "answer":
        events += [slot("knowledge_factor", message.text), slot("knowledge_factor", "confirmed")]
    bot = {"event": "bot", "timestamp": 1.0, "text": f"You said: {message.text}", "data": {}}
    return events + [bot, slot("last_words", message.text)]


def test_the_corpus_has_every_kind_and_at_least_200_messages() -> None:
    assert len(corpus()) >= 200
    assert all(KINDS[kind] >= 10 for kind in ("card", "email", "phone", "answer", "volunteered"))
    assert KINDS["clean"] >= 20


@pytest.mark.parametrize("message", corpus(), ids=lambda message: message.text[:40])
def test_no_raw_value_survives_a_stored_turn(message: Message) -> None:
    stored = json.dumps(minimise_events(turn(message)))
    assert survivors(message, stored) == []


@pytest.mark.parametrize(
    "message",
    [m for m in corpus() if m.keep],
    ids=lambda message: message.text[:40],
)
def test_what_the_contact_centre_reads_back_stays(message: Message) -> None:
    """No false positive: ids, amounts, times, an IMEI, an IBAN are not touched."""
    stored = minimise_events(turn(message))[0]
    for value in message.keep:
        assert value in stored["text"]
        assert value in stored["parse_data"]["text"]


def test_a_message_without_personal_data_is_stored_as_it_was() -> None:
    for message in corpus():
        if message.kind == "clean":
            assert minimise_events(turn(message))[0] == user(message.text)


def test_the_verdict_is_kept_and_the_typed_answer_is_not() -> None:
    events = minimise_events(
        [
            user("98096"),
            slot("knowledge_factor", "98096"),
            slot("knowledge_factor", "confirmed"),
            slot("verified_customer_id", "C-1001"),
        ]
    )
    assert events[0]["text"] == WITHHELD
    assert [e["value"] for e in events[1:]] == [WITHHELD, "confirmed", "C-1001"]


def test_an_answer_kept_over_an_outage_is_not_stored_and_only_its_own_turn_is_withheld() -> None:
    events = minimise_events(
        [
            user("my order BW-100002"),
            slot("order_id", "BW-100002"),
            user("5 December 2000"),
            slot("pending_factor", "5 December 2000"),
            user("where is order 42"),
        ]
    )
    assert [e.get("text") for e in events] == [
        "my order BW-100002",
        None,
        WITHHELD,
        None,
        "where is order 42",
    ]
    assert events[3]["value"] == WITHHELD


def test_an_answer_keeps_its_metadata_ids() -> None:
    """A model id holds digits too: only what the customer wrote is withheld."""
    [stored, _] = minimise_events(
        [user("98096", model_id="cc94abfc04144e2b"), slot("knowledge_factor", "98096")]
    )
    assert stored["text"] == stored["parse_data"]["text"] == WITHHELD
    assert stored["parse_data"]["entities"][0]["value"] == WITHHELD
    assert stored["metadata"] == {"note": WITHHELD, "model_id": "cc94abfc04144e2b"}


def test_the_answer_is_withheld_from_the_next_turns_too() -> None:
    """The turn boundary is the next user message; the slot event names its own."""
    events = minimise_events([user("98096"), slot("pending_factor", "98096"), user("ok")])
    assert events[0]["text"] == WITHHELD and events[2]["text"] == "ok"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("postcode SW1A 1AA for BW-100045", f"postcode {WITHHELD} {WITHHELD} for BW-100045"),
        ("born 5th of December 2000", f"born {WITHHELD}"),
        ("claim CLM-70001, dob 05.12.2000", f"claim CLM-70001, dob {WITHHELD}"),
        ("me@example.com, bw 100045", f"{WITHHELD}, bw 100045"),
    ],
)
def test_withheld_factors_leave_the_record_ids(text: str, expected: str) -> None:
    assert withhold_factors(text) == expected


def test_a_card_number_is_removed_not_masked_and_an_imei_is_kept() -> None:
    assert minimise_text("4111 1111 1111 1111") == "[card number removed]"
    assert minimise_text("IMEI 490154203237518") == "IMEI 490154203237518"


def test_events_other_than_messages_and_slots_are_untouched() -> None:
    action = {"event": "action", "name": "action_listen", "policy": "+44 7700 900123"}
    assert minimise_events([action]) == [action]


def test_a_contact_given_to_be_contacted_on_is_kept_for_the_lead() -> None:
    # The lead form asks for consent on the next turn and stores the lead after it.
    contact = {"event": "slot", "name": "lead_contact", "value": ["email", "sam.lee@example.com"]}
    carded = {"event": "slot", "name": "lead_contact", "value": ["phone", "4111 1111 1111 1111"]}
    other = {"event": "slot", "name": "lead_name", "value": "reach me at sam.lee@example.com"}
    kept, removed, masked = minimise_events([contact, carded, other])
    assert kept["value"] == ["email", "sam.lee@example.com"]
    assert removed["value"] == ["phone", "[card number removed]"]
    assert "sam.lee@example.com" not in masked["value"]


def test_the_contact_slots_are_the_lead_forms() -> None:
    from actions import lead_form
    from common import minimise

    assert minimise.CONTACT_SLOTS == (lead_form.CONTACT,)


def test_the_answer_slots_are_the_verification_forms() -> None:
    from actions import slots
    from common import minimise

    assert minimise.ANSWER_SLOTS == (slots.KNOWLEDGE_FACTOR, slots.PENDING_FACTOR)
    assert minimise.VERDICTS == (slots.FACTOR_CONFIRMED, slots.FACTOR_REFUSED)


@pytest.fixture
def minimised_logs() -> Iterator[io.StringIO]:
    """minimise_logs() installed for the test, and what the log wrote."""
    original = logging.getLogRecordFactory()
    written = io.StringIO()
    handler = logging.StreamHandler(written)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    logging.getLogger().addHandler(handler)
    minimise_logs()
    minimise_logs()  # twice is once
    try:
        yield written
    finally:
        logging.setLogRecordFactory(original)
        logging.getLogger().removeHandler(handler)


def test_a_log_line_is_minimised_whoever_writes_it(minimised_logs: io.StringIO) -> None:
    logging.getLogger("any.library").warning(
        "lookup for %s by %s failed on %s",
        "+44 7700 900123",
        "noah.obrien0@example.com",
        "BW-100045",
    )
    logging.getLogger("uvicorn.access").warning(
        '%s - "%s %s HTTP/%s" %d',
        "127.0.0.1:5000",
        "GET",
        "/customers?whatsapp=%2B447700998515",
        "1.1",
        200,
    )
    written = minimised_logs.getvalue()
    assert "7700 900123" not in written and "noah.obrien0" not in written
    assert "BW-100045" in written
    assert "/customers HTTP/1.1" in written and "447700998515" not in written
