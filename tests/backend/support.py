"""Helpers for the backend tests: an HTTP client and a way to start the backend.

The tests never import the ``backend`` package in process: they run it the way
it is deployed, as ``python -m backend``.
"""

import sys
from pathlib import Path
from typing import Any

import requests

from tests.support.crm import FIXTURE
from tests.support.services import Service, free_port, start_service

TIMEOUT = 10


class Api:
    """A requests session bound to the backend's base URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, f"{self.url}{path}", timeout=TIMEOUT, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)


def start_backend(name: str, workdir: Path, env: dict[str, str]) -> Service:
    """`python -m backend` on a free port, serving the shared fixture, with env added."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    return start_service(
        name,
        [sys.executable, "-m", "backend", "--port", str(port)],
        f"{url}/health",
        url,
        workdir / "logs",
        env={"BRIGHTWAVE_FIXTURE": str(FIXTURE), **env},
    )
