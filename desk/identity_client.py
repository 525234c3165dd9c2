"""The one client through which the desk unlocks a customer's verification lockout
on the action server (contract C3). Every call has a connect and a read timeout and
fails with a typed error: the app answers IdentityUnreachable with 503 and
IdentityFailed with 502, each with the reason."""

from typing import Any
from urllib.parse import quote

import requests

from common.errors import NotFound, RequestRejected


class IdentityError(Exception):
    """The action server did not unlock; the message says why."""


class IdentityUnreachable(IdentityError):
    """Not configured, not reachable, or no answer in time."""


class IdentityFailed(IdentityError):
    """The action server answered with an error or something that is no lockout."""


def _reason(response: requests.Response) -> str:
    """The reason in an error body ({"error": …} from Sanic, {"detail": …} otherwise)."""
    try:
        body = response.json()
    except ValueError:
        return "no reason given"
    reason = body.get("error") or body.get("detail") if isinstance(body, dict) else None
    return str(reason)[:200] if reason else "no reason given"


class IdentityClient:
    """POST {base}/identity/lockouts/{customer_id}/unlock with the admin token."""

    def __init__(
        self, base_url: str | None, token: str | None, connect_timeout: float, read_timeout: float
    ) -> None:
        self.base_url = base_url.rstrip("/") if base_url else None
        self.token = token
        self.timeout = (connect_timeout, read_timeout)
        self.session = requests.Session()

    def unlock(self, customer_id: str, by: str) -> dict[str, Any]:
        """The lockout after the unlock, as the action server reports it."""
        if not (self.base_url and self.token):
            raise IdentityUnreachable(
                "unlocking is not configured on this desk "
                "(ACTION_SERVER_BASE_URL and IDENTITY_ADMIN_TOKEN)"
            )
        quoted = quote(customer_id, safe="")
        url = f"{self.base_url}/identity/lockouts/{quoted}/unlock"
        try:
            response = self.session.post(
                url,
                json={"by": by},
                timeout=self.timeout,
                headers={"Authorization": f"Bearer {self.token}"},
            )
        except requests.Timeout:
            raise IdentityUnreachable(
                "the action server did not answer the unlock in time"
            ) from None
        except requests.RequestException as error:
            raise IdentityUnreachable(
                f"the action server is unreachable ({error.__class__.__name__})"
            ) from None
        if response.status_code == 404:
            raise NotFound(f"the action server knows no customer {customer_id}")
        if response.status_code in (401, 403):
            raise IdentityFailed(
                f"the action server refused the desk's identity admin token "
                f"(HTTP {response.status_code})"
            )
        if response.status_code == 400:
            raise RequestRejected(f"the action server refused the unlock: {_reason(response)}")
        if response.status_code in (429, 503):
            raise IdentityUnreachable(
                f"the action server cannot unlock now "
                f"(HTTP {response.status_code}: {_reason(response)})"
            )
        if response.status_code >= 300:
            raise IdentityFailed(
                f"the action server answered the unlock with HTTP {response.status_code}"
            )
        try:
            body = response.json()
        except ValueError:
            raise IdentityFailed("the action server answered the unlock without JSON") from None
        if not isinstance(body, dict) or body.get("locked") is not False:
            raise IdentityFailed("the action server's answer does not say the customer is unlocked")
        return {"customer_id": customer_id, "locked": False}
