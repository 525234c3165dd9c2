"""An agent's reply to a caller, who has hung up by the time it is written: sent as a
text message to the number they called from, through Twilio's Messages API (by SMS
from TWILIO_SMS_NUMBER, else by WhatsApp from TWILIO_WHATSAPP_NUMBER). The voice
channel remembers each call's number in the channel database for this; an internal
move (the desk marks it) sends nothing; the outcome is noted for the desk like any
agent's message (connectors/delivery.py)."""

from typing import Any

from connectors.delivery import NOT_SENT, agent_stamp, ledger, offline_mark
from connectors.whatsapp import WhatsAppOutput

CHANNEL = "twilio_voice"
WHATSAPP = "whatsapp:"


class CallerReply(WhatsAppOutput):
    """The desk's messages for a phone conversation, as text messages to the caller."""

    recipients = CHANNEL

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Nothing for an internal move (the desk's mark says so: a claim, a close)."""
        if offline_mark(kwargs).get("send") is False:
            await ledger().record(recipient_id, agent_stamp(kwargs), NOT_SENT)
            return
        await super().send_text_message(recipient_id, text, **kwargs)

    def address(self, number: str) -> str:
        return WHATSAPP + number if str(self.twilio_number).startswith(WHATSAPP) else number
