"""The one client through which the desk reaches a conversation: Rasa's HTTP API.

Every call has a connect and a read timeout and fails with a typed error; the app
answers RasaUnreachable with 503 and RasaFailed with 502, each with the reason.
"""

import logging
from typing import Any, Dict, List

import requests

logger = logging.getLogger(__name__)
Event = Dict[str, Any]


class RasaError(Exception):
    """Rasa did not do what the desk asked; the message says why."""


class RasaUnreachable(RasaError):
    """Rasa could not be reached or did not answer in time."""


class RasaFailed(RasaError):
    """Rasa answered, but with an error or something that is not a tracker."""


class RasaClient:
    """Appends events to a conversation and reads its tracker."""

    def __init__(self, base_url: str, token: str, connect_timeout: float,
                 read_timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = (connect_timeout, read_timeout)
        self.session = requests.Session()

    def _call(self, method: str, conversation_id: str, path: str, **kwargs: Any) -> Dict[str, Any]:
        url = f"{self.base_url}/conversations/{requests.utils.quote(conversation_id, safe='')}{path}"
        params = {"token": self.token, **kwargs.pop("params", {})}
        what = f"{method} conversation {conversation_id}{path}"
        try:
            response = self.session.request(method, url, params=params, timeout=self.timeout,
                                            **kwargs)
        except requests.Timeout:
            raise RasaUnreachable(f"Rasa did not answer in time ({what})") from None
        except requests.RequestException as error:
            raise RasaUnreachable(f"Rasa is unreachable ({what}: "
                                  f"{error.__class__.__name__})") from None
        if response.status_code in (401, 403):
            raise RasaFailed(f"Rasa refused the desk's API token ({what}: "
                             f"HTTP {response.status_code})")
        if response.status_code >= 400:
            raise RasaFailed(f"Rasa answered HTTP {response.status_code} ({what})")
        try:
            body = response.json()
        except ValueError:
            raise RasaFailed(f"Rasa answered without JSON ({what})") from None
        if not isinstance(body, dict) or not isinstance(body.get("events"), list):
            raise RasaFailed(f"Rasa answered something that is not a tracker ({what})")
        return body

    def append(self, conversation_id: str, events: List[Event]) -> None:
        """Log events in the conversation; bot messages are also sent on the
        customer's latest channel (socket.io, Twilio…), REST customers poll them."""
        self._call("POST", conversation_id, "/tracker/events", json=events,
                   params={"execute_side_effects": "true", "output_channel": "latest"})
        logger.info("appended %s to conversation %s",
                    ", ".join(str(event["event"]) for event in events), conversation_id)

    def events(self, conversation_id: str) -> List[Event]:
        """The conversation's events, oldest first."""
        return self._call("GET", conversation_id, "/tracker")["events"]
