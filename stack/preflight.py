"""Start-up tells the truth: each channel is checked before the stack starts, and
`make run` prints one line per channel, ready, not configured (which variable is
missing) or misconfigured (what is wrong), never a secret's value.

Without this a stack with no WhatsApp sender, no SMTP host or no secret starts
without a word, and every reply fails (or every message is refused with 503)
later. The checks read the settings exactly as the channels do
(connectors.settings.TwilioSettings, connectors.smtp.MailSettings), from the
channels' sections of credentials.yml and the environment Rasa is given. A value
the channel itself refuses at start (an SMTP login without TLS, say) stops the
start here, at once, instead of after Rasa has loaded its model; anything else
that is wrong is a warning line and the stack starts. Each check takes a moment;
the only one that touches the network, the SMTP relay's TCP connect, gives up
after SMTP_CONNECT_SECONDS.
"""

import ipaddress
import re
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.headerregistry import AddressHeader, HeaderRegistry
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rasa.shared.exceptions import RasaException
from rasa.shared.utils.io import read_config_file

from connectors.rest_auth import MIN_SECRET_CHARS, SECRET_ENV
from connectors.settings import TwilioSettings
from connectors.smtp import IMPLICIT_TLS_PORT, MailSettings, Smtp, SmtpConfigError
from stack.config import ConfigError
from stack.processes import ROOT

READY = "ready"
NOT_CONFIGURED = "not configured"
MISCONFIGURED = "misconfigured"
OFF = "off"

SMTP_CONNECT_SECONDS = 2.0
SUBMISSION_PORT = 587
WHATSAPP_NUMBER = re.compile(r"whatsapp:\+[1-9][0-9]{6,14}")
PHONE_NUMBER = re.compile(r"\+[1-9][0-9]{6,14}")
ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")
WEBCHAT_WIDGET = "var/webchat/rasa-webchat.js"  # connectors/webchat's default widget_script

# Each channel's section of credentials.yml.
REST = "connectors.rest.RestInput"
WHATSAPP = "connectors.whatsapp.WhatsAppInput"
VOICE = "connectors.voice.VoiceInput"
EMAIL = "connectors.mail.EmailInput"
WEBCHAT = "connectors.webchat.WebChatInput"
NAMES = {REST: "REST", WHATSAPP: "WhatsApp", VOICE: "Voice", EMAIL: "E-mail", WEBCHAT: "Web chat"}


@dataclass
class Readiness:
    """One channel's state at start: what is missing and what is wrong."""

    channel: str
    missing: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # A value the channel itself refuses at start: Rasa would not start.
    refused: bool = False
    enabled: bool = True

    @property
    def status(self) -> str:
        if not self.enabled:
            return OFF
        if self.missing:
            return NOT_CONFIGURED
        return MISCONFIGURED if self.wrong else READY

    def line(self) -> str:
        details = self.missing + self.wrong + self.notes
        return f"  {self.channel + ':':<10}{self.status}" + (
            f" ({'; '.join(details)})" if details else ""
        )


Check = Callable[[dict[str, Any], Mapping[str, str]], Readiness]


def check_rest(credentials: dict[str, Any], env: Mapping[str, str]) -> Readiness:
    """The REST channel needs its JWT secret: configured, or made for this start."""
    secret = env.get(SECRET_ENV)
    if secret and len(secret) < MIN_SECRET_CHARS:
        return Readiness(
            NAMES[REST],
            wrong=[f"{SECRET_ENV} is shorter than {MIN_SECRET_CHARS} characters"],
            refused=True,
        )
    if secret:
        return Readiness(NAMES[REST], notes=[f"JWT secret from {SECRET_ENV}"])
    return Readiness(
        NAMES[REST],
        notes=[
            f"{SECRET_ENV} unset: a JWT secret is generated "
            "for this start, tokens minted before a restart "
            "are refused"
        ],
    )


def _public_url(readiness: Readiness, url: str | None) -> None:
    if not url:
        readiness.missing.append(
            "SWITCHBOARD_PUBLIC_URL unset: Twilio's signatures cannot be "
            "checked against the https URL it calls"
        )
        return
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        readiness.wrong.append(
            f"SWITCHBOARD_PUBLIC_URL={url!r} is not an https:// URL: "
            "Twilio should call the webhooks over https"
        )


def _auth_token(readiness: Readiness, token: str | None) -> None:
    if not token:
        readiness.missing.append("TWILIO_AUTH_TOKEN unset: every request is refused with 503")


def check_whatsapp(credentials: dict[str, Any], env: Mapping[str, str]) -> Readiness:
    """WhatsApp needs the account (SID, auth token), its sender number and the
    public URL Twilio calls."""
    twilio = TwilioSettings.from_credentials(credentials, env)
    readiness = Readiness(NAMES[WHATSAPP])
    _auth_token(readiness, twilio.auth_token)
    if not twilio.account_sid:
        readiness.missing.append("TWILIO_ACCOUNT_SID unset: replies cannot be sent")
    elif not ACCOUNT_SID.fullmatch(twilio.account_sid):
        readiness.wrong.append(
            "TWILIO_ACCOUNT_SID is not 'AC' and 32 hex digits: Twilio refuses every reply"
        )
    if not twilio.whatsapp_number:
        readiness.missing.append("TWILIO_WHATSAPP_NUMBER unset: Twilio refuses every reply")
    elif not WHATSAPP_NUMBER.fullmatch(twilio.whatsapp_number):
        readiness.wrong.append(
            "TWILIO_WHATSAPP_NUMBER is not 'whatsapp:+' and the number "
            "with its country code: Twilio refuses every reply"
        )
    _public_url(readiness, twilio.public_url)
    return readiness


def check_voice(credentials: dict[str, Any], env: Mapping[str, str]) -> Readiness:
    """Voice needs the auth token and the public URL; the agents' number is optional."""
    twilio = TwilioSettings.from_credentials(credentials, env)
    readiness = Readiness(NAMES[VOICE])
    _auth_token(readiness, twilio.auth_token)
    _public_url(readiness, twilio.public_url)
    if not twilio.agent_number:
        readiness.notes.append(
            "TWILIO_VOICE_AGENT_NUMBER unset: calls are not put through to a person"
        )
    elif not PHONE_NUMBER.fullmatch(twilio.agent_number):
        readiness.wrong.append(
            "TWILIO_VOICE_AGENT_NUMBER is not '+' and the number with its "
            "country code: calls cannot be put through to a person"
        )
    if twilio.sms_number and not PHONE_NUMBER.fullmatch(twilio.sms_number):
        readiness.wrong.append(
            "TWILIO_SMS_NUMBER is not '+' and the number with its country "
            "code: an agent's reply cannot reach a caller who hung up"
        )
    elif not twilio.caller_reply_from:
        readiness.notes.append(
            "neither TWILIO_SMS_NUMBER nor TWILIO_WHATSAPP_NUMBER set: an "
            "agent's reply cannot reach a caller who hung up"
        )
    return readiness


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def smtp_unreachable(host: str, port: int, timeout: float = SMTP_CONNECT_SECONDS) -> str | None:
    """Why no TCP connection to the relay could be made within timeout, or None.
    In a thread of its own, so that a slow name lookup cannot hold the start either."""
    no_answer = f"no answer within {timeout:g} s"
    outcome: list[str | None] = []

    def connect() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            outcome.append(None)
        except TimeoutError:
            outcome.append(no_answer)
        except OSError as error:
            outcome.append(error.strerror or type(error).__name__)

    attempt = threading.Thread(target=connect, name="preflight-smtp", daemon=True)
    attempt.start()
    attempt.join(timeout)
    return outcome[0] if outcome else no_answer


def _tls(readiness: Readiness, smtp: Smtp) -> None:
    """The TLS settings the relay's port calls for."""
    if smtp.implicit_tls and smtp.starttls:
        readiness.wrong.append(
            f"SWITCHBOARD_SMTP_STARTTLS=true with port {IMPLICIT_TLS_PORT}, "
            "which is implicit TLS: unset one of them"
        )
    elif smtp.port == SUBMISSION_PORT and not smtp.starttls:
        readiness.wrong.append(
            f"port {SUBMISSION_PORT} expects STARTTLS: set SWITCHBOARD_SMTP_STARTTLS=true"
        )
    elif not (smtp.starttls or smtp.implicit_tls) and not _loopback(str(smtp.host)):
        readiness.wrong.append(
            "replies would cross the network unencrypted: set "
            f"SWITCHBOARD_SMTP_STARTTLS=true or port {IMPLICIT_TLS_PORT}"
        )


def _from_address(readiness: Readiness, value: str) -> None:
    header = HeaderRegistry()("From", value)
    addresses = header.addresses if isinstance(header, AddressHeader) else ()
    if (
        header.defects
        or len(addresses) != 1
        or not addresses[0].username
        or "." not in addresses[0].domain
    ):
        readiness.wrong.append(f"SWITCHBOARD_EMAIL_FROM={value!r} is not one valid address")


def check_email(credentials: dict[str, Any], env: Mapping[str, str]) -> Readiness:
    """E-mail needs its shared secret, a relay that answers, TLS settings that fit
    its port, and a valid From."""
    readiness = Readiness(NAMES[EMAIL])
    try:
        settings = MailSettings.from_credentials(credentials, env)
    except SmtpConfigError as error:
        readiness.wrong.append(str(error))
        readiness.refused = True
        return readiness
    if not settings.secret:
        readiness.missing.append(
            "SWITCHBOARD_EMAIL_SECRET unset: every message is refused with 503"
        )
    smtp = settings.smtp
    if not smtp.host:
        readiness.missing.append("SWITCHBOARD_SMTP_HOST unset: replies cannot be sent")
    else:
        _tls(readiness, smtp)
        reason = smtp_unreachable(smtp.host, smtp.port)
        if reason:
            readiness.wrong.append(
                f"SWITCHBOARD_SMTP_HOST {smtp.host}:{smtp.port} cannot be "
                f"reached ({reason}): replies cannot be sent"
            )
    _from_address(readiness, settings.from_address)
    return readiness


def check_webchat(credentials: dict[str, Any], env: Mapping[str, str]) -> Readiness:
    """Web chat needs the widget `make webchat` fetches."""
    widget = str(credentials.get("widget_script") or WEBCHAT_WIDGET)
    if (ROOT / widget).is_file():
        return Readiness(NAMES[WEBCHAT])
    return Readiness(NAMES[WEBCHAT], missing=[f"{widget} missing: run `make webchat`"])


CHECKS: dict[str, Check] = {
    REST: check_rest,
    WHATSAPP: check_whatsapp,
    VOICE: check_voice,
    EMAIL: check_email,
    WEBCHAT: check_webchat,
}


def check_channels(
    env: Mapping[str, str], credentials_file: Path = ROOT / "credentials.yml"
) -> list[Readiness]:
    """Every channel's readiness, in the README's order; a channel without a section in
    credentials.yml is not served at all. The file is read as Rasa reads it (with
    `${VAR}` taken from this process's environment); one Rasa cannot read raises
    ConfigError."""
    try:
        sections = read_config_file(credentials_file)
    except RasaException as error:
        raise ConfigError(f"{credentials_file.name}: {error}") from None
    readiness = []
    for section, check in CHECKS.items():
        if section in sections:
            readiness.append(check(dict(sections[section] or {}), env))
        else:
            readiness.append(
                Readiness(NAMES[section], enabled=False, notes=[f"not in {credentials_file.name}"])
            )
    return readiness
