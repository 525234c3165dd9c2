"""Web chat: Rasa's socket.io channel and the chat page Switchboard serves.

GET /webhooks/socketio/chat is a page embedding rasa-webchat (an existing,
maintained widget; `make webchat` fetches the pinned build, nothing comes from a
CDN at run time) that talks to Rasa over socket.io at /socket.io/. Sessions
persist across reloads: the widget keeps its session id, which becomes the sender
id. Only ids Rasa hands out (32 hex digits) are accepted, so a client cannot pick
another channel's conversation (say `whatsapp:+44…`) as its session.

Two fixes to Rasa 3.6's socket.io channel with the pinned libraries: its session
handshake does not await python-socketio 5's `enter_room` (so replies reach no
one), and Sanic 21.12's websockets fail on Python 3.11 ("Passing coroutines is
forbidden"), so the channel offers long-polling only.
"""

import logging
import re
import uuid
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from connectors.sessions import configure_session

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
PAGE = Path(__file__).with_name("chat.html")
PAGE_SCRIPT = Path(__file__).with_name("chat.js")
DEFAULT_WIDGET = "var/webchat/rasa-webchat.js"
DEFAULT_MAX_MESSAGE_CHARS = 5000
DEFAULT_SESSION_MINUTES = 30
SESSION_ID = re.compile(r"^[0-9a-f]{32}$")


class WebChatInput(SocketIOInput):
    """Rasa's socket.io channel with checked session ids, and the chat page."""

    def __init__(self, widget: Path, max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS,
                 **socketio: Any) -> None:
        super().__init__(**socketio)
        self.widget = widget
        self.max_message_chars = max_message_chars

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = dict(credentials or {})
        configure_session(cls.name(), credentials, DEFAULT_SESSION_MINUTES)
        credentials.pop("session_expiration_minutes", None)
        widget = ROOT / str(credentials.pop("widget_script", DEFAULT_WIDGET))
        max_chars = int(credentials.pop("max_message_chars", DEFAULT_MAX_MESSAGE_CHARS))
        return cls(widget, max_chars, session_persistence=True, **credentials)

    def _accepted(self, message: UserMessage) -> bool:
        if not SESSION_ID.match(message.sender_id or ""):
            logger.warning("webchat.message.refused: not a session id Rasa handed out")
            return False
        if not isinstance(message.text, str) or not 0 < len(message.text) <= self.max_message_chars:
            logger.warning("webchat.message.refused: empty or longer than %d characters",
                           self.max_message_chars)
            return False
        return True

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def checked(message: UserMessage) -> None:
            if self._accepted(message):
                await on_new_message(message)

        webhook = super().blueprint(checked)
        sio = self.sio
        assert sio is not None
        sio.eio.transports = ["polling"]

        async def session_request(sid: Text, data: Optional[Dict]) -> None:
            """Rasa's session handshake, keeping only session ids of its own making."""
            session_id = (data or {}).get("session_id")
            if not isinstance(session_id, str) or not SESSION_ID.match(session_id):
                session_id = uuid.uuid4().hex
            await sio.enter_room(sid, session_id)
            await sio.emit("session_confirm", session_id, room=sid)

        sio.on("session_request", session_request, namespace=self.namespace)

        @webhook.route("/chat", methods=["GET"])
        async def page(_: Request) -> HTTPResponse:
            return await response.file(PAGE, mime_type="text/html; charset=utf-8")

        @webhook.route("/chat.js", methods=["GET"])
        async def page_script(_: Request) -> HTTPResponse:
            return await response.file(PAGE_SCRIPT, mime_type="application/javascript")

        @webhook.route("/webchat.js", methods=["GET"])
        async def widget(_: Request) -> HTTPResponse:
            if not self.widget.is_file():
                return response.json({"error": "the chat widget is not installed: "
                                               "run `make webchat`"}, status=503)
            return await response.file(self.widget, mime_type="application/javascript")

        return webhook
