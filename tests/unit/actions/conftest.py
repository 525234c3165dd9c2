"""Each action's run() against rasa-sdk Trackers built in the test, as rasa-sdk's own
tests do, with a CollectingDispatcher; the backend (and, for the hand-over, the agent
desk) are the real services, started once for this package."""

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client, desk_client, failures, lockout, outbox
from actions.outcomes import OUTCOMES
from actions.settings import settings
from tests.backend.support import start_backend
from tests.desk.support import INTEGRATION_TOKEN, start_desk
from tests.support.services import Service, free_port

# Every cached client and store the actions build from the environment.
CACHES = (
    settings,
    backend_client.client,
    desk_client.desk,
    lockout.store,
    outbox.store,
    failures.escalation_config,
)

Said = list[tuple[str | None, dict[str, Any]]]


@pytest.fixture(scope="session")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The sample backend (`python -m backend`) serving the Brightwave fixture."""
    workdir = tmp_path_factory.mktemp("actions-backend")
    service = start_backend(
        "backend",
        workdir,
        {"DATABASE_URL": f"sqlite:///{workdir / 'backend.db'}", "BACKEND_ADMIN_TOKEN": ""},
    )
    yield service
    service.stop()


@pytest.fixture(autouse=True)
def configured(
    backend: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[pytest.MonkeyPatch]:
    """The action server's settings for this test alone: the real backend, its own
    assistant database, no desk unless the test sets DESK_URL."""
    monkeypatch.setenv("BACKEND_URL", backend.url)
    monkeypatch.setenv("ASSISTANT_DATABASE_URL", f"sqlite:///{tmp_path / 'assistant.db'}")
    for name in (
        "DESK_URL",
        "DESK_INTEGRATION_TOKEN",
        "SWITCHBOARD_INTEGRATION_SECRET",
        "BACKEND_TURN_BUDGET",
    ):
        monkeypatch.delenv(name, raising=False)
    for cache in CACHES:
        cache.cache_clear()
    yield monkeypatch
    for cache in CACHES:
        cache.cache_clear()


@pytest.fixture(scope="session")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The agent desk; its Rasa is not running (a hand-over does not need it)."""
    service = start_desk(
        "actions-desk", tmp_path_factory.mktemp("actions-desk"), f"http://127.0.0.1:{free_port()}"
    )
    yield service
    service.stop()


@pytest.fixture
def desk_url(desk: Service, configured: pytest.MonkeyPatch) -> str:
    """The action server pointed at the desk for this test."""
    configured.setenv("DESK_URL", desk.url)
    configured.setenv("DESK_INTEGRATION_TOKEN", INTEGRATION_TOKEN)
    for cache in CACHES:
        cache.cache_clear()
    return desk.url


def backend_down(monkeypatch: pytest.MonkeyPatch) -> None:
    """The backend unreachable: nothing listens where BACKEND_URL points."""
    monkeypatch.setenv("BACKEND_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("BACKEND_RETRIES", "0")
    for cache in CACHES:
        cache.cache_clear()


def tracker(
    slots: dict[str, Any] | None = None,
    text: str = "hello",
    intent: str = "greet",
    intent_ranking: list[dict[str, Any]] | None = None,
    channel: str = "rest",
    sender: str = "actions-test",
    metadata: dict[str, Any] | None = None,
    active_loop: str | None = None,
) -> Tracker:
    """A tracker whose latest event is the customer's message, with these slots."""
    parse_data = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.95},
        "intent_ranking": intent_ranking or [{"name": intent, "confidence": 0.95}],
        "entities": [],
        "metadata": metadata or {},
    }
    events: list[dict[str, Any]] = [
        {"event": "action", "name": "action_session_start", "timestamp": 1.0},
        {"event": "session_started", "timestamp": 1.0},
        {"event": "action", "name": "action_listen", "timestamp": 1.0},
        {
            "event": "user",
            "text": text,
            "timestamp": 2.0,
            "input_channel": channel,
            "parse_data": parse_data,
            "metadata": metadata or {},
        },
        *(
            {"event": "slot", "name": name, "value": value, "timestamp": 2.0}
            for name, value in (slots or {}).items()
        ),
    ]
    return Tracker(
        sender,
        dict(slots or {}),
        parse_data,
        events,
        False,
        None,
        {"name": active_loop} if active_loop else {},
        "action_listen",
    )


def run(
    action: Action, track: Tracker, domain: dict[str, Any] | None = None
) -> tuple[list[dict[str, Any]], Said]:
    """The events the action returns and what it said: (response, its variables)."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, track, domain or {}))
    said = [
        (
            m.get("response"),
            {
                k: v
                for k, v in m.items()
                if k not in ("response", "template") and v not in (None, [], {})
            },
        )
        for m in dispatcher.messages
    ]
    return events, said


def slots_set(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The slots the events set (the last value wins), but the outcome record, which
    `outcomes` reads."""
    return {
        e["name"]: e["value"] for e in events if e.get("event") == "slot" and e["name"] != OUTCOMES
    }


def recorded(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The outcome record as the events leave it (actions/outcomes.py)."""
    return (
        next(
            (
                e["value"]
                for e in reversed(events)
                if e.get("event") == "slot" and e["name"] == OUTCOMES
            ),
            None,
        )
        or []
    )


def outcomes(events: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(action, goal, result) of each recorded outcome."""
    return [(o["action"], o["goal"], o["result"]) for o in recorded(events)]


def responses(said: Said) -> list[str | None]:
    return [response for response, _ in said]
