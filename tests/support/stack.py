"""The running stack as the end-to-end tests see it, and customers talking to it
over the REST channel like any client would."""

import dataclasses
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests

from actions.identity import sign
from connectors.rest_auth import authorization
from stack.config import StackConfig
from stack.desk_admin import first_desk_admin
from stack.launch import (
    start_action_server,
    start_analytics,
    start_backend,
    start_desk,
    start_memory,
    start_outreach,
    start_rasa,
    stop_all,
)
from stack.processes import Service
from tests.backend.support import Api

INTEGRATION_SECRET = "test-integration-secret"
API_TOKEN = "test-api-token"
TURN_TIMEOUT = 30


class Stack:
    """The running services, with the means to stop and restart them."""

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.backend: Service | None = None
        self.desk: Service | None = None
        self.memory: Service | None = None
        self.analytics: Service | None = None
        self.outreach: Service | None = None
        self.actions: Service | None = None
        self.rasa: Service | None = None

    def start(self) -> None:
        self.backend = start_backend(self.config)
        first_desk_admin(self.config)
        self.desk = start_desk(self.config)
        self.memory = start_memory(self.config)
        self.analytics = start_analytics(self.config)
        self.outreach = start_outreach(self.config)
        self.actions = start_action_server(self.config)
        self.rasa = start_rasa(self.config)

    def stop(self) -> None:
        services = (
            self.backend,
            self.desk,
            self.memory,
            self.analytics,
            self.outreach,
            self.actions,
            self.rasa,
        )
        stop_all([s for s in services if s])

    def restart_rasa(self) -> None:
        assert self.rasa
        self.rasa.stop()
        self.rasa = start_rasa(self.config)

    def restart_desk(self, **env: str) -> None:
        """The desk again, on the same database, with env added to the stack's (e.g.
        DESK_SETTINGS with other support hours); none gives the stack's own desk."""
        assert self.desk
        self.desk.stop()
        self.desk = start_desk(
            dataclasses.replace(self.config, extra_env={**self.config.extra_env, **env})
        )

    def stop_backend(self) -> None:
        assert self.backend
        self.backend.stop()

    def start_backend(self) -> None:
        self.backend = start_backend(self.config)

    def desk_admin(self) -> "DeskClient":
        """The desk's first admin, signed in."""
        return DeskClient.signed_in(
            self.config.desk_url, self.config.desk_admin_username, self.config.desk_admin_password
        )

    def agent(self, name: str = "Dana", role: str = "agent") -> "DeskClient":
        """An agent signed in to the desk as themselves; the account (password
        desk_password(name)) is created by the admin when it does not exist yet."""
        return self.desk_admin().account(name, role)

    @property
    def webhook(self) -> str:
        return f"{self.config.rasa_url}/webhooks/rest/webhook"

    @property
    def poll_url(self) -> str:
        return f"{self.config.rasa_url}/webhooks/rest/messages"

    def rest_auth(self, sender: str) -> dict[str, str]:
        """The REST credential of one sender (contract C1)."""
        return authorization(self.config.rest_jwt_secret, sender)

    def tracker(self, sender: str) -> dict[str, Any]:
        """The stored conversation, read through Rasa's token-protected HTTP API on its
        internal listener."""
        response = requests.get(
            f"{self.config.rasa_internal_url}/conversations/{sender}/tracker",
            params={"token": API_TOKEN},
            timeout=TURN_TIMEOUT,
        )
        response.raise_for_status()
        return response.json()


def desk_password(username: str) -> str:
    """The password test helpers give the accounts they create."""
    return f"{username}-test-password"


class DeskClient(Api):
    """The desk's HTTP API as one signed-in account (or, with the integration token,
    the action server) calls it; answers are returned whatever their status."""

    def __init__(self, url: str, token: str | None = None) -> None:
        super().__init__(url)
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    @classmethod
    def signed_in(cls, url: str, username: str, password: str) -> "DeskClient":
        """Signed in with POST /api/session; the session token goes as a bearer token."""
        client = cls(url)
        response = client.post("/api/session", json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        client.session.cookies.clear()  # the bearer token alone, as an API client sends it
        client.session.headers["Authorization"] = f"Bearer {response.json()['token']}"
        return client

    def account(self, username: str, role: str = "agent") -> "DeskClient":
        """(As an admin) the account, created with desk_password(username) if it does
        not exist, signed in."""
        response = self.post(
            "/api/accounts",
            json={"username": username, "role": role, "password": desk_password(username)},
        )
        assert response.status_code in (201, 409), response.text
        return DeskClient.signed_in(self.url, username, desk_password(username))

    def move(self, handoff_id: str, move: str, **body: Any) -> requests.Response:
        """claim, reply, hand_back, close or rating."""
        return self.post(f"/api/handoffs/{handoff_id}/{move}", json=body or None)


@contextmanager
def running_stack(config: StackConfig) -> Iterator[Stack]:
    """The whole stack on this configuration, for a test session; the model must exist."""
    if not config.model.exists():
        pytest.fail(f"No trained model at {config.model}: `make test` trains it first.")
    running = Stack(config)
    try:
        running.start()
        yield running
    finally:
        running.stop()


class Conversation:
    """One customer talking to the assistant over the REST channel, with its credential."""

    def __init__(
        self, stack: Stack, sender: str | None = None, metadata: dict[str, Any] | None = None
    ) -> None:
        self.stack = stack
        self.sender = sender or f"test-{uuid.uuid4().hex[:12]}"
        self.metadata = metadata

    def send(self, text: str) -> list[dict[str, Any]]:
        """The assistant's reply messages to one message."""
        body: dict[str, Any] = {"sender": self.sender, "message": text}
        if self.metadata:
            body["metadata"] = self.metadata
        response = requests.post(
            self.stack.webhook,
            json=body,
            headers=self.stack.rest_auth(self.sender),
            timeout=TURN_TIMEOUT,
        )
        assert response.status_code == 200, response.text
        return response.json()

    def poll(self, since: float = 0) -> dict[str, Any]:
        """What the customer's client fetches while a person has the conversation."""
        response = requests.get(
            self.stack.poll_url,
            params={"sender": self.sender, "since": str(since)},
            headers=self.stack.rest_auth(self.sender),
            timeout=TURN_TIMEOUT,
        )
        assert response.status_code == 200, response.text
        return response.json()

    def say(self, text: str) -> str:
        """The assistant's reply to one message, as one text."""
        return "\n".join(m.get("text", "") for m in self.send(text))


def vouched(stack: Stack, customer_id: str) -> Conversation:
    """A conversation whose channel vouches for the customer, as a logged-in web
    page of Brightwave's would."""
    sender = f"test-{uuid.uuid4().hex[:12]}"
    return Conversation(
        stack,
        sender,
        {
            "verified_customer_id": customer_id,
            "verification_signature": sign(INTEGRATION_SECRET, sender, customer_id),
        },
    )
