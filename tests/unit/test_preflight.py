"""Start-up checks (stack/preflight.py): each channel's line for configured, missing
and malformed settings, never showing a secret; the SMTP relay checked against a real
local SMTP server, a closed port and a listener that never answers."""

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from stack.config import ConfigError
from stack.preflight import (
    MISCONFIGURED,
    NOT_CONFIGURED,
    OFF,
    READY,
    Readiness,
    check_channels,
    check_email,
    check_rest,
    check_voice,
    check_webchat,
    check_whatsapp,
    smtp_unreachable,
)
from stack.processes import free_port
from tests.channels.mailbox import Mailbox

AUTH_TOKEN = "0123456789abcdef0123456789abcdef"
ACCOUNT_SID = "AC" + "f" * 32
EMAIL_SECRET = "e-mail-shared-secret-0123456789"
TWILIO = {
    "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
    "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
    "TWILIO_WHATSAPP_NUMBER": "whatsapp:+14155238886",
    "SWITCHBOARD_PUBLIC_URL": "https://switchboard.example.com",
}
SECRETS = (AUTH_TOKEN, ACCOUNT_SID, EMAIL_SECRET, "smtp-password")


def shown(readiness: Readiness) -> str:
    """The printed line, checked to hold no secret."""
    line = readiness.line()
    assert not [secret for secret in SECRETS if secret in line], line
    return line


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    with Mailbox() as box:
        yield box


@pytest.fixture
def silent_listener() -> Iterator[socket.socket]:
    """A listening socket whose queue is full: a connect to it is never answered."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    waiting: list[socket.socket] = []
    for _ in range(3):
        client = socket.socket()
        client.setblocking(False)
        client.connect_ex(server.getsockname())
        waiting.append(client)
    yield server
    for client in waiting:
        client.close()
    server.close()


def mail_env(mailbox: Mailbox, **extra: str) -> dict[str, str]:
    return {
        "SWITCHBOARD_EMAIL_SECRET": EMAIL_SECRET,
        "SWITCHBOARD_SMTP_HOST": mailbox.host,
        "SWITCHBOARD_SMTP_PORT": str(mailbox.port),
        "SWITCHBOARD_EMAIL_FROM": "Brightwave <help@brightwave.example>",
        **extra,
    }


def test_whatsapp_configured_is_ready() -> None:
    readiness = check_whatsapp({}, TWILIO)
    assert readiness.status == READY, shown(readiness)
    assert shown(readiness) == "  WhatsApp: ready"


def test_whatsapp_without_settings_names_every_missing_variable() -> None:
    line = shown(check_whatsapp({}, {}))
    assert "not configured" in line
    for name in (
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_WHATSAPP_NUMBER",
        "SWITCHBOARD_PUBLIC_URL",
    ):
        assert f"{name} unset" in line


def test_whatsapp_without_sender_number_is_not_configured() -> None:
    readiness = check_whatsapp({}, {**TWILIO, "TWILIO_WHATSAPP_NUMBER": ""})
    assert readiness.status == NOT_CONFIGURED
    assert readiness.missing == ["TWILIO_WHATSAPP_NUMBER unset: Twilio refuses every reply"]


@pytest.mark.parametrize(
    "number",
    ["+14155238886", "whatsapp:14155238886", "whatsapp:+1 415 523 8886", "whatsapp:+0123456789"],
)
def test_a_malformed_sender_number_is_a_warning(number: str) -> None:
    readiness = check_whatsapp({}, {**TWILIO, "TWILIO_WHATSAPP_NUMBER": number})
    assert readiness.status == MISCONFIGURED
    assert not readiness.refused  # the stack still starts
    assert "TWILIO_WHATSAPP_NUMBER is not 'whatsapp:+'" in shown(readiness)
    assert number not in readiness.line()


def test_whatsapp_malformed_account_and_plain_http_url() -> None:
    readiness = check_whatsapp(
        {},
        {
            **TWILIO,
            "TWILIO_ACCOUNT_SID": "SK" + "f" * 32,
            "SWITCHBOARD_PUBLIC_URL": "http://switchboard.example.com",
        },
    )
    assert readiness.status == MISCONFIGURED
    line = shown(readiness)
    assert "TWILIO_ACCOUNT_SID is not 'AC' and 32 hex digits" in line
    assert "SWITCHBOARD_PUBLIC_URL='http://switchboard.example.com' is not an https:// URL" in line


def test_credentials_yml_values_count_like_the_channel_reads_them() -> None:
    readiness = check_whatsapp(
        {"twilio_number": "whatsapp:+14155238886"},
        {**TWILIO, "TWILIO_WHATSAPP_NUMBER": "+14155238886"},
    )
    assert readiness.status == READY


def test_voice_without_agent_number_is_ready_but_says_so() -> None:
    readiness = check_voice({}, TWILIO)
    assert readiness.status == READY
    assert shown(readiness) == (
        "  Voice:    ready (TWILIO_VOICE_AGENT_NUMBER unset: calls are not put through to a person)"
    )
    assert (
        check_voice({}, {**TWILIO, "TWILIO_VOICE_AGENT_NUMBER": "+441614960000"}).line()
        == "  Voice:    ready"
    )


def test_voice_says_whether_an_agents_reply_can_reach_a_caller_who_hung_up() -> None:
    agent = {"TWILIO_VOICE_AGENT_NUMBER": "+441614960000"}
    by_sms = check_voice({}, {**TWILIO, **agent, "TWILIO_SMS_NUMBER": "+14155238887"})
    assert by_sms.line() == "  Voice:    ready"
    no_sender = {**TWILIO, **agent}
    del no_sender["TWILIO_WHATSAPP_NUMBER"]
    assert "an agent's reply cannot reach a caller" in check_voice({}, no_sender).line()
    malformed = check_voice({}, {**TWILIO, **agent, "TWILIO_SMS_NUMBER": "0161 496 0001"})
    assert malformed.status == MISCONFIGURED and "TWILIO_SMS_NUMBER is not '+'" in shown(malformed)


def test_voice_missing_and_malformed() -> None:
    missing = check_voice({}, {"TWILIO_VOICE_AGENT_NUMBER": "+441614960000"})
    assert missing.status == NOT_CONFIGURED
    assert "TWILIO_AUTH_TOKEN unset" in shown(missing)
    assert "SWITCHBOARD_PUBLIC_URL unset" in missing.line()
    malformed = check_voice({}, {**TWILIO, "TWILIO_VOICE_AGENT_NUMBER": "0161 496 0000"})
    assert malformed.status == MISCONFIGURED
    assert "TWILIO_VOICE_AGENT_NUMBER is not '+'" in shown(malformed)


def test_email_with_a_listening_relay_is_ready(mailbox: Mailbox) -> None:
    readiness = check_email({}, mail_env(mailbox))
    assert readiness.status == READY, readiness.line()
    assert shown(readiness) == "  E-mail:   ready"


def test_email_without_secret_or_host_is_not_configured() -> None:
    readiness = check_email({}, {})
    assert readiness.status == NOT_CONFIGURED
    line = shown(readiness)
    assert "SWITCHBOARD_EMAIL_SECRET unset" in line
    assert "SWITCHBOARD_SMTP_HOST unset: replies cannot be sent" in line


def test_email_relay_not_listening_is_misconfigured(mailbox: Mailbox) -> None:
    closed = free_port()
    readiness = check_email({}, mail_env(mailbox, SWITCHBOARD_SMTP_PORT=str(closed)))
    assert readiness.status == MISCONFIGURED
    assert (
        f"SWITCHBOARD_SMTP_HOST 127.0.0.1:{closed} cannot be reached (Connection refused)"
        in shown(readiness)
    )


def test_email_relay_that_never_answers_is_given_up_on_quickly(
    mailbox: Mailbox, silent_listener: socket.socket
) -> None:
    port = silent_listener.getsockname()[1]
    started = time.monotonic()
    readiness = check_email({}, mail_env(mailbox, SWITCHBOARD_SMTP_PORT=str(port)))
    assert time.monotonic() - started < 3.0
    assert readiness.status == MISCONFIGURED
    assert "(no answer within 2 s)" in shown(readiness)


def test_smtp_connect_timeout_holds_in_its_thread(silent_listener: socket.socket) -> None:
    started = time.monotonic()
    assert smtp_unreachable(*silent_listener.getsockname(), timeout=0.3) == "no answer within 0.3 s"
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize(
    "settings, reason",
    [
        (
            {"SWITCHBOARD_SMTP_PORT": "465", "SWITCHBOARD_SMTP_STARTTLS": "true"},
            "SWITCHBOARD_SMTP_STARTTLS=true with port 465",
        ),
        ({"SWITCHBOARD_SMTP_PORT": "587"}, "port 587 expects STARTTLS"),
        ({"SWITCHBOARD_SMTP_HOST": "smtp.invalid"}, "replies would cross the network unencrypted"),
    ],
)
def test_email_tls_settings_that_do_not_fit(
    mailbox: Mailbox, settings: dict[str, str], reason: str
) -> None:
    readiness = check_email({}, mail_env(mailbox, **settings))
    assert readiness.status == MISCONFIGURED
    assert reason in shown(readiness)
    assert not readiness.refused


@pytest.mark.parametrize("sender", ["help", "help@localhost", "a@b.example, c@d.example", "<>"])
def test_email_from_address_must_be_one_valid_address(mailbox: Mailbox, sender: str) -> None:
    readiness = check_email({}, mail_env(mailbox, SWITCHBOARD_EMAIL_FROM=sender))
    assert readiness.status == MISCONFIGURED
    assert f"SWITCHBOARD_EMAIL_FROM={sender!r} is not one valid address" in shown(readiness)


def test_email_settings_the_channel_refuses_stop_the_start(mailbox: Mailbox) -> None:
    readiness = check_email(
        {},
        mail_env(
            mailbox, SWITCHBOARD_SMTP_USER="relay-user", SWITCHBOARD_SMTP_PASSWORD="smtp-password"
        ),
    )
    assert readiness.refused
    assert readiness.status == MISCONFIGURED
    assert "SWITCHBOARD_SMTP_USER/_PASSWORD need TLS" in shown(readiness)


def test_rest_secret_configured_or_generated() -> None:
    configured = check_rest({}, {"SWITCHBOARD_REST_JWT_SECRET": "s" * 32})
    assert shown(configured) == "  REST:     ready (JWT secret from SWITCHBOARD_REST_JWT_SECRET)"
    short = check_rest({}, {"SWITCHBOARD_REST_JWT_SECRET": EMAIL_SECRET})
    assert short.refused and "shorter than 32 characters" in short.line()
    generated = check_rest({}, {})
    assert generated.status == READY
    assert "a JWT secret is generated for this start" in generated.line()


def test_webchat_needs_its_widget(tmp_path: Path) -> None:
    widget = tmp_path / "rasa-webchat.js"
    missing = check_webchat({"widget_script": str(widget)}, {})
    assert missing.status == NOT_CONFIGURED
    assert "run `make webchat`" in missing.line()
    widget.write_text("// widget")
    assert check_webchat({"widget_script": str(widget)}, {}).line() == "  Web chat: ready"


def test_every_channel_in_order_and_one_left_out_of_credentials(tmp_path: Path) -> None:
    credentials = tmp_path / "credentials.yml"
    credentials.write_text(
        "connectors.rest.RestInput:\n  max_body_bytes: 1024\n"
        "connectors.whatsapp.WhatsAppInput:\n"
        "connectors.voice.VoiceInput: {}\n"
        "connectors.mail.EmailInput: {}\n"
    )
    readiness = check_channels(TWILIO, credentials)
    assert [(r.channel, r.status) for r in readiness] == [
        ("REST", READY),
        ("WhatsApp", READY),
        ("Voice", READY),
        ("E-mail", NOT_CONFIGURED),
        ("Web chat", OFF),
    ]
    assert readiness[-1].line() == "  Web chat: off (not in credentials.yml)"


def test_credentials_rasa_cannot_read_stop_the_start(tmp_path: Path) -> None:
    credentials = tmp_path / "credentials.yml"
    credentials.write_text("connectors.mail.EmailInput:\n  secret: ${PREFLIGHT_UNSET_VARIABLE}\n")
    with pytest.raises(ConfigError, match=r"credentials\.yml: .*PREFLIGHT_UNSET_VARIABLE"):
        check_channels({}, credentials)
