"""The desk's client of one service's erase routes (memory, outreach, analytics): the
service's bearer token, a connect and a read timeout, one attempt (an erasure is run
again to complete it). A failure is PartFailed with a reason that names no customer
or conversation, since it goes into the kept receipt."""

from typing import Any
from urllib.parse import quote

import requests


class PartFailed(Exception):
    """The service did not erase its part; the message says why, without personal data."""


class ServiceClient:
    """GET or POST {base}{path} with `Authorization: Bearer <token>`."""

    def __init__(
        self,
        name: str,
        base_url: str | None,
        token: str | None,
        connect_timeout: float,
        read_timeout: float,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/") if base_url else None
        self.token = token
        self.timeout = (connect_timeout, read_timeout)
        self.session = requests.Session()

    def call(self, method: str, template: str, *ids: str) -> dict[str, Any]:
        """The JSON object answered to method on template filled with the quoted ids."""
        if not (self.base_url and self.token):
            raise PartFailed(f"{self.name} is not configured on this desk")
        path = template.format(*(quote(value, safe="") for value in ids))
        try:
            response = self.session.request(
                method,
                f"{self.base_url}{path}",
                timeout=self.timeout,
                headers={"Authorization": f"Bearer {self.token}"},
            )
        except requests.Timeout:
            raise PartFailed(f"{self.name} did not answer in time") from None
        except requests.RequestException as error:
            raise PartFailed(f"{self.name} is unreachable ({error.__class__.__name__})") from None
        if response.status_code >= 300:
            raise PartFailed(f"{self.name} answered HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise PartFailed(f"{self.name} answered without JSON") from None
        if not isinstance(body, dict):
            raise PartFailed(f"{self.name} answered something unexpected")
        return body


def counts(body: dict[str, Any], key: str) -> dict[str, int]:
    """The per-table counts under key in an erase answer; PartFailed if malformed."""
    found = body.get(key, {})
    if not isinstance(found, dict) or not all(
        isinstance(value, int) and not isinstance(value, bool) for value in found.values()
    ):
        raise PartFailed(f"the answer's {key} is not a count per table")
    return {str(name): int(value) for name, value in found.items()}
