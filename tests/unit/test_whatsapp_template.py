"""The WhatsApp channel sends an outreach message marked with its approved template as
that template (ContentSid and ContentVariables, no Body) through Twilio's Messages API
(its recording stand-in), and does not send the disclosure the template says."""

import asyncio
import json
from pathlib import Path

from connectors.state import ChannelState
from connectors.whatsapp import WhatsAppOutput, template_message
from tests.channels.twilio_fake import ACCOUNT_SID, AUTH_TOKEN, WHATSAPP_NUMBER, TwilioApi

NUMBER = "whatsapp:+447700900123"
SID = "HX" + "ab" * 16


def test_the_template_goes_as_content_sid_and_variables_without_a_body() -> None:
    assert template_message("c-1", WHATSAPP_NUMBER, {"content_sid": SID, "variables": {}}) == {
        "to": "c-1",
        "from_": WHATSAPP_NUMBER,
        "content_sid": SID,
        "content_variables": "{}",
    }


def test_the_messages_api_gets_the_template_instead_of_the_text(tmp_path: Path) -> None:
    async def send(output: WhatsAppOutput, state: ChannelState) -> None:
        await state.remember("twilio", "c-1", NUMBER)
        await output.send_text_message(
            "c-1", "This is Brightwave's automated assistant.", whatsapp_in_template=True
        )
        await output.send_text_message(
            "c-1",
            "The payment for your invoice INV-900055 didn't go through.",
            whatsapp_template={"content_sid": SID, "variables": {"1": "INV-900055"}},
        )
        await output.send_text_message("c-1", "Free-form, inside the window.")

    with TwilioApi() as twilio:
        state = ChannelState(f"sqlite:///{tmp_path / 'channels.db'}")
        output = WhatsAppOutput(ACCOUNT_SID, AUTH_TOKEN, WHATSAPP_NUMBER, twilio.url, state)
        asyncio.run(send(output, state))
        template, free_form = (m.form for m in twilio.messages_to(NUMBER))
    assert template["ContentSid"] == SID and "Body" not in template
    assert json.loads(template["ContentVariables"]) == {"1": "INV-900055"}
    assert template["From"] == WHATSAPP_NUMBER
    assert free_form["Body"] == "Free-form, inside the window." and "ContentSid" not in free_form
