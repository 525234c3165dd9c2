"""Web chat messages wait until a browser confirms them (connectors/webchat/outbox.py),
and an agent's message goes out marked with the agent's name (WebChatOutput); the
socket.io server is a real one with no browser connected."""

import asyncio
import time
from pathlib import Path

import pytest
import socketio

from connectors.state import ChannelState
from connectors.webchat import AGENT_CLASS, WebChatOutput
from connectors.webchat import outbox as outbox_module
from connectors.webchat.outbox import Outbox


@pytest.fixture
def outbox(tmp_path: Path) -> Outbox:
    return Outbox(ChannelState(f"sqlite:///{tmp_path / 'channels.db'}"))


def test_messages_wait_in_order_until_confirmed_and_per_conversation(outbox: Outbox) -> None:
    async def scenario() -> None:
        first = await outbox.put("webchat-a", {"text": "one"})
        await outbox.put("webchat-a", {"text": "two"})
        await outbox.put("webchat-b", {"text": "elsewhere"})
        assert [m["text"] for _, m in await outbox.waiting("webchat-a")] == ["one", "two"]
        await outbox.delivered(first)
        assert [m["text"] for _, m in await outbox.waiting("webchat-a")] == ["two"]
        assert [m["text"] for _, m in await outbox.waiting("webchat-b")] == ["elsewhere"]

    asyncio.run(scenario())


def test_messages_older_than_the_retention_are_dropped(
    outbox: Outbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def scenario() -> None:
        await outbox.put("webchat-a", {"text": "long ago"})
        later = time.time() + outbox_module.RETENTION_SECONDS + 1
        monkeypatch.setattr(outbox_module.time, "time", lambda: later)
        await outbox.put("webchat-a", {"text": "now"})
        assert [m["text"] for _, m in await outbox.waiting("webchat-a")] == ["now"]

    asyncio.run(scenario())


def test_an_agents_message_carries_the_name_and_the_assistants_does_not(outbox: Outbox) -> None:
    output = WebChatOutput(socketio.AsyncServer(async_mode="asgi"), "bot_uttered", outbox)

    async def scenario() -> None:
        await output.send_response("webchat-a", {"text": "Hello from the assistant."})
        await output.send_response(
            "webchat-a",
            {"text": "Hi, Dana here.\n\nLooking now.", "agent": "Dana", "handoff_id": "h1"},
        )

    asyncio.run(scenario())
    sent = [message for _, message in asyncio.run(outbox.waiting("webchat-a"))]
    mark = {
        "customCss": {"style": "class", "css": AGENT_CLASS, "agent": "Dana"},
        "stamp": None,
    }  # no delivery stamp given: nothing to confirm
    assert sent == [
        {"text": "Hello from the assistant."},  # exactly what the widget renders
        {"text": "Hi, Dana here.", "metadata": mark},
        {"text": "Looking now.", "metadata": mark},
    ]
