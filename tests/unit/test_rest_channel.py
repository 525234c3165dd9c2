"""The REST channel's request checks (connectors/rest.py), without a server."""

import json

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from connectors.rest import parse_poll, parse_request, replies_to
from connectors.webhook import BadRequest


def parsed(payload: object, max_chars: int = 100):  # type: ignore[no-untyped-def]
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return parse_request(body, max_chars, 64 * 1024)


def refused(payload: object) -> BadRequest:
    with pytest.raises(BadRequest) as raised:
        parsed(payload)
    return raised.value


def test_a_good_request_is_cleaned() -> None:
    message = parsed(
        {"sender": "customer-42", "message": " hello\x00 there\ud800 ", "metadata": {"k": "v"}}
    )
    assert (message.sender, message.text, message.metadata) == (
        "customer-42",
        "hello  there",
        {"k": "v"},
    )


@pytest.mark.parametrize(
    "body,status,reason",
    [
        (b"[" * 1000 + b"]" * 1000, 400, "nested deeper"),
        (b'{"sender": "x", "message": "hi", "n": ' + b"9" * 5000 + b"}", 400, "usable JSON"),
        (b'{"sender": "x", "message": "\\ud800"}', 400, "no text"),
        (b'{"sender": "x\\n", "message": "hi"}', 400, "'sender'"),
        (b'{"sender": "whatsapp-0123", "message": "hi"}', 400, "another channel"),
        (json.dumps({"sender": "x", "message": "a" * 101}).encode(), 413, "longer than 100"),
        (b"\xff", 400, "UTF-8"),
        (b'{"sender": "x", "message": 5}', 400, "'message'"),
        (b'{"sender": "x", "message": "hi", "metadata": {"a": ["\\udfff"]}}', 400, "'metadata'"),
    ],
)
def test_bad_bodies_are_refused_with_a_reason(body: bytes, status: int, reason: str) -> None:
    error = refused(body)
    assert error.status == status and reason in error.reason


def test_polls_check_the_sender_and_the_moment() -> None:
    assert parse_poll({"sender": "customer-42", "since": "12.5"}) == ("customer-42", 12.5)
    for query in (
        {"sender": "customer-42\n"},
        {"sender": "voice-1"},
        {"sender": "x", "since": "nan"},
        {"sender": "x", "since": "-1"},
    ):
        with pytest.raises(BadRequest):
            parse_poll(query)


def test_a_message_id_is_checked() -> None:
    assert parsed({"sender": "c-1", "message": "hi", "message_id": "m-1:a.b_c"}).message_id == (
        "m-1:a.b_c"
    )
    assert parsed({"sender": "c-1", "message": "hi"}).message_id is None
    for bad in ("", "a" * 101, "a b", "x\n", 5, ["m"]):
        error = refused({"sender": "c-1", "message": "hi", "message_id": bad})
        assert error.status == 400 and "'message_id'" in error.reason


def test_a_message_sent_again_gets_its_stored_replies_not_a_second_turn() -> None:
    tracker = DialogueStateTracker.from_events(
        "c-1",
        [
            UserUttered("first", message_id="m-1"),
            BotUttered("one"),
            BotUttered("pick", data={"buttons": [{"title": "Yes", "payload": "/affirm"}]}),
            ActionExecuted("action_listen"),
            UserUttered("second", message_id="m-2"),
            BotUttered("two"),
        ],
    )
    assert replies_to(tracker, "m-1") == [
        {"recipient_id": "c-1", "text": "one"},
        {
            "recipient_id": "c-1",
            "text": "pick",
            "buttons": [{"title": "Yes", "payload": "/affirm"}],
        },
    ]
    assert replies_to(tracker, "m-2") == [{"recipient_id": "c-1", "text": "two"}]
    assert replies_to(tracker, "m-3") is None
    assert replies_to(tracker, None) is None
    assert replies_to(None, "m-1") is None
