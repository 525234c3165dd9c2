"""An outreach e-mail's thread and conversation, named as the e-mail channel names them.

The outreach e-mail opens a thread whose root Message-ID outreach chooses: the same for
a plan every time (a retry or a restart sends into the same conversation) and
unguessable without the e-mail secret. The customer's reply carries that root first in
its References, so the channel (connectors/mail_message.py) names the reply's
conversation from the root and their address exactly as here: the reply continues the
conversation the outreach message was said in, with its context.
"""

import hashlib
import hmac
from dataclasses import dataclass

from connectors.conversation_ids import conversation_id


@dataclass(frozen=True)
class MailThread:
    address: str
    thread: str
    conversation: str


def mail_thread(
    plan_id: int, customer_id: str, address: str, secret: str, domain: str
) -> MailThread:
    """The thread and conversation of plan `plan_id`'s e-mail to address."""
    key = f"outreach:{plan_id}:{customer_id}".encode()
    token = hmac.new(secret.encode(), key, hashlib.sha256).hexdigest()[:32]
    thread = f"<outreach.{plan_id}.{token}@{domain}>"
    return MailThread(
        address, thread, conversation_id("email", f"{thread} {address.lower()}", secret)
    )
