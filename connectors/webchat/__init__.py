"""Web chat: Rasa's socket.io channel and the chat page Switchboard serves.

GET /webhooks/socketio/chat is a page embedding rasa-webchat (an existing,
maintained widget; `make webchat` fetches the pinned build, nothing comes from a
CDN at run time) that talks to Rasa over socket.io at /socket.io/.

Who may write in a conversation:
- the server issues the session (connectors/webchat/sessions.py): a signed token
  the widget keeps and sends back after a reload, bound to the browser's socket on
  `session_request`; a token it did not sign gets a fresh one. The conversation id
  is derived from the token, so the id others see cannot be used to join it;
- a `user_uttered` naming any session but the one bound to its socket is dropped
  (logged, no reply);
- socket.io checks the Origin header: the page's own origin, the stack's public URL
  and the configured `allowed_origins` only;
- each message goes through the shared input guard (connectors/inbound.py): valid
  text only, and a typed "/command" is plain text unless it is a button the
  assistant just offered (or the widget's start payload, before anything was said);
- rate limits per session and per client address (credentials.yml `rate_limits`);
  a message over them is dropped and logged.
The page and its scripts carry a Content-Security-Policy (nothing from elsewhere,
framed only by `frame_ancestors`), X-Frame-Options and X-Content-Type-Options.

What the channel sends: every message waits in the outbox (connectors/webchat/
outbox.py) until the page confirms it, and what is still waiting goes to a browser
binding the session again, so a reply written while the tab was closed is shown on
return. An agent's message (the desk's bot event with `metadata.agent`) carries the
agent's name for the page to show (chat.js); no customer-facing text is made here.

Several Rasa processes (the scaled profile): with `SWITCHBOARD_WEBCHAT_REDIS_URL` set,
the socket server's client manager is python-socketio's AsyncRedisManager, so a message
written by one process (an agent's reply through the desk, which reaches any process)
is emitted by the process holding the browser's socket, and the browser's confirmation
comes back to the writer. Without it, sockets are the process's own.

Two fixes to Rasa 3.6's socket.io channel with the pinned libraries: its session
handshake does not await python-socketio 5's `enter_room` (so replies reach no
one), and Sanic 21.12's websockets fail on Python 3.11 ("Passing coroutines is
forbidden"), so the channel offers long-polling only.
"""

import logging
import os
import re
import secrets
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import socketio
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from common.channel_metadata import BROWSER_LANGUAGE
from connectors.delivery import DELIVERED, agent_stamp, ledger
from connectors.inbound import clean_text, customer_text, valid_unicode
from connectors.options import offered_buttons
from connectors.ratelimit import RateLimits
from connectors.sessions import configure_session
from connectors.settings import setting
from connectors.state import channel_state
from connectors.webchat.outbox import Outbox
from connectors.webchat.sessions import SessionTokens
from connectors.webhook import BadRequest

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
PAGE = Path(__file__).with_name("chat.html")
PAGE_SCRIPT = Path(__file__).with_name("chat.js")
PAGE_STYLE = Path(__file__).with_name("chat.css")
DEFAULT_WIDGET = "var/webchat/rasa-webchat.js"
DEFAULT_MAX_MESSAGE_CHARS = 5000
DEFAULT_SESSION_MINUTES = 30
DEFAULT_TOKEN_DAYS = 7  # how long a browser may come back to its conversation
DEFAULT_INIT_PAYLOAD = "/greet"  # chat.js's initPayload
DEFAULT_FRAME_ANCESTORS = "'self'"
CUSTOM_DATA = "customData"  # what rasa-webchat sends beside a message (chat.js's customData)
BROWSER_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,4}")  # BCP 47: "de-DE", "es-419"
DEFAULT_RATE_LIMITS = {"client": "120/minute", "session": "30/minute"}
AGENT_CLASS = "rw-agent"  # chat.css and chat.js know it
SECRET_ENV = "SWITCHBOARD_WEBCHAT_SECRET"
QUEUE_ENV = "SWITCHBOARD_WEBCHAT_REDIS_URL"
PUBLIC_URL_ENV = "SWITCHBOARD_PUBLIC_URL"
FRAME_ANCESTORS = re.compile(r"[^;,\s]+( [^;,\s]+)*")  # space-separated sources, one directive
# Everything from Switchboard itself (the widget's web font is not fetched).
CSP = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors {frame_ancestors}"
)


def origin_of(url: str) -> str:
    """'https://chat.example.com/path' → 'https://chat.example.com'."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def security_headers(frame_ancestors: str) -> dict[str, str]:
    """The headers of the chat page and its scripts."""
    headers = {
        "Content-Security-Policy": CSP.format(frame_ancestors=frame_ancestors),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    legacy = {"'self'": "SAMEORIGIN", "'none'": "DENY"}.get(frame_ancestors)
    if legacy:  # browsers without CSP level 2; others follow frame-ancestors
        headers["X-Frame-Options"] = legacy
    return headers


class WebChatOutput(SocketIOOutput):
    """Rasa's socket.io output, with every message kept until a browser confirms it
    (connectors/webchat/outbox.py), and an agent's messages marked for the page: the
    desk's bot events carry `metadata.agent`, which Rasa passes on with the text but
    rasa-webchat would drop. They go out with the class the page styles and the
    agent's name, which the widget stores with the message and chat.js shows."""

    def __init__(
        self, sio: Any, bot_message_evt: str, outbox: Outbox, namespace: str | None = None
    ) -> None:
        super().__init__(sio, bot_message_evt)
        self.outbox = outbox
        self.namespace = namespace or "/"

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        agent = kwargs.get("agent")
        if not isinstance(agent, str) or not agent.strip():
            await super().send_text_message(recipient_id, text, **kwargs)
            return
        # The message's time comes back with the page's confirmation: the desk is told
        # it was delivered (connectors/delivery.py).
        mark = {
            "customCss": {"style": "class", "css": AGENT_CLASS, "agent": agent.strip()},
            "stamp": agent_stamp(kwargs),
        }
        for part in text.strip().split("\n\n"):
            await self._send_message(recipient_id, {"text": part, "metadata": mark})

    async def _send_message(self, socket_id: str, response: Any) -> None:
        """socket_id is the conversation (each of its sockets is in that room)."""
        key = await self.outbox.put(socket_id, response)
        await self.emit(socket_id, key, response)

    async def emit(
        self, conversation: str, key: int, message: dict[str, Any], to: str | None = None
    ) -> None:
        """Send a kept message to one socket or all of the conversation's, each asked
        to confirm; the first confirmation ends its wait."""
        stamp = (message.get("metadata") or {}).get("stamp")

        async def confirmed(*_: Any) -> None:
            await self.outbox.delivered(key)
            if isinstance(stamp, float):
                await ledger().record(conversation, stamp, DELIVERED)

        # To the conversation's room: every socket of it, in whichever process holds it.
        await self.sio.emit(
            self.bot_message_evt,
            message,
            to=to or conversation,
            namespace=self.namespace,
            callback=confirmed,
        )


def browser_language(data: dict[str, Any]) -> dict[str, str]:
    """The browser's language the chat page sends in the widget's customData
    (navigator.language), as the metadata the language reader takes as the first
    message's language (components/language_heard.py); nothing when it is no short
    language tag."""
    custom = data.get(CUSTOM_DATA)
    tag = custom.get("language") if isinstance(custom, dict) else None
    if isinstance(tag, str) and BROWSER_TAG.fullmatch(tag):
        return {BROWSER_LANGUAGE: tag}
    return {}


def has_customer_spoken(tracker: DialogueStateTracker | None) -> bool:
    return any(isinstance(event, UserUttered) for event in (tracker.events if tracker else []))


# An Engine.IO v4 payload: packets separated by a record separator, each starting
# with its type. What a client may POST: close (1), pong (3), message (4), upgrade
# (5), "b" base64 binary; open (0), ping (2) and noop (6) come only from the server.
ENGINEIO_SEPARATOR = "\x1e"
CLIENT_PACKET_TYPES = frozenset("1345b")


def engineio_payload_ok(body: bytes) -> bool:
    """False when the body is not UTF-8 or a packet's type is not one a client sends.
    python-engineio reads the type with int(), which also takes other scripts' digits
    ("৫" is 5, an upgrade); and a packet type it does not expect from a client makes
    it close the socket and wait for a poll that never comes: the request was never
    answered."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(packet[:1] in CLIENT_PACKET_TYPES for packet in text.split(ENGINEIO_SEPARATOR))


def engineio_checked(
    handle_request: Callable[..., Awaitable[Any]],
) -> Callable[..., Awaitable[Any]]:
    """Engine.IO's request handler behind a check of what a client POSTs."""

    async def checked(request: Request, *args: Any, **kwargs: Any) -> Any:
        if request.method != "POST":
            return await handle_request(request, *args, **kwargs)
        if not engineio_payload_ok(request.body or b""):
            return response.json({"error": "the body is not an Engine.IO payload"}, status=400)
        try:
            return await handle_request(request, *args, **kwargs)
        except KeyError:
            # python-engineio looks a POST's socket up without catching the KeyError
            # of one its client has closed (it does for a GET).
            return response.json({"error": "this session is closed: open a new one"}, status=400)

    return checked


class WebChatInput(SocketIOInput):
    """Rasa's socket.io channel with server-issued sessions, and the chat page."""

    def __init__(
        self,
        widget: Path,
        tokens: SessionTokens,
        rate_limits: RateLimits,
        outbox: Outbox,
        allowed_origins: Sequence[str] = (),
        frame_ancestors: str = DEFAULT_FRAME_ANCESTORS,
        init_payload: str | None = DEFAULT_INIT_PAYLOAD,
        max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS,
        **socketio: Any,
    ) -> None:
        super().__init__(**socketio)
        self.widget = widget
        self.tokens = tokens
        self.rate_limits = rate_limits
        self.outbox = outbox
        self.allowed_origins = set(allowed_origins)
        self.frame_ancestors = frame_ancestors
        self.init_payload = init_payload
        self.max_message_chars = max_message_chars

    @classmethod
    def name(cls) -> str:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = dict(credentials or {})
        configure_session(cls.name(), credentials, DEFAULT_SESSION_MINUTES)
        credentials.pop("session_expiration_minutes", None)
        widget = ROOT / str(credentials.pop("widget_script", DEFAULT_WIDGET))
        max_chars = int(credentials.pop("max_message_chars", DEFAULT_MAX_MESSAGE_CHARS))
        # Random per process when unset: sessions then last until Rasa restarts.
        days = credentials.pop("session_token_days", DEFAULT_TOKEN_DAYS)
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
            raise ValueError(
                "connectors.webchat.WebChatInput: session_token_days must be a "
                f"whole number of days from 1 to 365, not {days!r}"
            )
        tokens = SessionTokens(
            setting(credentials, "session_secret", SECRET_ENV) or secrets.token_urlsafe(32),
            max_age_seconds=days * 86400,
        )
        credentials.pop("session_secret", None)
        rate_limits = RateLimits.from_credentials(cls.name(), credentials, DEFAULT_RATE_LIMITS)
        credentials.pop("rate_limits", None)
        origins = credentials.pop("allowed_origins", None) or []
        if not isinstance(origins, list) or not all(isinstance(o, str) for o in origins):
            raise ValueError(
                "connectors.webchat.WebChatInput: allowed_origins must be a list "
                "of origins such as https://www.example.com"
            )
        public_url = os.environ.get(PUBLIC_URL_ENV)
        if public_url:
            origins.append(origin_of(public_url))
        frame_ancestors = str(credentials.pop("frame_ancestors", DEFAULT_FRAME_ANCESTORS))
        if not FRAME_ANCESTORS.fullmatch(frame_ancestors):
            raise ValueError(
                "connectors.webchat.WebChatInput: frame_ancestors must be CSP "
                "sources such as 'self' https://www.example.com"
            )
        return cls(
            widget,
            tokens,
            rate_limits,
            Outbox(channel_state()),
            [origin_of(o) for o in origins],
            frame_ancestors,
            credentials.pop("init_payload", DEFAULT_INIT_PAYLOAD),
            max_chars,
            session_persistence=True,
            **credentials,
        )

    def get_output_channel(self) -> WebChatOutput | None:
        """Where replies and the desk's messages go (stack/desk_endpoint.py asks too)."""
        if self.sio is None:
            return None
        return WebChatOutput(self.sio, self.bot_message_evt, self.outbox, self.namespace)

    def origin_allowed(self, origin: str, environ: dict[str, Any]) -> bool:
        """The page's own origin (scheme and Host of the request) or a configured one."""
        own = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"
        return origin == own or origin in self.allowed_origins

    def allowed_commands(self, tracker: DialogueStateTracker | None) -> list[str]:
        """The payloads a message may carry as a command: the buttons just offered, and
        the widget's start payload while the customer has said nothing yet."""
        payloads = [str(button.get("payload")) for button in offered_buttons(tracker)]
        if self.init_payload and not has_customer_spoken(tracker):
            payloads.append(self.init_payload)
        return payloads

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)
        sio = self.sio
        assert sio is not None
        queue = os.environ.get(QUEUE_ENV)
        if queue:  # before the first connection initialises the manager
            sio.manager = socketio.AsyncRedisManager(queue)
            sio.manager.set_server(sio)

            @webhook.listener("after_server_start")
            async def listen_to_the_queue(*_: Any) -> None:
                # From the start, not from the first browser: a process no browser
                # uses still hears the confirmations of what it wrote.
                if not sio.manager_initialized:
                    sio.manager_initialized = True
                    sio.manager.initialize()

        sio.eio.transports = ["polling"]
        sio.eio.cors_allowed_origins = self.origin_allowed
        sio.eio.handle_request = engineio_checked(sio.eio.handle_request)
        headers = security_headers(self.frame_ancestors)

        async def session_request(sid: str, data: Any) -> None:
            """Bind a session to this socket: the token it brings if this server
            signed it, a fresh one otherwise."""
            token = data.get("session_id") if isinstance(data, dict) else None
            if not self.tokens.valid(token):
                token = self.tokens.issue()
            conversation = self.tokens.conversation(token)
            await sio.save_session(
                sid, {"token": token, "conversation": conversation}, namespace=self.namespace
            )
            await sio.enter_room(sid, conversation, namespace=self.namespace)
            await sio.emit("session_confirm", token, room=sid, namespace=self.namespace)
            output = self.get_output_channel()
            assert output is not None
            for key, message in await self.outbox.waiting(conversation):  # written meanwhile
                await output.emit(conversation, key, message, to=sid)

        async def handle_message(sid: str, data: Any) -> None:
            """A customer's message, in the conversation bound to this socket only."""
            bound = await sio.get_session(sid, namespace=self.namespace)
            token = data.get("session_id") if isinstance(data, dict) else None
            if not bound.get("token") or token != bound["token"]:
                logger.warning("webchat.message.refused: names a session not bound to its socket")
                return
            conversation = bound["conversation"]
            request: Request = sio.get_environ(sid, namespace=self.namespace)["sanic.request"]
            try:
                self.rate_limits.check(
                    client=request.remote_addr or request.ip, session=conversation
                )
                text = data.get("message")
                if not isinstance(text, str):
                    raise BadRequest(400, "'message' must be a string")
                text = clean_text(text, self.max_message_chars)
                tracker = await request.app.ctx.agent.tracker_store.retrieve(conversation)
                text = customer_text(text, self.allowed_commands(tracker))
                metadata = data.get(self.metadata_key)
                metadata = (
                    valid_unicode(metadata, "metadata") if isinstance(metadata, dict) else None
                )
                metadata = {**(metadata or {}), **browser_language(data)} or None
            except BadRequest as error:
                logger.warning(
                    "webchat.message.refused conversation=%s: %s", conversation, error.reason
                )
                return
            await on_new_message(
                UserMessage(
                    text,
                    self.get_output_channel(),
                    conversation,
                    input_channel=self.name(),
                    metadata=metadata,
                )
            )

        sio.on("session_request", session_request, namespace=self.namespace)
        sio.on(self.user_message_evt, handle_message, namespace=self.namespace)

        async def served(path: Path, mime_type: str) -> HTTPResponse:
            return await response.file(path, mime_type=mime_type, headers=headers)

        @webhook.route("/chat", methods=["GET"])
        async def page(_: Request) -> HTTPResponse:
            return await served(PAGE, "text/html; charset=utf-8")

        @webhook.route("/chat.js", methods=["GET"])
        async def page_script(_: Request) -> HTTPResponse:
            return await served(PAGE_SCRIPT, "application/javascript")

        @webhook.route("/chat.css", methods=["GET"])
        async def page_style(_: Request) -> HTTPResponse:
            return await served(PAGE_STYLE, "text/css; charset=utf-8")

        @webhook.route("/webchat.js", methods=["GET"])
        async def widget(_: Request) -> HTTPResponse:
            if not self.widget.is_file():
                return response.json(
                    {"error": "the chat widget is not installed: run `make webchat`"}, status=503
                )
            return await served(self.widget, "application/javascript")

        return webhook
