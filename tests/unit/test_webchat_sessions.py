"""Web chat sessions and page headers (connectors/webchat), without a server."""

import re

import pytest

from connectors.webchat import security_headers
from connectors.webchat.sessions import SessionTokens

SECRET = "unit-test-webchat-secret-32-chars-long"


def test_an_issued_token_is_valid_and_names_a_stable_conversation() -> None:
    tokens = SessionTokens(SECRET)
    token = tokens.issue()
    assert tokens.valid(token) and token != tokens.issue()
    conversation = tokens.conversation(token)
    assert re.fullmatch(r"webchat-[0-9a-f]{32}", conversation)
    assert SessionTokens(SECRET).conversation(token) == conversation  # after a restart too
    assert token.split(".")[0] not in conversation


@pytest.mark.parametrize("forged", [
    None, 42, "", "0123456789abcdef0123456789abcdef",  # an id of the old kind
    "0123456789abcdef0123456789abcdef.0123456789abcdef0123456789abcdef",
    "webchat-0123456789abcdef0123456789abcdef"])
def test_a_token_this_server_did_not_sign_is_not_valid(forged: object) -> None:
    assert not SessionTokens(SECRET).valid(forged)


def test_a_token_of_another_secret_is_not_valid() -> None:
    token = SessionTokens("another-webchat-secret-of-32-chars!").issue()
    assert not SessionTokens(SECRET).valid(token)
    assert not SessionTokens(SECRET).valid(token + "\n")


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="32"):
        SessionTokens("short")


def test_the_page_may_be_framed_only_by_the_configured_ancestors() -> None:
    own = security_headers("'self'")
    assert "frame-ancestors 'self'" in own["Content-Security-Policy"]
    assert "default-src 'self'" in own["Content-Security-Policy"]
    assert own["X-Frame-Options"] == "SAMEORIGIN" and own["X-Content-Type-Options"] == "nosniff"
    elsewhere = security_headers("https://www.brightwave.example")
    assert "frame-ancestors https://www.brightwave.example" in elsewhere["Content-Security-Policy"]
    assert "X-Frame-Options" not in elsewhere  # it cannot name another site; CSP rules
