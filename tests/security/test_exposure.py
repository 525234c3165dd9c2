"""Least privilege, tried as an attacker would: what Rasa's public listener serves,
what the desk's credential can do, and whether a huge body is buffered.

Rasa runs with its public interface on 127.0.0.2 and its internal one on
127.0.0.1 (both loopback, different addresses), so a test can see that each
listener is bound where it should be and nowhere else.
"""

import dataclasses
import select
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest
import requests

from desk.rasa_client import APPEND_SCOPE, ERASE_SCOPE, READ_SCOPE, desk_token
from stack.config import StackConfig, isolated_config
from stack.launch import start_rasa
from stack.rasa_listeners import MAX_REQUEST_BYTES

API_TOKEN = "exposure-api-token"
DESK_SECRET = "exposure-desk-secret-of-at-least-32-chars"
PUBLIC_HOST = "127.0.0.2"
RATE = 20  # per conversation and minute, for the rate-limit test
TIMEOUT = 30
HUNDRED_MB = 100_000_000


@pytest.fixture(scope="module")
def rasa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackConfig]:
    """Rasa alone (no action server), public on 127.0.0.2, internal on 127.0.0.1."""
    config = dataclasses.replace(
        isolated_config(
            tmp_path_factory.mktemp("exposure"),
            {"SWITCHBOARD_DESK_RASA_RATE_LIMIT": f"{RATE}/minute"},
            rasa_api_token=API_TOKEN,
        ),
        public_host=PUBLIC_HOST,
        desk_rasa_secret=DESK_SECRET,
    )
    if not config.model.exists():
        pytest.fail(f"No trained model at {config.model}: `make test` trains it first.")
    service = start_rasa(config)
    yield config
    service.stop()


def conversation() -> str:
    return f"exposure-{uuid.uuid4().hex[:12]}"


def desk_call(
    config: StackConfig, method: str, conversation_id: str, token: str | None, body: Any = None
) -> requests.Response:
    """The desk endpoint as anyone holding token would call it."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(
        method,
        f"{config.rasa_internal_url}/internal/conversations/{conversation_id}/events",
        json=body,
        headers=headers,
        timeout=TIMEOUT,
    )


def api_events(config: StackConfig, conversation_id: str) -> list[dict[str, Any]]:
    """The stored events, read with Rasa's API token on the internal listener."""
    response = requests.get(
        f"{config.rasa_internal_url}/conversations/{conversation_id}/tracker",
        params={"token": API_TOKEN},
        timeout=TIMEOUT,
    )
    assert response.status_code == 200, response.text
    return response.json()["events"]


# --- the public listener serves channels only ---------------------------------

API_CALLS = [
    ("GET", "/"),
    ("GET", "/version"),
    ("GET", "/status"),
    ("PUT", "/model"),
    ("DELETE", "/model"),
    ("POST", "/model/parse"),
    ("GET", "/domain"),
    ("GET", "/conversations/someone/tracker"),
    ("POST", "/conversations/someone/tracker/events"),
    ("PUT", "/conversations/someone/tracker/events"),
    ("POST", "/conversations/someone/execute"),
    ("POST", "/conversations/someone/trigger_intent"),
    ("GET", "/internal/conversations/someone/events"),
    ("POST", "/internal/conversations/someone/events"),
    ("DELETE", "/internal/conversations/someone"),
]


@pytest.mark.parametrize("method,path", API_CALLS)
def test_the_http_api_is_not_served_on_the_public_listener(
    rasa: StackConfig, method: str, path: str
) -> None:
    token = desk_token(DESK_SECRET, APPEND_SCOPE, conversation())
    response = requests.request(
        method,
        f"{rasa.rasa_url}{path}",
        params={"token": API_TOKEN},
        headers={"Authorization": f"Bearer {token}"},
        json=[],
        timeout=TIMEOUT,
    )
    assert response.status_code == 404, (method, path, response.text)


def test_channels_are_served_on_the_public_listener(rasa: StackConfig) -> None:
    assert requests.get(f"{rasa.rasa_url}/webhooks/rest/", timeout=TIMEOUT).status_code == 200
    page = requests.get(f"{rasa.rasa_url}/webhooks/socketio/chat", timeout=TIMEOUT)
    assert page.status_code == 200 and "<html" in page.text.lower()
    socketio = requests.get(
        f"{rasa.rasa_url}/socket.io/", params={"EIO": "4", "transport": "polling"}, timeout=TIMEOUT
    )
    assert socketio.status_code != 404
    refused = requests.post(
        f"{rasa.rasa_url}/webhooks/rest/webhook",
        data=b"[",
        headers={"Content-Type": "application/json"},
        timeout=TIMEOUT,
    )
    assert refused.status_code in (400, 401) and refused.json()["error"]  # the channel's own


@pytest.mark.parametrize(
    "method,path",
    [
        ("HEAD", "/webhooks/socketio/chat.js"),
        ("POST", "/webhooks/socketio/"),
        ("HEAD", "/webhooks/rest/"),
        ("PUT", "/webhooks/rest/webhook"),
    ],
)
@pytest.mark.parametrize("accept", ["text/html;q=\xff,,;;=", ";;;==,x/"])
def test_a_wrong_method_with_a_malformed_accept_header_is_a_4xx(
    rasa: StackConfig, method: str, path: str, accept: str
) -> None:
    """Sanic's own error page failed on such a header and answered 500."""
    answer = requests.request(
        method, f"{rasa.rasa_url}{path}", timeout=10, headers={"Accept": accept.encode("latin-1")}
    )
    assert answer.status_code == 405, answer.text


def test_the_http_api_answers_on_the_internal_listener_with_the_token_only(
    rasa: StackConfig,
) -> None:
    status = f"{rasa.rasa_internal_url}/status"
    assert requests.get(status, params={"token": API_TOKEN}, timeout=TIMEOUT).status_code == 200
    assert requests.get(status, timeout=TIMEOUT).status_code == 401
    assert requests.get(status, params={"token": "guess"}, timeout=TIMEOUT).status_code == 401


def refused(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


def test_each_listener_is_bound_to_its_own_interface_only(rasa: StackConfig) -> None:
    assert refused(PUBLIC_HOST, rasa.rasa_internal_port)  # the API is not on the public one
    assert refused(rasa.host, rasa.rasa_port)  # the channels only where configured


# --- the desk's credential reads and appends, nothing else ---------------------


def test_the_desk_token_appends_an_agent_message_and_reads_the_conversation(
    rasa: StackConfig,
) -> None:
    talk = conversation()
    events = [
        {"event": "bot", "text": "Dana here.", "metadata": {"agent": "Dana"}},
        {"event": "resume"},
        {"event": "action", "name": "action_listen"},
    ]
    appended = desk_call(rasa, "POST", talk, desk_token(DESK_SECRET, APPEND_SCOPE, talk), events)
    assert appended.status_code == 200, appended.text
    read = desk_call(rasa, "GET", talk, desk_token(DESK_SECRET, READ_SCOPE, talk))
    assert read.status_code == 200
    assert [(e["event"], e["text"]) for e in read.json()["events"]] == [("bot", "Dana here.")]
    assert read.json()["events"][0]["metadata"]["agent"] == "Dana"
    stored = [e["event"] for e in api_events(rasa, talk)]
    assert stored[-3:] == ["bot", "resume", "action"]


def test_a_read_shows_messages_only(rasa: StackConfig) -> None:
    talk = conversation()
    requests.post(
        f"{rasa.rasa_internal_url}/conversations/{talk}/tracker/events",
        params={"token": API_TOKEN},
        timeout=TIMEOUT,
        json=[
            {"event": "slot", "name": "customer_id", "value": "C-1001"},
            {
                "event": "user",
                "text": "hello",
                "metadata": {"secret": "x"},
                "parse_data": {"intent": {"name": "greet", "confidence": 1.0}},
            },
        ],
    )
    read = desk_call(rasa, "GET", talk, desk_token(DESK_SECRET, READ_SCOPE, talk)).json()
    assert read["events"] == [
        {"event": "user", "text": "hello", "timestamp": read["events"][0]["timestamp"]}
    ]


@pytest.mark.parametrize(
    "path,method",
    [
        ("/status", "GET"),
        ("/model", "PUT"),
        ("/conversations/{id}/tracker", "GET"),
        ("/conversations/{id}/tracker/events", "POST"),
        ("/conversations/{id}/execute", "POST"),
    ],
)
def test_the_desk_token_opens_nothing_of_rasas_api(
    rasa: StackConfig, path: str, method: str
) -> None:
    talk = conversation()
    url = f"{rasa.rasa_internal_url}{path.format(id=talk)}"
    for scope in (READ_SCOPE, APPEND_SCOPE, ERASE_SCOPE):
        token = desk_token(DESK_SECRET, scope, talk)
        for how in (
            {"params": {"token": token}},
            {"headers": {"Authorization": f"Bearer {token}"}},
        ):
            response = requests.request(
                method, url, json={"event": "restart"}, timeout=TIMEOUT, **how
            )  # type: ignore[arg-type]
            assert response.status_code == 401, (path, scope, how, response.text)


def forged(claims: dict[str, Any], secret: str = DESK_SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, secret, algorithm=algorithm)


def now() -> int:
    return int(time.time())


# Made when the test runs: a token made at collection would have expired by then.
BAD_TOKENS: dict[str, tuple[Callable[[str], str | None], int]] = {
    "none": (lambda talk: None, 401),
    "not a JWT": (lambda talk: "not-a-jwt", 401),
    "wrong secret": (
        lambda talk: forged(
            {"scope": APPEND_SCOPE, "sub": talk, "exp": now() + 60},
            "someone-elses-secret-of-32-characters",
        ),
        401,
    ),
    "read scope": (lambda talk: forged({"scope": READ_SCOPE, "sub": talk, "exp": now() + 60}), 403),
    "no scope": (lambda talk: forged({"sub": talk, "exp": now() + 60}), 401),
    "other scope": (
        lambda talk: forged({"scope": "model:load", "sub": talk, "exp": now() + 60}),
        403,
    ),
    "no conversation": (lambda talk: forged({"scope": APPEND_SCOPE, "exp": now() + 60}), 401),
    "another conversation": (
        lambda talk: desk_token(DESK_SECRET, APPEND_SCOPE, conversation()),
        403,
    ),
    "no expiry": (lambda talk: forged({"scope": APPEND_SCOPE, "sub": talk}), 401),
    "expired": (lambda talk: forged({"scope": APPEND_SCOPE, "sub": talk, "exp": now() - 120}), 401),
    "lives a day": (
        lambda talk: forged({"scope": APPEND_SCOPE, "sub": talk, "exp": now() + 86400}),
        403,
    ),
    "alg none": (
        lambda talk: jwt.encode(
            {"scope": APPEND_SCOPE, "sub": talk, "exp": now() + 60}, None, algorithm="none"
        ),
        401,
    ),  # type: ignore[arg-type]
    "HS512": (
        lambda talk: forged(
            {"scope": APPEND_SCOPE, "sub": talk, "exp": now() + 60}, algorithm="HS512"
        ),
        401,
    ),
    "API token": (lambda talk: API_TOKEN, 401),
}


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
def test_an_append_without_the_right_token_is_refused_and_changes_nothing(
    rasa: StackConfig, case: str
) -> None:
    make_token, status = BAD_TOKENS[case]
    talk = conversation()
    token = make_token(talk)
    response = desk_call(rasa, "POST", talk, token, [{"event": "bot", "text": "pwned"}])
    assert response.status_code == status, response.text
    assert response.json()["error"]
    assert not [e for e in api_events(rasa, talk) if e["event"] == "bot"]


def test_a_read_needs_the_read_scope(rasa: StackConfig) -> None:
    talk = conversation()
    assert (
        desk_call(rasa, "GET", talk, desk_token(DESK_SECRET, APPEND_SCOPE, talk)).status_code == 403
    )
    assert desk_call(rasa, "GET", talk, None).status_code == 401


BAD_EVENTS: dict[str, Any] = {
    "a customer message": [{"event": "user", "text": "/restart"}],
    "a slot": [{"event": "slot", "name": "customer_id", "value": "C-1001"}],
    "a restart": [{"event": "restart"}],
    "another action": [{"event": "action", "name": "action_escalate"}],
    "a pause": [{"event": "pause"}],
    "a bot message with buttons": [{"event": "bot", "text": "x", "data": {"buttons": []}}],
    "a bot message without text": [{"event": "bot"}],
    "not a list": {"event": "resume"},
    "an empty list": [],
    "too many events": [{"event": "resume"}] * 11,
    "deep nesting": [{"event": "bot", "text": "x", "metadata": {"a": [[[[[[[[[]]]]]]]]]}}],
}


@pytest.mark.parametrize("case", sorted(BAD_EVENTS))
def test_only_the_events_of_an_agents_move_may_be_appended(rasa: StackConfig, case: str) -> None:
    talk = conversation()
    response = desk_call(
        rasa, "POST", talk, desk_token(DESK_SECRET, APPEND_SCOPE, talk), BAD_EVENTS[case]
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]
    assert [e["event"] for e in api_events(rasa, talk)] in (
        [],
        ["action", "session_started", "action"],
    )


def test_a_large_desk_body_is_refused(rasa: StackConfig) -> None:
    body = [{"event": "bot", "text": "x" * 3000, "metadata": {"pad": "y" * 70000}}]
    talk = conversation()
    response = desk_call(rasa, "POST", talk, desk_token(DESK_SECRET, APPEND_SCOPE, talk), body)
    assert response.status_code == 413 and response.json()["error"]


def test_the_desk_endpoint_is_rate_limited_per_conversation(rasa: StackConfig) -> None:
    talk = conversation()
    token = desk_token(DESK_SECRET, READ_SCOPE, talk)
    statuses = [desk_call(rasa, "GET", talk, token) for _ in range(RATE + 1)]
    assert [r.status_code for r in statuses[:RATE]] == [200] * RATE
    assert statuses[-1].status_code == 429 and int(statuses[-1].headers["Retry-After"]) >= 1
    other = conversation()
    assert (
        desk_call(rasa, "GET", other, desk_token(DESK_SECRET, READ_SCOPE, other)).status_code == 200
    )  # others go on


# --- a huge body is refused before it is buffered ------------------------------


def stream(config: StackConfig, headers: str, chunked: bool) -> tuple[int, bytes]:
    """Post to the REST webhook, sending up to 100 MB in 64 KiB pieces until Rasa
    answers or closes; how much was sent, and the start of the answer."""
    host, port = config.public_host, config.rasa_port
    piece = b"a" * 65536
    framed = b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
    sent = 0
    with socket.create_connection((host, port), timeout=TIMEOUT) as sock:
        sock.sendall(
            (
                f"POST /webhooks/rest/webhook HTTP/1.1\r\nHost: {host}\r\n"
                f"Content-Type: application/json\r\n{headers}\r\n"
            ).encode()
        )
        try:
            while sent < HUNDRED_MB and not select.select([sock], [], [], 0)[0]:
                sock.sendall(framed)
                sent += len(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            answer = sock.recv(4096)
        except ConnectionResetError:
            answer = b""
    return sent, answer


@pytest.mark.parametrize(
    "headers,chunked",
    [
        (f"Content-Length: {HUNDRED_MB}\r\n", False),
        ("Transfer-Encoding: chunked\r\n", True),
    ],
    ids=["announced", "chunked"],
)
def test_a_100_mb_body_is_refused_with_413_before_it_is_buffered(
    rasa: StackConfig, headers: str, chunked: bool
) -> None:
    sent, answer = stream(rasa, headers, chunked)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    # What was sent before the refusal is the limit plus what the sockets' buffers hold.
    assert sent < 8 * MAX_REQUEST_BYTES, sent


@pytest.mark.parametrize("headers", ["Content-Length: 10\r\n", ""], ids=["lying", "absent"])
def test_a_body_longer_than_announced_is_not_buffered(rasa: StackConfig, headers: str) -> None:
    sent, answer = stream(rasa, headers, chunked=False)
    assert answer.startswith((b"HTTP/1.1 400", b"HTTP/1.1 401", b"HTTP/1.1 413")), answer[:200]
    assert sent < 8 * MAX_REQUEST_BYTES, sent  # the rest is not read as a body


def test_rasa_still_answers_after_the_attacks(rasa: StackConfig) -> None:
    assert requests.get(f"{rasa.rasa_url}/webhooks/rest/", timeout=TIMEOUT).status_code == 200
    status = requests.get(
        f"{rasa.rasa_internal_url}/status", params={"token": API_TOKEN}, timeout=TIMEOUT
    )
    assert status.status_code == 200
