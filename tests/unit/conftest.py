"""Shared fixtures for the action-server unit tests."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from actions import backend_client
from actions.settings import settings
from tests.support import crm as fixture


@pytest.fixture(scope="session")
def crm() -> dict[str, Any]:
    """The Brightwave sample data (read-only)."""
    return fixture.crm()


@pytest.fixture
def backend_at(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Point the process-wide backend client at a URL, fast and without retries."""

    def point(url: str) -> None:
        monkeypatch.setenv("BACKEND_URL", url)
        monkeypatch.setenv("BACKEND_RETRIES", "0")
        monkeypatch.setenv("BACKEND_CONNECT_TIMEOUT", "0.5")
        monkeypatch.setenv("BACKEND_READ_TIMEOUT", "0.5")
        settings.cache_clear()
        backend_client.client.cache_clear()

    yield point
    settings.cache_clear()
    backend_client.client.cache_clear()
