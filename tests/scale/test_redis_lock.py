"""Two Rasa processes of the stack on one tracker store and Rasa's RedisLockStore
(issue #16): two messages for one conversation, one to each process at the same
moment, are processed one after the other; an agent's reply written through one
process reaches the web chat browser connected to the other, and its confirmation
comes back (the web chat's sockets shared through Redis). Starts its own redis-server.

Without the lock store (each process with Rasa's in-memory lock) the same race was seen
to lose a turn: both messages answered, but the stored conversation held only one of
them, because each process saved its tracker as read before the other's turn."""

import dataclasses
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
import socketio

from connectors.webchat import QUEUE_ENV
from desk.rasa_client import APPEND_SCOPE, READ_SCOPE, desk_token
from stack.config import StackConfig, isolated_config
from stack.launch import (
    rasa,
    start_action_server,
    start_analytics,
    start_backend,
    start_desk,
    start_in_order,
    start_memory,
    start_outreach,
    stop_all,
)
from stack.processes import ROOT, Service, free_port, wait_ready
from tests.channels.test_webchat import conversation
from tests.support.stack import API_TOKEN, INTEGRATION_SECRET, Conversation, Stack

REDIS_SERVER = shutil.which("redis-server")

pytestmark = pytest.mark.skipif(
    REDIS_SERVER is None, reason="redis-server is not installed (apt-get install redis-server)"
)

LOCK_STORE = """
# Added by the test: Rasa's lock store in Redis, shared by both processes.
lock_store:
  type: redis
  url: 127.0.0.1
  port: {port}
  db: 0
"""


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A redis-server of its own on a free loopback port, without persistence."""
    assert REDIS_SERVER
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        + ["--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.1)
        else:
            pytest.fail("redis-server did not answer PING within 10 s")
        yield port
    finally:
        server.terminate()
        server.wait(10)


def second_rasa(config: StackConfig, home: Path) -> StackConfig:
    """The same stack's Rasa again: other ports and logs, the same stores and secrets."""
    return dataclasses.replace(
        config,
        rasa_port=free_port(),
        rasa_internal_port=free_port(),
        log_dir=home / "log-rasa-2",
        tracker_store_journal=home / "unsaved_turns-2.jsonl",
    )


@pytest.fixture(scope="module")
def two_rasas(
    redis_port: int, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Stack, Stack]]:
    """The stack with two Rasa processes sharing the tracker store and the Redis lock."""
    home = tmp_path_factory.mktemp("stack")
    endpoints = home / "endpoints.redis.yml"
    endpoints.write_text((ROOT / "endpoints.yml").read_text() + LOCK_STORE.format(port=redis_port))
    config = dataclasses.replace(
        isolated_config(
            home,
            {
                "SWITCHBOARD_INTEGRATION_SECRET": INTEGRATION_SECRET,
                QUEUE_ENV: f"redis://127.0.0.1:{redis_port}/3",
            },
            rasa_api_token=API_TOKEN,
        ),
        endpoints=str(endpoints),
    )
    if not config.model.exists():
        pytest.fail(f"No trained model at {config.model}: `make test` trains it first.")
    other = second_rasa(config, home)
    services: list[Service] = []
    try:
        services += start_in_order(
            [
                start_backend,
                start_desk,
                start_memory,
                start_analytics,
                start_outreach,
                start_action_server,
            ],
            config,
        )
        launches = [rasa(config), dataclasses.replace(rasa(other), name="rasa-2")]
        spawned = [launch.spawn() for launch in launches]  # both load the model at once
        services += spawned
        for launch, service in zip(launches, spawned, strict=True):
            wait_ready(service, launch.ready_url, launch.timeout)
        yield Stack(config), Stack(other)
    finally:
        stop_all(services)


def turns(events: list[dict[str, Any]]) -> list[list[str]]:
    """The conversation's events cut at each user message: the user text, then the
    names of the actions and the texts the assistant answered with."""
    cut: list[list[str]] = []
    for event in events:
        if event["event"] == "user":
            cut.append([f"user:{event['text']}"])
        elif cut and event["event"] == "action":
            cut[-1].append(f"action:{event['name']}")
        elif cut and event["event"] == "bot":
            cut[-1].append("bot")
    return cut


def test_two_messages_at_two_processes_are_processed_one_after_the_other(
    two_rasas: tuple[Stack, Stack], redis_port: int
) -> None:
    first, second = two_rasas
    assert first.config.rasa_url != second.config.rasa_url
    lock_db = redis.Redis(port=redis_port)
    sets_before = lock_db.info("commandstats").get("cmdstat_set", {}).get("calls", 0)
    sender = Conversation(first).sender
    conversations = [Conversation(first, sender), Conversation(second, sender)]
    # Open the conversation first, so the two racing messages meet an existing tracker.
    assert "Brightwave's virtual assistant" in conversations[0].say("hello there")

    texts = ["thanks a lot", "bye"]
    replies: dict[str, str] = {}
    start = threading.Barrier(2)

    def send(conversation: Conversation, text: str) -> None:
        start.wait()
        replies[text] = conversation.say(text)

    threads = [
        threading.Thread(target=send, args=(c, t))
        for c, t in zip(conversations, texts, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    # Both answered, each with its own reply.
    assert "You're welcome" in replies["thanks a lot"]
    assert "Goodbye" in replies["bye"]
    # Both processes took the conversation's lock in Redis, and let it go.
    sets_after = lock_db.info("commandstats")["cmdstat_set"]["calls"]
    assert sets_after - sets_before >= 2
    assert lock_db.keys("lock:*") == []

    # Read through each process: the same stored conversation, in order, no interleaving.
    for stack in (first, second):
        events = stack.tracker(sender)["events"]
        stamps = [event["timestamp"] for event in events]
        assert stamps == sorted(stamps)
        cut = turns(events)
        assert [turn[0] for turn in cut[1:]] in (
            [f"user:{t}" for t in texts],
            [f"user:{t}" for t in reversed(texts)],
        ), cut
        for turn in cut:
            # Each message's turn is whole: the assistant answered it and listened
            # again before the next message's events begin.
            assert "bot" in turn, cut
            assert turn[-1] == "action:action_listen", cut
            assert [e for e in turn if e.startswith("user:")] == [turn[0]], cut


def internal(stack: Stack, scope: str, conversation_id: str) -> tuple[str, dict[str, str]]:
    """The desk's door into one process for one conversation: its URL and token."""
    token = desk_token(stack.config.desk_rasa_secret, scope, conversation_id)
    url = f"{stack.config.rasa_internal_url}/internal/conversations/{conversation_id}/events"
    return url, {"Authorization": f"Bearer {token}"}


def test_an_agents_reply_written_by_one_process_reaches_the_browser_on_the_other(
    two_rasas: tuple[Stack, Stack],
) -> None:
    first, second = two_rasas
    confirmed: queue.Queue[str] = queue.Queue()
    said: queue.Queue[dict[str, Any]] = queue.Queue()
    browser = socketio.Client()
    browser.on("session_confirm", confirmed.put)
    browser.on("bot_uttered", said.put)  # answering confirms the message
    browser.connect(first.config.rasa_url, transports=["polling"])
    try:
        browser.emit("session_request", {"session_id": None})
        token = confirmed.get(timeout=30)
        browser.emit("user_uttered", {"message": "hello", "session_id": token})
        assert "Brightwave" in said.get(timeout=60)["text"]
        conversation_id = conversation(first, token)

        reply = "Hi, it's Dana from Brightwave: I have your order in front of me."
        url, headers = internal(second, APPEND_SCOPE, conversation_id)
        event = {"event": "bot", "text": reply, "metadata": {"agent": "Dana"}}
        appended = requests.post(url, json=[event], headers=headers, timeout=30)
        assert appended.status_code == 200, appended.text
        assert said.get(timeout=30)["text"] == reply

        # The browser's confirmation reached the process that wrote it.
        url, headers = internal(second, READ_SCOPE, conversation_id)
        deadline = time.monotonic() + 30
        while True:
            read = requests.get(url, headers=headers, timeout=30).json()
            states = [m.get("delivery") for m in read["events"] if m.get("text") == reply]
            if states == ["delivered"] or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert states == ["delivered"], read
    finally:
        browser.eio.disconnect(abort=True)  # a clean one waits out the long poll
