"""Replays the recorded conversations of release/regression.yml against a candidate
model on a whole stack of its own (free ports, fresh databases, the sample CRM) over
the REST channel, and reads what each conversation achieved from its `outcomes`
slot (contract K1) through Rasa's HTTP API: the same outcomes the analytics count."""

import dataclasses
import secrets
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import yaml

from actions.identity import METADATA_CUSTOMER_ID, METADATA_SIGNATURE, sign
from connectors.rest_auth import authorization
from stack.config import StackConfig, isolated_config
from stack.launch import start_stack, stop_all
from stack.processes import ROOT

REGRESSION_SET = ROOT / "release" / "regression.yml"
TURN_TIMEOUT = 60


@dataclass(frozen=True)
class Recorded:
    """One conversation as recorded: who (a customer the channel vouches for, or
    nobody), what they typed, and the outcomes it ended with."""

    id: str
    journey: str
    turns: tuple[str, ...]
    expect: tuple[str, ...]  # "goal: result", in order
    customer: str | None = None


def load_set(path: Path = REGRESSION_SET) -> list[Recorded]:
    items = yaml.safe_load(path.read_text(encoding="utf-8"))["conversations"]
    return [
        Recorded(
            id=item["id"],
            journey=item["journey"],
            turns=tuple(item["turns"]),
            expect=tuple(item["expect"]),
            customer=item.get("customer"),
        )
        for item in items
    ]


def outcome_names(outcomes: list[dict[str, Any]] | None) -> list[str]:
    return [f"{o['goal']}: {o['result']}" for o in outcomes or []]


class Replayer:
    def __init__(self, config: StackConfig, secret: str, api_token: str) -> None:
        self.config, self.secret, self.api_token = config, secret, api_token

    def replay(self, recorded: Recorded) -> list[str]:
        sender = f"release-{uuid.uuid4().hex[:12]}"
        metadata = None
        if recorded.customer:
            metadata = {
                METADATA_CUSTOMER_ID: recorded.customer,
                METADATA_SIGNATURE: sign(self.secret, sender, recorded.customer),
            }
        for text in recorded.turns:
            body: dict[str, Any] = {"sender": sender, "message": text}
            if metadata:
                body["metadata"] = metadata
            requests.post(
                f"{self.config.rasa_url}/webhooks/rest/webhook",
                json=body,
                headers=authorization(self.config.rest_jwt_secret, sender),
                timeout=TURN_TIMEOUT,
            ).raise_for_status()
        tracker = requests.get(
            f"{self.config.rasa_internal_url}/conversations/{sender}/tracker",
            params={"token": self.api_token},
            timeout=TURN_TIMEOUT,
        )
        tracker.raise_for_status()
        return outcome_names(tracker.json()["slots"].get("outcomes"))


def replay_all(model: Path, recorded: list[Recorded]) -> dict[str, list[str]]:
    """Each conversation's outcomes with this model, by conversation id."""
    secret, token = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory(prefix="release-replay-") as home:
        config = isolated_config(
            Path(home), {"SWITCHBOARD_INTEGRATION_SECRET": secret}, rasa_api_token=token
        )
        config = dataclasses.replace(config, model=model.resolve())
        services = start_stack(config)
        try:
            replayer = Replayer(config, secret, token)
            return {item.id: replayer.replay(item) for item in recorded}
        finally:
            stop_all(services)
