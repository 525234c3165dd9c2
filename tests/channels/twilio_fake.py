"""A stand-in for Twilio in the tests: a local HTTP server that records what the
assistant sends to the Messages API and the calls outreach places through the Calls API
(real wire format: form-encoded POSTs to /2010-04-01/Accounts/<sid>/Messages.json or
Calls.json with basic auth), and a client that
signs webhook calls the way Twilio does."""

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import requests
from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-twilio-auth-token"
WHATSAPP_NUMBER = "whatsapp:+14155238886"
VOICE_NUMBER = "+14155238887"
AGENT_NUMBER = "+441614960000"  # where a handed-over call is put through
# What Twilio calls: the public address of a proxy in front of Rasa.
PUBLIC_URL = "https://switchboard.example.test"


def whatsapp_env(api_url: str) -> dict[str, str]:
    """A stack's settings for the WhatsApp channel on the Twilio stand-in at api_url."""
    return {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_WHATSAPP_NUMBER": WHATSAPP_NUMBER,
        "TWILIO_API_URL": api_url,
        "SWITCHBOARD_PUBLIC_URL": PUBLIC_URL,
    }


@dataclass(frozen=True)
class SentMessage:
    path: str
    authorization: str
    form: dict[str, str]


class TwilioApi:
    """The Messages API, recording every message sent."""

    def __init__(self) -> None:
        self.sent: list[SentMessage] = []
        self.refused: set[str] = set()  # recipients Twilio refuses (as an invalid number)
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(parse_qsl(self.rfile.read(length).decode()))
                if form.get("To") in api.refused:
                    self.answer(
                        400,
                        {
                            "code": 21211,
                            "status": 400,
                            "message": "The 'To' number is not a valid phone number.",
                        },
                    )
                    return
                api.sent.append(SentMessage(self.path, self.headers.get("Authorization", ""), form))
                kind = "CA" if self.path.endswith("/Calls.json") else "SM"  # a call, a message
                self.answer(
                    201,
                    {
                        "sid": f"{kind}{len(api.sent):032d}",
                        "status": "queued",
                        "to": form.get("To"),
                        "from": form.get("From"),
                        "body": form.get("Body"),
                        "account_sid": ACCOUNT_SID,
                    },
                )

            def answer(self, status: int, reply: dict[str, object]) -> None:
                body = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "TwilioApi":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def messages_to(self, recipient: str) -> list[SentMessage]:
        return [m for m in self.sent if m.form.get("To") == recipient]

    def calls_to(self, number: str) -> list[SentMessage]:
        """The calls placed to number (Calls API requests)."""
        return [m for m in self.messages_to(number) if m.path.endswith("/Calls.json")]

    def take(self, recipient: str) -> list[str]:
        """The bodies sent to recipient since the last take (forgetting them)."""
        taken = self.messages_to(recipient)
        self.sent = [m for m in self.sent if m not in taken]
        return [m.form.get("Body", "") for m in taken]


class TwilioWebhook:
    """Posts to one of Rasa's Twilio webhooks as Twilio does, signed for the public URL."""

    def __init__(self, rasa_url: str, path: str, auth_token: str = AUTH_TOKEN) -> None:
        self.rasa_url = rasa_url
        self.path = path
        self.validator = RequestValidator(auth_token)

    def post(
        self, params: dict[str, str], query: str = "", signature: str | None = None, **kwargs: Any
    ) -> requests.Response:
        target = f"{self.path}{'?' + query if query else ''}"
        if signature is None:
            signature = self.validator.compute_signature(f"{PUBLIC_URL}{target}", params)
        headers = {"X-Twilio-Signature": signature} if signature else {}
        return requests.post(
            f"{self.rasa_url}{target}", data=params, headers=headers, timeout=60, **kwargs
        )


def sentences(text: str) -> Iterator[str]:
    """The sentences of a text, as a listener hears them."""
    return (s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s)
