"""Web chat sessions and page headers (connectors/webchat), without a server."""

import re

import pytest

from connectors.webchat import WebChatInput, engineio_payload_ok, security_headers
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


@pytest.mark.parametrize(
    "forged",
    [
        None,
        42,
        "",
        "0123456789abcdef0123456789abcdef",  # an id of the old kind
        "0123456789abcdef0123456789abcdef.0123456789abcdef0123456789abcdef",
        "webchat-0123456789abcdef0123456789abcdef",
    ],
)
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


def channel(**credentials: object) -> WebChatInput:
    return WebChatInput.from_credentials(  # type: ignore[return-value]
        {"session_secret": SECRET, **credentials}
    )


def test_origins_are_the_pages_own_the_public_url_and_the_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SWITCHBOARD_PUBLIC_URL", "https://chat.brightwave.example/base")
    chat = channel(allowed_origins=["https://www.brightwave.example/shop"])
    environ = {"wsgi.url_scheme": "http", "HTTP_HOST": "127.0.0.1:5005"}
    for origin in (
        "http://127.0.0.1:5005",
        "https://chat.brightwave.example",
        "https://www.brightwave.example",
    ):
        assert chat.origin_allowed(origin, environ), origin
    for origin in ("https://evil.example", "http://localhost:5005", "null"):
        assert not chat.origin_allowed(origin, environ), origin


@pytest.mark.parametrize(
    "credentials,key",
    [
        ({"allowed_origins": "https://www.brightwave.example"}, "allowed_origins"),
        ({"frame_ancestors": "'self'; script-src *"}, "frame_ancestors"),
        ({"rate_limits": {"session": "often"}}, "rate_limits.session"),
        ({"session_secret": "short"}, "SWITCHBOARD_WEBCHAT_SECRET"),
    ],
)
def test_a_bad_setting_stops_the_start_naming_it(credentials: dict, key: str) -> None:
    with pytest.raises(ValueError, match=key):
        channel(**credentials)


@pytest.mark.parametrize(
    "body,ok",
    [
        (b"40", True),
        (b'42["user_uttered",{"message":"hi"}]\x1e1', True),
        (b"3", True),
        (b"1", True),
        (b"2", False),  # ping, open and noop come from the server only: python-engineio
        (b"0000", False),  # closed the socket and waited for a poll, never answering
        (b"6", False),
        (b"40\x1e2probe", False),
        ("42x\ud800".encode("utf-8", "surrogatepass"), False),  # not UTF-8
        ("৫".encode(), False),
        ("৬³‮".encode(), False),
        ("²".encode(), False),
        (b"", False),
        (b"40\x1e\xe0\xa7\xab", False),
        (b"9", False),
    ],
)
def test_only_packets_a_client_sends_reach_engineio(body: bytes, ok: bool) -> None:
    """python-engineio reads a packet's type with int(), which takes other scripts'
    digits too; such a polling request was never answered, nor one with a packet type
    only a server sends."""
    assert engineio_payload_ok(body) is ok


def test_a_token_expires() -> None:
    now = [1_800_000_000.0]
    tokens = SessionTokens(SECRET, max_age_seconds=3600, clock=lambda: now[0])
    token = tokens.issue()
    now[0] += 3600
    assert tokens.valid(token)
    now[0] += 1
    assert not tokens.valid(token)
    # Nor can the issue time be moved forward: it is covered by the HMAC.
    forged = f"{int(now[0]):08x}{token[8:]}"
    assert not tokens.valid(forged)


@pytest.mark.parametrize("days", [0, 366, "7", 1.5, True])
def test_a_bad_token_lifetime_is_refused(days: object) -> None:
    with pytest.raises(ValueError, match="session_token_days"):
        channel(session_token_days=days)
