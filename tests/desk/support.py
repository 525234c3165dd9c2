"""Helpers for the desk tests: valid packets, a desk process, Rasa's API as a test reads it."""

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests

from actions.packet.account import NOT_VERIFIED_NOTE, empty_snapshot
from actions.packet.build import build_packet
from desk.settings import DEFAULT_BEHAVIOUR
from escalation.decision import Decision
from stack.config import VENV_BIN
from stack.desk_admin import create_admin
from tests.support.services import Service, free_port, start_service
from tests.support.stack import DeskClient

INTEGRATION_TOKEN = "test-integration-token"
ADMIN = "admin"
ADMIN_PASSWORD = "test-admin-password"
RASA_TOKEN = "test-rasa-token"
DESK_RASA_SECRET = "test-desk-rasa-secret-of-32-characters"
WEDNESDAY_MORNING = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
ASKED_FOR_PERSON = Decision(
    True,
    False,
    "human_requested",
    "explicit_request",
    {"phrase": "talk to a person"},
    emotion_score=0.0,
    low_confidence=False,
)
TIMEOUT = 10


def conversation_id() -> str:
    return f"desk-test-{uuid.uuid4().hex[:12]}"


def packet(conversation: str | None = None) -> dict[str, Any]:
    """A valid packet of an unverified customer who asked for a person."""
    now = WEDNESDAY_MORNING
    sender = conversation or conversation_id()
    events = [
        {
            "event": "user",
            "text": "I want to talk to a person",
            "input_channel": "rest",
            "timestamp": now.timestamp() - 5,
            "parse_data": {"intent": {"name": "request_human", "confidence": 0.97}},
        }
    ]
    tracker = {"sender_id": sender, "slots": {}, "events": events, "latest_input_channel": "rest"}
    return build_packet(tracker, ASKED_FOR_PERSON, empty_snapshot(NOT_VERIFIED_NOTE), None, now)


ALWAYS_OPEN = (
    "hours: {time_zone: Europe/Berlin, days: [mon, tue, wed, thu, fri, sat, sun], "
    'open: "00:00", close: "24:00"}\n'
)


def closed_hours() -> str:
    """Hours that are closed today and tomorrow (open only the day after)."""
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[
        (datetime.now(ZoneInfo("Europe/Berlin")).weekday() + 2) % 7
    ]
    return f'hours: {{time_zone: Europe/Berlin, days: [{day}], open: "08:00", close: "20:00"}}\n'


def behaviour(hours: str = ALWAYS_OPEN) -> str:
    """The desk's shipped settings file with other hours (a test must not depend on
    the time it runs at)."""
    shipped = DEFAULT_BEHAVIOUR.read_text(encoding="utf-8")
    start = shipped.index("\nhours:\n") + 1
    end = shipped.index("\nagent_messages:\n") + 1
    return shipped[:start] + hours + shipped[end:]


def agent_messages() -> str:
    """The shipped `agent_messages` section, for a test's own settings file."""
    shipped = DEFAULT_BEHAVIOUR.read_text(encoding="utf-8")
    end = shipped.find("\n", shipped.index("  closed: ")) + 1
    return shipped[shipped.index("agent_messages:\n") : end]


def start_desk(
    name: str,
    workdir: Path,
    rasa_url: str,
    env: dict[str, str] | None = None,
    hours: str = ALWAYS_OPEN,
) -> Service:
    """`python -m desk` on a free port with its own database, talking to rasa_url
    (Rasa's internal listener); open at any hour unless hours (or DESK_SETTINGS in
    env) say otherwise."""
    if "DESK_SETTINGS" not in (env or {}):
        settings = workdir / f"{name}-settings.yml"
        settings.write_text(behaviour(hours), encoding="utf-8")
        env = {**(env or {}), "DESK_SETTINGS": str(settings)}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    desk_env = {
        "DESK_DATABASE_URL": f"sqlite:///{workdir / f'{name}.db'}",
        "DESK_INTEGRATION_TOKEN": INTEGRATION_TOKEN,
        "RASA_URL": rasa_url,
        "SWITCHBOARD_DESK_RASA_SECRET": DESK_RASA_SECRET,
        **(env or {}),
    }
    create_admin(ADMIN, ADMIN_PASSWORD, desk_env)
    return start_service(
        name,
        [str(VENV_BIN / "python"), "-m", "desk", "--port", str(port)],
        f"{url}/health",
        url,
        workdir / "logs",
        env=desk_env,
    )


def integration(url: str) -> DeskClient:
    """The desk as the action server calls it."""
    return DeskClient(url, INTEGRATION_TOKEN)


def admin(url: str) -> DeskClient:
    return DeskClient.signed_in(url, ADMIN, ADMIN_PASSWORD)


def agent(url: str, name: str = "Dana", role: str = "agent") -> DeskClient:
    """An account of that name and role, created if needed, signed in."""
    return admin(url).account(name, role)


class RasaApi:
    """Rasa's token-protected HTTP API on its internal listener, as the tests use it."""

    def __init__(self, url: str, rest_secret: str = "", public_url: str = "") -> None:
        self.url = url
        # The REST channel (public listener) and its secret, for a customer's message.
        self.public_url = public_url or url
        self.rest_secret = rest_secret

    def _conversation(self, sender: str) -> str:
        return f"{self.url}/conversations/{sender}/tracker"

    def append(self, sender: str, events: list[dict[str, Any]]) -> None:
        response = requests.post(
            f"{self._conversation(sender)}/events",
            json=events,
            params={"token": RASA_TOKEN},
            timeout=TIMEOUT,
        )
        assert response.status_code == 200, response.text

    def tracker(self, sender: str) -> dict[str, Any]:
        response = requests.get(
            self._conversation(sender), params={"token": RASA_TOKEN}, timeout=TIMEOUT
        )
        assert response.status_code == 200, response.text
        return response.json()

    def paused_conversation(self) -> str:
        """A new conversation paused for a person, as the hand-over action leaves it:
        the customer has said something (logged through Rasa's processor, without a
        prediction), then the assistant paused. (A pause before any customer message
        does not survive the session Rasa starts at the first one.)"""
        sender = conversation_id()
        response = requests.post(
            f"{self.url}/conversations/{sender}/messages",
            params={"token": RASA_TOKEN},
            timeout=TIMEOUT,
            json={"text": "I want to talk to a person", "sender": "user"},
        )
        assert response.status_code == 200, response.text
        self.append(sender, [{"event": "pause"}])
        return sender
