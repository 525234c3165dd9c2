"""The shared input guard (connectors/inbound.py)."""

import pytest

from connectors.inbound import clean_text, customer_text, load_json, valid_unicode
from connectors.webhook import BadRequest


def refused(call, *args):  # type: ignore[no-untyped-def]
    with pytest.raises(BadRequest) as raised:
        call(*args)
    return raised.value


@pytest.mark.parametrize(
    "raw,clean",
    [
        ("hello", "hello"),
        ("  hi\r\nthere ", "hi\nthere"),
        ("a\x00b\x1bc\x7f", "a b c"),
        ("caf\u0065\u0301", "caf\u00e9"),
        ("lone \ud800surrogate\udfff", "lone surrogate"),
        ("²³①", "²³①"),
    ],
)
def test_clean_text_keeps_valid_text_only(raw: str, clean: str) -> None:
    assert clean_text(raw, 100) == clean


def test_clean_text_refuses_nothing_left_and_too_long() -> None:
    assert refused(clean_text, "\udfff\ud800 \x00", 100).status == 400
    assert refused(clean_text, "a" * 11, 10).status == 413


@pytest.mark.parametrize(
    "typed,offered,sent",
    [
        ("/restart", [], "restart"),
        ("/session_start", ["/check_order_status"], "session_start"),
        ("//back", [], "back"),
        ('/inform{"customer_id": "C-1001"}', [], 'inform{"customer_id": "C-1001"}'),
        ("/check_order_status", ["/check_order_status", None], "/check_order_status"),
        (" /check_claim_status ", ["/check_claim_status"], "/check_claim_status"),
        ("where is /my order", [], "where is /my order"),
    ],
)
def test_only_an_offered_payload_goes_on_as_a_command(typed: str, offered: list, sent: str) -> None:
    assert customer_text(typed, offered) == sent


def test_a_lone_slash_is_no_text() -> None:
    assert refused(customer_text, " / ", []).status == 400


@pytest.mark.parametrize(
    "body,reason",
    [
        (b"[" * 9 + b"]" * 9, "deeper than 8"),
        (b'{"a": ' + b"1" * 5000 + b"}", "usable JSON"),
        (b'{"a": ', "not valid JSON"),
        (b"\xff", "UTF-8"),
    ],
)
def test_load_json_refuses_with_a_reason(body: bytes, reason: str) -> None:
    error = refused(load_json, body)
    assert error.status == 400 and reason in error.reason


def test_load_json_ignores_brackets_inside_strings() -> None:
    assert load_json(b'{"a": "[[[[[[[[[[[[\\"{{{{{{{{{"}') == {"a": '[[[[[[[[[[[["{{{{{{{{{'}
    assert load_json(b"[" * 8 + b"]" * 8) == [[[[[[[[]]]]]]]]


def test_json_values_must_hold_valid_unicode_only() -> None:
    assert valid_unicode({"a": ["é", 1, None]}, "metadata") == {"a": ["é", 1, None]}
    error = refused(valid_unicode, {"a": {"b": "x\ud800"}}, "metadata")
    assert error.status == 400 and "'metadata'" in error.reason
