"""Outreach by e-mail, decided by the worker with a controlled clock against the real
memory and backend (Rasa's API a stand-in; the real one in test_send_email.py): a
customer with no WhatsApp conversation gets it by e-mail, at the CRM's address, in the
conversation the e-mail channel will name their reply's."""

from datetime import timedelta
from pathlib import Path

from connectors.mail_message import InboundMail
from outreach.mail import mail_thread
from tests.outreach.rasa_fake import RasaStandIn
from tests.outreach.support import Sources
from tests.outreach.test_worker import MORNING, decisions, make_worker, rasa, running  # noqa: F401
from tests.support.crm import customer

SECRET = "email-channel-secret-0123456789"
DOMAIN = "brightwave.example"


def test_without_whatsapp_the_outreach_goes_by_email_into_the_replys_conversation(
    running: Sources,
    rasa: RasaStandIn,
    tmp_path: Path,
) -> None:
    worker, plans, _ = make_worker(running, rasa, tmp_path, mail=(SECRET, DOMAIN))
    running.event("C-1015", "INV-900043")
    worker.tick(MORNING)
    worker.tick(MORNING + timedelta(minutes=30))
    assert decisions(plans, "C-1015") == [
        ("sent", "allowed", "email", "utter_outreach_payment_failed")
    ]
    [entry] = plans.log("C-1015", 0, 10)
    address = customer("C-1015")["email"]
    thread = mail_thread(entry["plan_id"], "C-1015", address, SECRET, DOMAIN)
    [sent] = rasa.sent(thread.conversation)
    assert sent["outreach_address"] == address and sent["outreach_thread"] == thread.thread
    assert sent["outreach_customer"] == "C-1015" and sent["outreach_disclose"] == "yes"
    assert [t[2]["output_channel"] for t in rasa.triggers] == [["email"]]
    # The customer's reply (their client may write the address in capitals) comes in
    # on the conversation the outreach was said in.
    reply = InboundMail(address.upper(), "", "Re: x", "yes", "<r1@mail.example>", (thread.thread,))
    assert reply.conversation_id(SECRET) == thread.conversation
    # Another address writing into the thread gets a conversation of its own.
    other = InboundMail(
        "someone@example.com", "", "Re: x", "STOP", "<r2@x.example>", (thread.thread,)
    )
    assert other.conversation_id(SECRET) != thread.conversation


def test_without_the_email_secret_a_customer_without_whatsapp_is_not_reached(
    running: Sources,
    rasa: RasaStandIn,
    tmp_path: Path,
) -> None:
    worker, plans, _ = make_worker(running, rasa, tmp_path)
    running.event("C-1015", "INV-900043")
    worker.tick(MORNING)
    worker.tick(MORNING + timedelta(minutes=30))
    [entry] = plans.log("C-1015", 0, 10)
    assert (entry["action"], entry["reason"]) == ("suppressed", "no_channel")
    assert ["email", "no_address"] in entry["skipped"]
    assert rasa.triggers == []
