"""Attacks on the web chat, over socket.io against the running stack: a socket writes
only in the session bound to it, a forged token gets a fresh session, the id others
see does not open the conversation, other origins are refused, typed commands are
text, and a flood runs into the rate limit."""

import json
import queue
import time
from typing import Any

import pytest
import requests
import socketio

from connectors.webchat.sessions import SessionTokens
from tests.support.stack import Stack

from .conftest import WEBCHAT_SESSION_LIMIT

WAIT = 30
QUIET = 5  # seconds a refused message must stay unanswered


def user_texts(stack: Stack, conversation: str) -> list[str]:
    return [e["text"] for e in stack.tracker(conversation)["events"] if e["event"] == "user"]


class ChatSocket:
    """One browser's socket.io connection, as rasa-webchat uses it."""

    def __init__(self, stack: Stack, origin: str | None = None) -> None:
        self.stack = stack
        self.confirmed: queue.Queue[str] = queue.Queue()
        self.replies: queue.Queue[dict[str, Any]] = queue.Queue()
        self.client = socketio.Client(reconnection=False)
        self.client.on("session_confirm", self.confirmed.put)
        self.client.on("bot_uttered", self.replies.put)
        self.client.connect(
            stack.config.rasa_url,
            transports=["polling"],
            headers={"Origin": origin} if origin else {},
        )
        self.token = ""

    def session(self, token: str | None = None) -> str:
        """Ask for a session (bringing a token, as after a reload); the one confirmed."""
        self.client.emit("session_request", {"session_id": token})
        self.token = self.confirmed.get(timeout=WAIT)
        return self.token

    def send(self, text: str, session_id: str | None = None) -> None:
        self.client.emit("user_uttered", {"message": text, "session_id": session_id or self.token})

    def say(self, text: str) -> str:
        """A message and its reply (all the messages of the turn), once the turn is stored."""
        before = len(user_texts(self.stack, self.conversation))
        self.send(text)
        said = [self.replies.get(timeout=WAIT)]
        try:
            while True:
                said.append(self.replies.get(timeout=1))
        except queue.Empty:
            pass
        deadline = time.monotonic() + WAIT  # Rasa stores the turn once its replies are out
        while len(user_texts(self.stack, self.conversation)) == before:
            assert time.monotonic() < deadline, "the turn was never stored"
            time.sleep(0.2)
        return "\n".join(str(message.get("text")) for message in said)

    def heard_nothing(self) -> bool:
        try:
            self.replies.get(timeout=QUIET)
        except queue.Empty:
            return True
        return False

    @property
    def conversation(self) -> str:
        return SessionTokens(self.stack.config.webchat_secret).conversation(self.token)

    def close(self) -> None:
        # Over long-polling a clean disconnect waits out the pending poll (~30 s).
        self.client.eio.disconnect(abort=True)


@pytest.fixture
def alice(web_stack: Stack):  # type: ignore[no-untyped-def]
    chat = ChatSocket(web_stack)
    chat.session()
    yield chat
    chat.close()


@pytest.fixture
def mallory(web_stack: Stack):  # type: ignore[no-untyped-def]
    chat = ChatSocket(web_stack)
    chat.session()
    yield chat
    chat.close()


def test_a_message_naming_another_session_is_dropped(
    web_stack: Stack, alice: ChatSocket, mallory: ChatSocket
) -> None:
    assert "Brightwave" in alice.say("hello")
    before = web_stack.tracker(alice.conversation)["events"]
    for named in (alice.token, alice.conversation):  # the token itself, the id agents see
        mallory.send("where is my order BW-100002", session_id=named)
    assert mallory.heard_nothing() and alice.heard_nothing()
    assert web_stack.tracker(alice.conversation)["events"] == before
    assert user_texts(web_stack, mallory.conversation) == []


def test_the_conversation_id_others_see_does_not_open_the_conversation(
    web_stack: Stack, alice: ChatSocket
) -> None:
    assert "Brightwave" in alice.say("hello")
    mallory = ChatSocket(web_stack)
    try:
        token = mallory.session(alice.conversation)
        assert token != alice.token and mallory.conversation != alice.conversation
    finally:
        mallory.close()


@pytest.mark.parametrize(
    "forged",
    [
        "0123456789abcdef0123456789abcdef.0123456789abcdef0123456789abcdef",
        "0123456789abcdef0123456789abcdef",
        "whatsapp:+447700998515",
        None,
    ],
)
def test_a_forged_token_gets_a_fresh_session(web_stack: Stack, forged: str | None) -> None:
    chat = ChatSocket(web_stack)
    try:
        token = chat.session(forged)
        assert token != forged and SessionTokens(web_stack.config.webchat_secret).valid(token)
    finally:
        chat.close()


def test_a_reload_with_the_issued_token_continues_the_conversation(
    web_stack: Stack, alice: ChatSocket
) -> None:
    assert "Brightwave" in alice.say("hello")
    reloaded = ChatSocket(web_stack)
    try:
        assert reloaded.session(alice.token) == alice.token
        reloaded.say("thanks")
        assert user_texts(web_stack, alice.conversation) == ["hello", "thanks"]
    finally:
        reloaded.close()


def test_another_origin_is_refused(web_stack: Stack) -> None:
    with pytest.raises(socketio.exceptions.ConnectionError):
        ChatSocket(web_stack, origin="https://evil.example")
    handshake = f"{web_stack.config.rasa_url}/socket.io/?EIO=4&transport=polling"
    refused = requests.get(handshake, headers={"Origin": "https://evil.example"}, timeout=10)
    assert refused.status_code == 400 and "not an accepted origin" in refused.text
    own = requests.get(handshake, headers={"Origin": web_stack.config.rasa_url}, timeout=10)
    assert own.status_code == 200
    assert own.headers["Access-Control-Allow-Origin"] == web_stack.config.rasa_url


@pytest.mark.parametrize(
    "typed", ["/restart", "/session_start", '/inform{"customer_id": "C-1001"}']
)
def test_typed_commands_are_plain_text(web_stack: Stack, alice: ChatSocket, typed: str) -> None:
    alice.say("hello")
    alice.say(typed)
    events = web_stack.tracker(alice.conversation)["events"]
    assert user_texts(web_stack, alice.conversation) == ["hello", typed.lstrip("/")]
    assert not [e for e in events if e["event"] in ("restart", "rewind")]
    assert len([e for e in events if e["event"] == "session_started"]) == 1


def test_hostile_text_is_cleaned_or_dropped(web_stack: Stack, alice: ChatSocket) -> None:
    for hostile in ("\udfff\ud800", "\x00\x07", "x" * 6000, 42):
        alice.client.emit("user_uttered", {"message": hostile, "session_id": alice.token})
    assert alice.heard_nothing()
    assert "Brightwave" in alice.say("hello \ud800there")
    assert user_texts(web_stack, alice.conversation) == ["hello there"]


def test_a_flood_in_one_session_is_cut_off(web_stack: Stack, alice: ChatSocket) -> None:
    for _ in range(WEBCHAT_SESSION_LIMIT):
        alice.say("hello")
    alice.send("hello")
    alice.send("hello")
    time.sleep(QUIET)
    assert len(user_texts(web_stack, alice.conversation)) == WEBCHAT_SESSION_LIMIT
    other = ChatSocket(web_stack)  # another session is still answered
    try:
        other.session()
        assert "Brightwave" in other.say("hello")
    finally:
        other.close()


def _polling_socket(stack: Stack) -> tuple[requests.Session, str]:
    """An Engine.IO polling connection opened as a browser would, and its sid."""
    session = requests.Session()
    opened = session.get(f"{stack.config.rasa_url}/socket.io/?EIO=4&transport=polling", timeout=10)
    assert opened.status_code == 200 and opened.text.startswith("0"), opened.text
    return session, json.loads(opened.text[1:])["sid"]


def _post(stack: Stack, session: requests.Session, sid: str, body: bytes) -> requests.Response:
    return session.post(
        f"{stack.config.rasa_url}/socket.io/?EIO=4&transport=polling&sid={sid}",
        data=body,
        headers={"Content-Type": "text/plain;charset=UTF-8"},
        timeout=10,
    )


@pytest.mark.parametrize("body", [b"0000", b"2probe", b"6", b"40\x1e2"])
def test_a_packet_only_a_server_sends_is_refused_not_left_hanging(
    web_stack: Stack, body: bytes
) -> None:
    """python-engineio closed the socket on such a packet and waited for a poll that
    never came: the request was answered after 120 s or never (found by the fuzz bench)."""
    session, sid = _polling_socket(web_stack)
    refused = _post(web_stack, session, sid, body)
    assert refused.status_code == 400 and "Engine.IO" in refused.json()["error"]


def test_a_post_to_a_socket_its_client_closed_is_a_400(web_stack: Stack) -> None:
    """python-engineio answered it with an uncaught KeyError (a 500)."""
    session, sid = _polling_socket(web_stack)
    assert _post(web_stack, session, sid, b"40").status_code == 200
    assert _post(web_stack, session, sid, b"1").status_code == 200
    again = _post(web_stack, session, sid, b"41")
    assert again.status_code == 400 and "closed" in again.json()["error"], again.text
