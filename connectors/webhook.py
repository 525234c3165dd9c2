"""Checks shared by the webhooks of Switchboard's channels: every bad request is
refused with a 4xx and a reason before Rasa sees it."""

from collections.abc import Awaitable, Callable, Mapping
from urllib.parse import parse_qsl

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


class BadRequest(Exception):
    """A request the channel refuses, with the status and the reason to send back."""

    def __init__(self, status: int, reason: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.headers = dict(headers or {})


def media_type(request: Request) -> str:
    """'application/json; charset=utf-8' → 'application/json'."""
    return (request.headers.get("content-type") or "").split(";")[0].strip().lower()


def checked_body(request: Request, expected_type: str, max_body_bytes: int) -> bytes:
    """The raw body, once its content type, size and presence are right."""
    if media_type(request) != expected_type:
        raise BadRequest(415, f"the body must be {expected_type}")
    body = request.body or b""
    if len(body) > max_body_bytes:
        raise BadRequest(413, f"the body is larger than {max_body_bytes} bytes")
    if not body.strip():
        raise BadRequest(400, "the body is empty")
    return body


def read_form(request: Request, max_body_bytes: int) -> dict[str, str]:
    """A form-encoded body as a dict (Twilio sends every parameter once)."""
    body = checked_body(request, FORM, max_body_bytes)
    try:
        pairs = parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, strict_parsing=True, errors="strict"
        )
    except (UnicodeDecodeError, ValueError):
        raise BadRequest(400, "the body is not a valid UTF-8 form") from None
    return dict(pairs)


def required(params: dict[str, str], name: str) -> str:
    """A parameter that must be present and non-blank."""
    value = (params.get(name) or "").strip()
    if not value:
        raise BadRequest(400, f"'{name}' is missing")
    return value


def refusal(error: BadRequest) -> HTTPResponse:
    return response.json({"error": error.reason}, status=error.status, headers=error.headers)


def public_url(request: Request, public_base_url: str | None) -> str:
    """The URL the caller used: behind a proxy the request's own URL differs, so a
    configured public base URL replaces its scheme and host."""
    if not public_base_url:
        return request.url
    query = f"?{request.query_string}" if request.query_string else ""
    return f"{public_base_url.rstrip('/')}{request.path}{query}"


def webhook_blueprint(
    name: str, receive: Callable[[Request], Awaitable[HTTPResponse]]
) -> Blueprint:
    """A channel's routes: GET / answers a health check, POST /webhook runs receive,
    whose BadRequest becomes a 4xx with the reason."""
    webhook = Blueprint(name, __name__)

    @webhook.route("/", methods=["GET"])
    async def health(_: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    @webhook.route("/webhook", methods=["POST"])
    async def post(request: Request) -> HTTPResponse:
        try:
            return await receive(request)
        except BadRequest as error:
            return refusal(error)

    return webhook
