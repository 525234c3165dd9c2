"""The REST channel's request checks (connectors/rest.py), without a server."""

import json

import pytest

from connectors.rest import parse_poll, parse_request
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
