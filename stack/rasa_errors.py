"""What Rasa's app answers when a request fails: JSON with the reason, whatever the
request's headers.

Sanic 21.12's default error page chooses its format from the Accept header and fails
on a malformed one, so a HEAD or POST to a GET-only channel route with such a header
(a 405) was answered 500 "An error occurred while handling an error". Handlers of
more specific errors (Rasa's API errors, the body-size limit) still answer theirs.
"""

import logging

from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)


async def as_json(request: Request, error: Exception) -> HTTPResponse:
    if isinstance(error, SanicException) and error.status_code < 500:
        headers = getattr(error, "headers", None) or {}
        return response.json({"error": str(error)}, status=error.status_code, headers=headers)
    logger.error(
        "rasa.request.failed %s %s: %s", request.method, request.path, type(error).__name__
    )
    return response.json({"error": "the request could not be handled"}, status=500)


def install(app: Sanic) -> None:
    app.error_handler.add(Exception, as_json)
