"""Phone calls through Twilio Voice, on Rasa's twilio_voice connector.

Twilio POSTs its form (From, CallStatus, SpeechResult or Digits, …), signed in
X-Twilio-Signature, to /webhooks/twilio_voice/webhook and gets TwiML back: at
most two sentences, spoken inside a <Gather> that listens for speech and keypad
digits, so the caller can interrupt (barge in) at any time. Silence is re-prompted
twice; the third time the assistant is told `/request_human`. The count travels in
the Gather's action URL, which Twilio signs like everything else. Once the
assistant has handed the conversation to a person (it is paused), the call is put
through to the agents' number when one is configured. The caller's number names
the claimed customer (connectors/caller.py); the conversation id is derived from
it with the auth token (connectors/conversation_ids.py).
"""

import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.twilio_voice import TwilioVoiceInput
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.twiml.voice_response import VoiceResponse

from connectors.caller import caller_metadata
from connectors.conversation_ids import conversation_id
from connectors.options import chosen_payload, offered_buttons, spoken
from connectors.sessions import configure_session
from connectors.settings import setting
from connectors.speech import heard, last_sentence, spoken_turn
from connectors.twilio_signature import TwilioSignature
from connectors.webhook import BadRequest, read_form, required, webhook_blueprint

logger = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 32 * 1024
DEFAULT_SESSION_MINUTES = 10
MAX_REPROMPTS = 2
SILENCE = "silence"
HUMAN_REQUEST = "/request_human"
NOT_HEARD = "Sorry, I didn't hear anything."
TROUBLE = "Sorry, something went wrong on our side. Please call again in a few minutes."


class VoiceCollector(CollectingOutputChannel):
    """Collects what to say; buttons become spoken options to say or key in."""

    @classmethod
    def name(cls) -> Text:
        return "twilio_voice"

    async def send_text_with_buttons(self, recipient_id: Text, text: Text,
                                     buttons: List[Dict[Text, Any]], **kwargs: Any) -> None:
        await self.send_text_message(recipient_id, spoken(text, buttons))

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        """Images are not spoken."""


def last_turn(tracker: Optional[DialogueStateTracker]) -> List[str]:
    """What the assistant said since the caller last spoke."""
    said: List[str] = []
    for event in reversed(tracker.events if tracker else []):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered) and event.text:
            buttons = event.data.get("buttons")
            said.insert(0, spoken(event.text, buttons) if buttons else event.text)
    return said


class VoiceInput(TwilioVoiceInput):
    """Twilio Voice's webhook, every request checked before Rasa sees it."""

    def __init__(self, auth_token: Optional[str], public_url: Optional[str],
                 agent_number: Optional[str] = None, initial_prompt: str = "/greet", language: str = "en-GB",
                 assistant_voice: str = "Polly.Amy", speech_timeout: str = "auto",
                 speech_model: str = "numbers_and_commands",
                 max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        super().__init__(initial_prompt, NOT_HEARD, assistant_voice, speech_timeout,
                         speech_model, "false")
        self.signature = TwilioSignature(auth_token, public_url)
        self.agent_number = agent_number
        self.language = language
        self.max_body_bytes = max_body_bytes

    @classmethod
    def name(cls) -> Text:
        return "twilio_voice"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        configure_session(cls.name(), credentials, DEFAULT_SESSION_MINUTES)
        options = {key: str(credentials[key]) for key in (
            "initial_prompt", "language", "assistant_voice", "speech_timeout", "speech_model")
            if key in credentials}
        return cls(setting(credentials, "auth_token", "TWILIO_AUTH_TOKEN"),
                   setting(credentials, "public_url", "SWITCHBOARD_PUBLIC_URL"),
                   setting(credentials, "agent_number", "TWILIO_VOICE_AGENT_NUMBER"),
                   max_body_bytes=int(credentials.get("max_body_bytes", DEFAULT_MAX_BODY_BYTES)),
                   **options)

    def _read(self, request: Request) -> Dict[str, str]:
        params = read_form(request, self.max_body_bytes)
        self.signature.check(request, params)
        required(params, "From")
        required(params, "CallSid")
        return params

    @staticmethod
    def _silences(request: Request) -> int:
        raw = request.args.get(SILENCE, "0")
        if not raw.isdigit() or int(raw) > MAX_REPROMPTS:
            raise BadRequest(400, f"'{SILENCE}' must be a number from 0 to {MAX_REPROMPTS}")
        return int(raw)

    def twiml(self, text: str, silences: int = 0) -> HTTPResponse:
        """Say text inside a Gather, so the caller may interrupt with speech or keys."""
        voice = VoiceResponse()
        gather = voice.gather(
            input="speech dtmf", action=f"/webhooks/{self.name()}/webhook?{SILENCE}={silences}",
            method="POST", action_on_empty_result=True, language=self.language,
            speech_timeout=self.speech_timeout, speech_model=self.speech_model,
            finish_on_key="#", timeout=5)
        gather.say(text, voice=self.assistant_voice, language=self.language)
        return response.text(str(voice), content_type="text/xml")

    def put_through(self, text: str) -> HTTPResponse:
        """Say text, then connect the caller to the agents' number."""
        voice = VoiceResponse()
        voice.say(text, voice=self.assistant_voice, language=self.language)
        voice.dial(self.agent_number)
        return response.text(str(voice), content_type="text/xml")

    async def _turn(self, on_new_message: Callable[[UserMessage], Awaitable[Any]], text: str,
                    caller: str, metadata: Dict[str, Any]) -> str:
        collector = VoiceCollector()
        await on_new_message(UserMessage(text, collector, caller, input_channel=self.name(),
                                         metadata=metadata))
        return spoken_turn(m.get("text", "") for m in collector.messages)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def receive(request: Request) -> HTTPResponse:
            params = self._read(request)
            silences = self._silences(request)
            number = params["From"].strip()
            caller = conversation_id("voice", number, str(self.signature.auth_token))
            said = heard(params.get("SpeechResult") or "") or (params.get("Digits") or "").strip()
            if not said and params.get("CallStatus") == "ringing":
                said = self.initial_prompt or "/greet"
            elif not said and silences < MAX_REPROMPTS:
                tracker = await request.app.ctx.agent.tracker_store.retrieve(caller)
                return self.twiml(spoken_turn([NOT_HEARD, last_sentence(last_turn(tracker))]),
                                  silences + 1)
            elif not said:
                said = HUMAN_REQUEST
            else:
                tracker = await request.app.ctx.agent.tracker_store.retrieve(caller)
                said = chosen_payload(said, offered_buttons(tracker)) or said
            try:
                text = await self._turn(on_new_message, said, caller,
                                        await caller_metadata("phone", number))
            except Exception:
                logger.exception("voice.message.failure caller=%s", caller)
                text = TROUBLE
            if self.agent_number:
                tracker = await request.app.ctx.agent.tracker_store.retrieve(caller)
                if tracker and tracker.is_paused():
                    return self.put_through(text)
            return self.twiml(text or NOT_HEARD)

        return webhook_blueprint("switchboard_voice_webhook", receive)
