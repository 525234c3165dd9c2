"""The real services outreach reads from (the backend on a fixture copy a test may
change, the memory with no fixture events), started as `make run` starts them."""

import dataclasses
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import requests
import yaml

from outreach.config import DEFAULT_PATH
from stack.config import StackConfig, isolated_config
from stack.launch import backend, memory
from stack.processes import ROOT, Service
from tests.memory.support import EVENT_SECRETS, MemoryApi, payment_failed, post_event

T = TypeVar("T")
FIXTURE = ROOT / "fixtures" / "brightwave_crm.json"


@dataclass
class Sources:
    config: StackConfig
    fixture: Path
    memory: MemoryApi

    def event(self, customer_id: str, invoice_id: str, detail: str = "card expired") -> int:
        """A payment_failed event posted to the memory, signed; its id."""
        answer = post_event(self.config.memory_url, payment_failed(customer_id, invoice_id, detail))
        assert answer.status_code == 201, answer.text
        return int(answer.json()["id"])

    def link_whatsapp(self, customer_id: str, conversation_id: str) -> None:
        link = {
            "channel": "twilio",
            "identity": conversation_id,
            "confirmed_by": "knowledge_factor",
        }
        answer = self.memory.put(f"/customers/{customer_id}/links", link)
        assert answer.status_code == 200, answer.text

    def change(self, collection: str, record_id: str, **fields: object) -> None:
        """A record changed in the CRM (its fixture changed, the backend rebuilt)."""
        data = json.loads(self.fixture.read_text())
        for record in data[collection]:
            if record["id"] == record_id:
                record.update(fields)
        self.fixture.write_text(json.dumps(data))
        answer = requests.post(f"{self.config.backend_url}/admin/rebuild", timeout=30)
        assert answer.status_code == 200, answer.text

    def pay(self, invoice_id: str) -> None:
        """The invoice is paid in the CRM."""
        self.change("invoices", invoice_id, status="paid")


@contextmanager
def sources(home: Path, env: dict[str, str] | None = None) -> Iterator[Sources]:
    """The backend and the memory (with env added to every service's environment)."""
    fixture = home / "crm.json"
    fixture.write_text(FIXTURE.read_text())
    no_events = home / "no-events.json"
    no_events.write_text('{"events": []}')
    config = isolated_config(
        home,
        {"MEMORY_EVENT_SECRETS": EVENT_SECRETS, "BRIGHTWAVE_FIXTURE": str(fixture), **(env or {})},
    )
    started: list[Service] = []
    try:
        started.append(backend(config).start())
        launch = memory(config)
        env = {**launch.env, "BRIGHTWAVE_FIXTURE": str(no_events)}
        started.append(dataclasses.replace(launch, env=env).start())
        yield Sources(config, fixture, MemoryApi(config.memory_url, config.memory_api_token))
    finally:
        for service in reversed(started):
            service.stop()


def wait_for(check: Callable[[], T], timeout: float = 30.0) -> T:
    """check()'s first truthy answer within timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.2)
    raise AssertionError("timed out waiting")


def rules_now(home: Path) -> Path:
    """outreach.yml sending at once (no delay) and quiet hours far from now, whenever
    the test runs (every fixture customer lives within two hours of UTC): a service on
    the real clock would otherwise defer its sends from 21:00 to 08:00."""
    raw = yaml.safe_load(DEFAULT_PATH.read_text())
    raw["rules"]["payment_failed"]["delay_minutes"] = 0
    now = datetime.now(UTC)
    raw["quiet_hours"] = {
        "start": (now + timedelta(hours=8)).strftime("%H:00"),
        "end": (now + timedelta(hours=9)).strftime("%H:00"),
    }
    path = home / "outreach.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True))
    return path
