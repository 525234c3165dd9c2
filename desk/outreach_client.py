"""The one client through which the desk reads outreach's decision log (GET /decisions
on the outreach API, with its read-only OUTREACH_READ_TOKEN). A connect and a read timeout on every
call; the app answers OutreachUnreachable with 503 and OutreachFailed with 502."""

from typing import Any
from urllib.parse import quote

import requests

TIMEOUT = (2.0, 8.0)


class OutreachUnreachable(Exception):
    """Not configured, not reachable, or no answer in time."""


class OutreachFailed(Exception):
    """Outreach answered with an error."""


class OutreachClient:
    def __init__(self, base_url: str | None, token: str | None) -> None:
        self.base_url = base_url.rstrip("/") if base_url else None
        self.token = token
        self.session = requests.Session()

    def decisions(self, customer_id: str | None, after: int, limit: int) -> dict[str, Any]:
        """The log page outreach answers: `{"decisions": [...], "next": id}`."""
        if not (self.base_url and self.token):
            raise OutreachUnreachable(
                "the outreach log is not configured on this desk (OUTREACH_URL, OUTREACH_READ_TOKEN)"
            )
        path = (
            f"/customers/{quote(customer_id, safe='')}/decisions" if customer_id else "/decisions"
        )
        try:
            response = self.session.get(
                f"{self.base_url}{path}",
                params={"after": after, "limit": limit},
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=TIMEOUT,
            )
        except requests.RequestException as error:
            raise OutreachUnreachable(
                f"outreach is unreachable ({error.__class__.__name__})"
            ) from None
        if response.status_code != 200:
            raise OutreachFailed(f"outreach answered HTTP {response.status_code}")
        body = response.json()
        if not isinstance(body, dict) or not isinstance(body.get("decisions"), list):
            raise OutreachFailed("outreach answered something that is no decision log")
        return body
