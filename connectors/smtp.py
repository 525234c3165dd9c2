"""The e-mail channel's settings and the SMTP relay its replies go through.

Kept apart from connectors/mail.py (which loads Rasa) so that the stack's start-up
check (stack/preflight.py) reads exactly what the channel reads, in a moment."""

import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from connectors.settings import setting

SMTP_TIMEOUT_SECONDS = 20
IMPLICIT_TLS_PORT = 465
DEFAULT_FROM_ADDRESS = "Brightwave Customer Service <help@brightwave.example>"


class SmtpConfigError(ValueError):
    """An SMTP setting the channel cannot send with; names the setting."""


class Smtp:
    """Where replies are sent: host and port, over TLS with the server's certificate
    checked (STARTTLS, or implicit TLS on port 465), with an optional login."""

    def __init__(
        self,
        host: str | None,
        port: int,
        user: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        ca_file: str | None = None,
    ) -> None:
        self.host, self.port, self.user, self.password = host, port, user, password
        self.starttls = starttls
        self.implicit_tls = port == IMPLICIT_TLS_PORT
        if ca_file and not Path(ca_file).is_file():
            raise SmtpConfigError(f"SWITCHBOARD_SMTP_CA_FILE={ca_file!r}: no such file")
        if (user or password) and not (starttls or self.implicit_tls):
            raise SmtpConfigError(
                "SWITCHBOARD_SMTP_USER/_PASSWORD need TLS: set "
                "SWITCHBOARD_SMTP_STARTTLS=true or use port 465"
            )
        self.ca_file = ca_file

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file)

    def send(self, message: EmailMessage) -> None:
        if not self.host:
            raise smtplib.SMTPException("no SMTP host is configured")
        server: smtplib.SMTP
        if self.implicit_tls:
            server = smtplib.SMTP_SSL(
                self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS, context=self._tls()
            )
        else:
            server = smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS)
        with server:
            if self.starttls and not self.implicit_tls:
                server.starttls(context=self._tls())  # refuses a server without STARTTLS
            if self.user and self.password:
                server.login(self.user, self.password)
            server.send_message(message)

    @classmethod
    def from_credentials(
        cls, credentials: dict[str, Any], env: Mapping[str, str] = os.environ
    ) -> "Smtp":
        port = setting(credentials, "smtp_port", "SWITCHBOARD_SMTP_PORT", "25", env) or "25"
        if not (port.isascii() and port.isdecimal()) or not 0 < int(port) < 65536:
            raise SmtpConfigError(f"SWITCHBOARD_SMTP_PORT={port!r}: expected a TCP port")
        starttls = (
            setting(credentials, "smtp_starttls", "SWITCHBOARD_SMTP_STARTTLS", "false", env)
            or "false"
        ).lower()
        if starttls not in ("true", "false"):
            raise SmtpConfigError(f"SWITCHBOARD_SMTP_STARTTLS={starttls!r}: expected true or false")
        return cls(
            setting(credentials, "smtp_host", "SWITCHBOARD_SMTP_HOST", env=env),
            int(port),
            setting(credentials, "smtp_user", "SWITCHBOARD_SMTP_USER", env=env),
            setting(credentials, "smtp_password", "SWITCHBOARD_SMTP_PASSWORD", env=env),
            starttls == "true",
            setting(credentials, "smtp_ca_file", "SWITCHBOARD_SMTP_CA_FILE", env=env),
        )


@dataclass(frozen=True)
class MailSettings:
    """What the e-mail channel is configured with: its shared secret, the replies'
    From and the relay (a relay setting it cannot send with raises SmtpConfigError)."""

    secret: str | None
    from_address: str
    smtp: Smtp

    @classmethod
    def from_credentials(
        cls, credentials: dict[str, Any], env: Mapping[str, str] = os.environ
    ) -> "MailSettings":
        return cls(
            setting(credentials, "secret", "SWITCHBOARD_EMAIL_SECRET", env=env),
            setting(
                credentials, "from_address", "SWITCHBOARD_EMAIL_FROM", DEFAULT_FROM_ADDRESS, env
            )
            or DEFAULT_FROM_ADDRESS,
            Smtp.from_credentials(credentials, env),
        )
