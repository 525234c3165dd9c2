"""The one client through which the desk reads the analytics service (contract K5) for
the supervisors' dashboard: `GET /figures/daily`, `GET /conversations` and
`GET /outreach/decisions` with the
service's bearer token. Every call has a connect and a read timeout and fails with a
typed error: the app answers AnalyticsUnreachable with 503 and AnalyticsFailed with
502, each with the reason; a period the service refuses is the caller's 400."""

from typing import Any

import requests

from common.errors import RequestRejected


class AnalyticsError(Exception):
    """The analytics service did not answer with figures; the message says why."""


class AnalyticsUnreachable(AnalyticsError):
    """Not configured, not reachable, busy, or no answer in time."""


class AnalyticsFailed(AnalyticsError):
    """The service answered with an error or with something that is not figures."""


def _reason(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return "no reason given"
    reason = body.get("detail") if isinstance(body, dict) else None
    return str(reason)[:200] if reason else "no reason given"


class AnalyticsClient:
    """GETs of {base}/figures/daily and {base}/conversations with the API token."""

    def __init__(
        self, base_url: str | None, token: str | None, connect_timeout: float, read_timeout: float
    ) -> None:
        self.base_url = base_url.rstrip("/") if base_url else None
        self.token = token
        self.timeout = (connect_timeout, read_timeout)
        self.session = requests.Session()

    def daily(self, since: float, until: float, tz: str) -> dict[str, Any]:
        """The period's figures in total and per local day of tz."""
        return self._get("/figures/daily", {"since": since, "until": until, "tz": tz})

    def conversations(self, since: float, until: float, **filters: Any) -> dict[str, Any]:
        """The conversations behind a number (kind, channel, goal, reason, limit, offset)."""
        given = {name: value for name, value in filters.items() if value is not None}
        return self._get("/conversations", {"since": since, "until": until, **given})

    def outreach_decisions(self, since: float, until: float, **filters: Any) -> dict[str, Any]:
        """The outreach decisions behind a number (rule, action, reason, channel, group,
        came_back, limit, offset)."""
        given = {name: value for name, value in filters.items() if value is not None}
        return self._get("/outreach/decisions", {"since": since, "until": until, **given})

    def _get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        if not (self.base_url and self.token):
            raise AnalyticsUnreachable(
                "the dashboard is not configured on this desk (ANALYTICS_URL and "
                "ANALYTICS_API_TOKEN)"
            )
        try:
            response = self.session.get(
                f"{self.base_url}{path}",
                params=params,
                timeout=self.timeout,
                headers={"Authorization": f"Bearer {self.token}"},
            )
        except requests.Timeout:
            raise AnalyticsUnreachable("the analytics service did not answer in time") from None
        except requests.RequestException as error:
            raise AnalyticsUnreachable(
                f"the analytics service is unreachable ({error.__class__.__name__})"
            ) from None
        if response.status_code in (401, 403):
            raise AnalyticsFailed(
                f"the analytics service refused the desk's token (HTTP {response.status_code})"
            )
        if response.status_code in (400, 422):
            raise RequestRejected(f"the analytics service refused: {_reason(response)}")
        if response.status_code in (429, 503):
            raise AnalyticsUnreachable(
                f"the analytics service is busy (HTTP {response.status_code}: {_reason(response)})"
            )
        if response.status_code != 200:
            raise AnalyticsFailed(f"the analytics service answered HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise AnalyticsFailed("the analytics service answered without JSON") from None
        if not isinstance(body, dict):
            raise AnalyticsFailed("the analytics service's answer is not an object")
        return body
