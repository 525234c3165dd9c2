"""Proof that a webhook call comes from Twilio: `X-Twilio-Signature` checked with
Twilio's own RequestValidator over the public URL and the form parameters."""

from sanic.request import Request
from twilio.request_validator import RequestValidator

from connectors.webhook import BadRequest, public_url


class TwilioSignature:
    """Checks requests against one Twilio account's auth token."""

    def __init__(self, auth_token: str | None, public_base_url: str | None) -> None:
        self.auth_token = auth_token
        self.validator = RequestValidator(auth_token) if auth_token else None
        self.public_base_url = public_base_url

    def check(self, request: Request, params: dict[str, str]) -> None:
        """Raise BadRequest unless the request carries Twilio's signature for it."""
        if self.validator is None:
            raise BadRequest(503, "the channel has no Twilio auth token configured")
        signature = request.headers.get("x-twilio-signature")
        if not signature:
            raise BadRequest(403, "the request is not signed (X-Twilio-Signature is missing)")
        if not self.validator.validate(
            public_url(request, self.public_base_url), params, signature
        ):
            raise BadRequest(403, "the X-Twilio-Signature does not match this request")
