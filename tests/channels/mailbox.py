"""A real SMTP server for the tests (aiosmtpd), keeping every message it receives."""

import email
import email.policy
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from stack.processes import free_port

WAIT_SECONDS = 60.0


class Mailbox:
    """Messages delivered to a local SMTP server, waited for by recipient; with a TLS
    context, the server offers STARTTLS and refuses mail without it."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.arrived = threading.Condition()
        self.failing = False
        options: dict[str, Any] = {"tls_context": tls, "require_starttls": True} if tls else {}
        self.controller = Controller(self, hostname=self.host, port=self.port, **options)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.failing:
            return "451 Requested action aborted: local error in processing"
        assert isinstance(envelope.content, bytes)  # aiosmtpd's default: decode_data=False
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.arrived:
            self.messages.append(message)
            self.arrived.notify_all()
        return "250 Message accepted for delivery"

    @contextmanager
    def out_of_order(self) -> Iterator[None]:
        """Every message refused with a temporary error meanwhile."""
        self.failing = True
        try:
            yield
        finally:
            self.failing = False

    def __enter__(self) -> "Mailbox":
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    def wait_for(self, recipient: str, count: int = 1) -> list[EmailMessage]:
        """The first `count` messages to recipient, waiting for them to arrive."""

        def delivered() -> list[EmailMessage]:
            return [m for m in self.messages if recipient in str(m["To"])]

        with self.arrived:
            if not self.arrived.wait_for(lambda: len(delivered()) >= count, WAIT_SECONDS):
                raise AssertionError(
                    f"no {count} message(s) to {recipient} within {WAIT_SECONDS} s"
                )
            return delivered()[:count]
