"""The REST channel's credential and sender rules (connectors/rest_auth.py)."""

import os
import subprocess
import sys
import time

import jwt
import pytest

from connectors.rest_auth import (
    authorization,
    check_sender,
    checked_secret,
    checked_sender,
    rest_token,
)
from connectors.webhook import BadRequest
from stack.processes import ROOT

SECRET = "unit-test-rest-secret-" * 3  # long enough for HS512 too
DAY = 24 * 3600


def refusal(headers, sender: str = "customer-42") -> BadRequest:  # type: ignore[no-untyped-def]
    with pytest.raises(BadRequest) as raised:
        check_sender({k.lower(): v for k, v in headers.items()}, SECRET, sender)
    return raised.value


def test_a_token_minted_for_the_sender_passes() -> None:
    check_sender(
        {"authorization": authorization(SECRET, "customer-42")["Authorization"]},
        SECRET,
        "customer-42",
    )
    claims = jwt.decode(rest_token(SECRET, "customer-42"), SECRET, algorithms=["HS256"])
    assert claims["sub"] == "customer-42" and claims["exp"] - time.time() > 3500


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer "},
        {"Authorization": f"Basic {rest_token(SECRET, 'x')}"},
    ],
)
def test_no_bearer_token_is_401(headers) -> None:  # type: ignore[no-untyped-def]
    error = refusal(headers)
    assert error.status == 401 and "Authorization" in error.reason
    assert error.headers == {"WWW-Authenticate": "Bearer"}


@pytest.mark.parametrize(
    "token,reason",
    [
        # Made at collection, so valid for a day: a long suite still runs them in time.
        (rest_token(SECRET, "someone-else", ttl_seconds=DAY), "another sender"),
        (rest_token("another-secret-that-is-long-enough-too", "customer-42", DAY), "not valid"),
        (rest_token(SECRET, "customer-42", ttl_seconds=-60), "expired"),
        (jwt.encode({"sub": "customer-42"}, SECRET, algorithm="HS256"), "not valid"),  # no exp
        (
            jwt.encode({"sub": "customer-42", "exp": time.time() + 60}, SECRET, algorithm="HS512"),
            "not valid",
        ),
        (
            jwt.encode(
                {"sub": "customer-42", "exp": time.time() + 60},
                None,  # type: ignore[arg-type]
                algorithm="none",
            ),
            "not valid",
        ),
        ("not-a-jwt", "not valid"),
        (
            jwt.encode(
                {"sub": "customer-42", "exp": time.time() + 10 * 24 * 3600},
                SECRET,
                algorithm="HS256",
            ),
            "longer than",
        ),
    ],
)
def test_a_wrong_token_is_403_with_the_reason(token: str, reason: str) -> None:
    error = refusal({"Authorization": f"Bearer {token}"})
    assert error.status == 403 and reason in error.reason


@pytest.mark.parametrize(
    "sender",
    [
        "customer-42",
        "test-abc123",
        "a",
        "x" * 128,
        "crm:C-1001@brightwave",
        "whatsapper",
        "desk-test-1",
    ],
)
def test_ordinary_sender_ids_pass(sender: str) -> None:
    assert checked_sender(sender) == sender


@pytest.mark.parametrize(
    "sender", ["", "x" * 129, "bad sender", "customer-42\n", "customer\n42", "ä", 42, None, ["x"]]
)
def test_malformed_sender_ids_are_refused(sender) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BadRequest) as raised:
        checked_sender(sender)
    assert raised.value.status == 400 and "'sender'" in raised.value.reason


@pytest.mark.parametrize(
    "sender",
    [
        "whatsapp-0123456789abcdef0123456789abcdef",
        "whatsapp:+447700998515",
        "voice-0123456789abcdef0123456789abcdef",
        "email-0123456789abcdef0123456789abcdef",
        "webchat-0123456789abcdef0123456789abcdef",
        "0123456789abcdef0123456789abcdef",
        "VOICE-1",
        "twilio_voice-1",
        "socketio:x",
    ],
)
def test_other_channels_ids_are_refused(sender: str) -> None:
    with pytest.raises(BadRequest) as raised:
        checked_sender(sender)
    assert raised.value.status == 400 and "another channel" in raised.value.reason


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="SWITCHBOARD_REST_JWT_SECRET"):
        checked_secret("short")
    assert checked_secret(SECRET) == SECRET


def run_token_cli(*args: str, secret: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "SWITCHBOARD_REST_JWT_SECRET": secret}
    return subprocess.run(
        [sys.executable, "-m", "stack", "token", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_token_command_mints_a_token_for_the_sender() -> None:
    minted = run_token_cli("customer-7", secret=SECRET)
    assert minted.returncode == 0, minted.stderr
    check_sender({"authorization": f"Bearer {minted.stdout.strip()}"}, SECRET, "customer-7")


def test_the_token_command_needs_the_secret_and_a_usable_sender() -> None:
    unset = run_token_cli("customer-7")
    assert unset.returncode == 2 and "SWITCHBOARD_REST_JWT_SECRET" in unset.stderr
    other = run_token_cli("whatsapp-1", secret=SECRET)
    assert other.returncode == 2 and "another channel" in other.stderr
