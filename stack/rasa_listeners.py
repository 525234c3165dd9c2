"""Rasa's two listeners: channels on the public interface, everything else internal.

Rasa serves its channels and its HTTP API from one Sanic app on one port, so
exposing the channels to Twilio or a browser would expose the API (which can
replace the model) with them. Switchboard keeps the one app but opens a second
listener for it on the internal interface (`SWITCHBOARD_HOST:RASA_INTERNAL_PORT`),
started with Sanic's `create_server` once the public one is up, and a request
middleware serves the public listener only the channel routes (`/webhooks/...`,
`/socket.io/`): anything else that arrives there is 404, whatever token it carries.
Which listener accepted a connection is read from the connection's local port,
which the kernel sets and no header can change.

The app's REQUEST_MAX_SIZE (Sanic's default is 100 MB) is lowered so that a larger
body is refused with 413 while it arrives, before it is buffered: at once from its
Content-Length, or as soon as a chunked body passes the limit.

Behind a reverse proxy every request comes from the proxy's address, so the
per-client rate limits would count all customers as one. `trust_proxies` gives
Sanic the deployer's proxy settings (SWITCHBOARD_PROXIES_COUNT: how many proxies in
front append to X-Forwarded-For; SWITCHBOARD_FORWARDED_SECRET: the secret of an
RFC 7239 `Forwarded` header the proxy adds). Without them, forwarded headers are
ignored: a client cannot pick its own address to dodge a limit.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sanic import Sanic, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

PUBLIC_PREFIXES = ("/webhooks/", "/socket.io/")
# The largest channel body is 256 KiB (e-mail); headroom for form encoding.
MAX_REQUEST_BYTES = 1024 * 1024


@dataclass(frozen=True)
class InternalListener:
    """Where the HTTP API and the internal routes are served."""

    host: str
    port: int


PROXIES_ENV = "SWITCHBOARD_PROXIES_COUNT"
FORWARDED_SECRET_ENV = "SWITCHBOARD_FORWARDED_SECRET"
MAX_PROXIES = 10


class ProxyConfigError(ValueError):
    """A proxy setting Sanic cannot use; names the variable and the reason."""


def trust_proxies(app: Sanic, env: Mapping[str, str]) -> None:
    """Sanic reads the client's address from forwarded headers as the deployer says."""
    raw = env.get(PROXIES_ENV, "").strip() or "0"
    if not raw.isascii() or not raw.isdigit() or int(raw) > MAX_PROXIES:
        raise ProxyConfigError(
            f"{PROXIES_ENV}: expected the number of proxies in front of "
            f"Rasa, 0 to {MAX_PROXIES}, not {raw!r}"
        )
    app.config.PROXIES_COUNT = int(raw)
    app.config.FORWARDED_SECRET = env.get(FORWARDED_SECRET_ENV) or None


def is_public_path(path: str) -> bool:
    return path.startswith(PUBLIC_PREFIXES)


def on_internal_listener(request: Request, listener: InternalListener) -> bool:
    """True when the connection was accepted by the internal listener."""
    info = request.conn_info
    return info is not None and info.server_port == listener.port


def install(app: Sanic, listener: InternalListener) -> None:
    """Limit request sizes, open the internal listener with the server and keep the
    public one to the channels."""
    app.config.REQUEST_MAX_SIZE = MAX_REQUEST_BYTES
    servers: list = []

    @app.exception(PayloadTooLarge)
    async def too_large(request: Request, error: PayloadTooLarge) -> HTTPResponse:
        return response.json(
            {"error": f"the request is larger than {MAX_REQUEST_BYTES} bytes"}, status=413
        )

    @app.on_request
    async def channels_only_in_public(request: Request) -> HTTPResponse | None:
        if is_public_path(request.path) or on_internal_listener(request, listener):
            return None
        return response.json({"error": "not found"}, status=404)

    async def open_internal(running: Sanic, _: Any) -> None:
        # Sanic 21.12's create_server awaits the AsyncioServer it builds: it returns
        # it bound and serving, without running the app's start-up events again.
        server = await running.create_server(
            listener.host, listener.port, return_asyncio_server=True
        )
        if server is None or server.server is None:
            raise RuntimeError(f"cannot listen on {listener.host}:{listener.port}")
        servers.append(server)
        logger.info("internal listener (HTTP API) on http://%s:%d", listener.host, listener.port)

    async def close_internal(running: Sanic, _: Any) -> None:
        for server in servers:
            server.server.close()
            await server.server.wait_closed()
            for connection in list(server.connections):
                connection.close_if_idle()

    # After the public listener is up, and so after the model is loaded: a
    # readiness probe on the internal listener sees both.
    app.register_listener(open_internal, "after_server_start")
    app.register_listener(close_internal, "before_server_stop")
