"""Twilio's REST API at a configurable address: the real one in production, a
recording server in the tests (or a regional or proxied endpoint)."""

import logging
from typing import Any

from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response

from connectors.settings import TWILIO_API_URL

logger = logging.getLogger(__name__)

REQUEST_TIMEOUT_SECONDS = 10.0


class RebasedHttpClient(TwilioHttpClient):
    """Twilio's HTTP client, sending what would go to api.twilio.com to base_url."""

    def __init__(self, base_url: str) -> None:
        super().__init__(timeout=REQUEST_TIMEOUT_SECONDS)
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if url.startswith(TWILIO_API_URL):
            url = self.base_url + url[len(TWILIO_API_URL) :]
        return super().request(method, url, *args, **kwargs)


SEND_ERRORS = (TwilioException, OSError)
