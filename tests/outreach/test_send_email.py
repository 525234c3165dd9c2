"""End to end through the whole stack and the SMTP stand-in: a signed `payment_failed`
event for a customer with no WhatsApp conversation becomes an e-mail from the outreach
service (Rasa's trigger_intent with the e-mail output channel), automated, with the
disclosure and the opt-out; a STOP replied in its thread opts the customer out on
every channel, the conversation goes on with the outreach's context (a "yes" starts the
payment-method update), and the next event's outreach is suppressed for consent."""

import uuid
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
import requests

from stack.config import isolated_config
from tests.channels.mailbox import Mailbox
from tests.memory.support import EVENT_SECRETS, payment_failed, post_event
from tests.outreach.support import rules_now, wait_for
from tests.outreach.test_send_whatsapp import decisions
from tests.support.crm import customer
from tests.support.stack import API_TOKEN, Stack, running_stack

CUSTOMER, INVOICE = "C-1022", "INV-900058"  # Bristol; an overdue invoice, no fixture event
SECRET = "test-email-secret-outreach"


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    with Mailbox() as box:
        yield box


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox) -> Iterator[Stack]:
    home = tmp_path_factory.mktemp("outreach-email-stack")
    config = isolated_config(
        home,
        {
            "SWITCHBOARD_SMTP_HOST": mailbox.host,
            "SWITCHBOARD_SMTP_PORT": str(mailbox.port),
            "SWITCHBOARD_EMAIL_SECRET": SECRET,
            "MEMORY_EVENT_SECRETS": EVENT_SECRETS,
            "OUTREACH_CONFIG": str(rules_now(home)),
            "OUTREACH_POLL_SECONDS": "1",
        },
        rasa_api_token=API_TOKEN,
    )
    with running_stack(config) as running:
        yield running


def reply_in_thread(stack: Stack, mail: EmailMessage, text: str) -> requests.Response:
    """The customer's reply to the outreach e-mail, as the inbound-parse service posts it."""
    return requests.post(
        f"{stack.config.rasa_url}/webhooks/email/webhook",
        json={
            "from": mail["To"],
            "subject": f"Re: {mail['Subject']}",
            "message_id": f"<{uuid.uuid4().hex}@mail.example>",
            "in_reply_to": mail["Message-ID"],
            "references": mail["Message-ID"],
            "text": text,
        },
        headers={"Authorization": f"Bearer {SECRET}"},
        timeout=120,
    )


def body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def test_a_failed_payment_reaches_email_and_a_stop_reply_ends_outreach(
    stack: Stack, mailbox: Mailbox
) -> None:
    config = stack.config
    address = customer(CUSTOMER)["email"]
    stored = post_event(config.memory_url, payment_failed(CUSTOMER, INVOICE, "card expired"))
    assert stored.status_code == 201, stored.text

    [mail] = mailbox.wait_for(address)
    assert mail["Auto-Submitted"] == "auto-generated"
    assert "STOP" in mail["List-Unsubscribe"]
    text = body(mail)
    assert "Brightwave's automated assistant" in text
    assert "Reply STOP" in text and "HUMAN" in text
    assert INVOICE in text and "update your card" in text
    [sent] = wait_for(lambda: decisions(config, CUSTOMER))
    assert (sent["action"], sent["channel"], sent["response"]) == (
        "sent",
        "email",
        "utter_outreach_payment_failed",
    )

    # The customer replies STOP in the outreach's thread.
    assert reply_in_thread(stack, mail, "STOP").status_code == 200
    [_, confirmation] = mailbox.wait_for(address, 2)
    assert "will not send you any more automated messages" in body(confirmation)
    assert confirmation["Auto-Submitted"] == "auto-replied"  # the assistant's, threaded
    assert mail["Message-ID"] in confirmation["References"]

    # The conversation goes on with the outreach's context: a "yes" to its offer
    # starts the payment-method update, which asks for the proof of the account first.
    assert reply_in_thread(stack, mail, "Yes please.").status_code == 200
    [_, _, asked] = mailbox.wait_for(address, 3)
    assert "postcode" in body(asked) and "https://" not in body(asked)
    consent = requests.get(
        f"{config.outreach_url}/customers/{CUSTOMER}/consent",
        headers={"Authorization": f"Bearer {config.outreach_api_token}"},
        timeout=10,
    )
    assert consent.status_code == 200, consent.text
    for purpose in ("service", "marketing"):  # on every channel, not only e-mail
        assert consent.json()["consent"][purpose] == {
            "whatsapp": False,
            "email": False,
            "voice": False,
        }

    # The next failed payment's outreach is suppressed: the customer opted out.
    again = post_event(config.memory_url, payment_failed(CUSTOMER, INVOICE, "card blocked"))
    assert again.status_code == 201, again.text
    [_, stopped] = wait_for(lambda: decisions(config, CUSTOMER)[1:] and decisions(config, CUSTOMER))
    assert (stopped["action"], stopped["reason"]) == ("suppressed", "consent")
    assert stopped["skipped"] == [
        ["whatsapp", "consent"],
        ["email", "consent"],
        ["voice", "consent"],
    ]
    assert len([m for m in mailbox.messages if address in str(m["To"])]) == 3
