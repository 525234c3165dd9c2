"""Phone calls through Twilio Voice, on Rasa's twilio_voice connector.

Twilio POSTs its form (From, CallStatus, SpeechResult or Digits, …), signed in
X-Twilio-Signature, to /webhooks/twilio_voice/webhook and gets TwiML back: the
turn's messages in full (domain.yml's short voice variants), spoken inside a
<Gather> that listens for speech and keypad digits, so the caller can interrupt
(barge in) at any time. Silence is re-prompted
twice; the third time the assistant is told `/request_human`. The count travels in
the Gather's action URL, which Twilio signs like everything else. Once the
assistant has handed the conversation to a person (it is paused), the call is put
through to the agents' number only when one is configured and the hand-over's
notice asks for it (a person takes the call now, by the desk's receipt); outside
support hours the caller is offered a call back or a text message and their one
answer is confirmed (actions/callback.py, run here while the conversation stays
paused); otherwise the caller has heard when a person will call back and their
reference, and the call ends. The call speaks and listens in the conversation's language
(the slot `language`): languages.yml's `voice` gives Twilio's language code for <Say>
and <Gather>, a voice that speaks it and optionally the <Gather>'s speech model; the
channel's own `language`, `assistant_voice` and `speech_model` serve what it does not. Should a paused call still reach us, what the caller says is
acknowledged (stack/handoff_ack.py) and silence ends the call with the domain's
goodbye; an agent's later reply reaches the caller as a text message
(connectors/caller_reply.py). Each turn passes the caller's number (verified by
Twilio's signature) in the message metadata; the action server looks its customer
up in the CRM. A call is one conversation: its id is derived from the CallSid with
the auth token (connectors/conversation_ids.py), so nothing confirmed in one call
carries to the next call from the same number (caller ID is easily spoofed).

An outreach call (outreach/voice.py) is one outbound call: the customer is its `To`
(Twilio's `Direction` says outbound), and the first request's URL carries the plan
(connectors/voice_outreach.py, signed by Twilio like all of it). That request runs the
outreach intent in the call's conversation as Rasa's trigger_intent would, and says
the disclosure and the message in their voice wording; what the customer answers then
continues the call's conversation, which holds the offer.

Twilio retries a webhook call it got no answer to. Each request is claimed in the
channel database (connectors/state.py) by what Twilio signed (the URL, with a fresh
`turn` token in each Gather's action, and the form), and its TwiML is kept there: a
retried request is answered with the same TwiML and its turn is not run again.
Twilio's `I-Twilio-Idempotency-Token` header is not signed, so it is not the key: a
replayed request with a new token is still the same request. A request left
half-answered by a process that stopped is opened again when the channel starts,
so Twilio's retry is answered.
"""

import asyncio
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple
from urllib.parse import urlencode

from rasa.core.agent import Agent
from rasa.core.channels.channel import (
    CollectingOutputChannel,
    InputChannel,
    OutputChannel,
    UserMessage,
)
from rasa.core.channels.twilio_voice import TwilioVoiceInput
from rasa.core.policies.policy import PolicyPrediction
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError
from twilio.twiml.voice_response import VoiceResponse

from common.channel_metadata import (
    CALLBACK_ANSWER,
    CALLBACK_DONE,
    CALLBACK_OFFER,
    CAN_PUT_THROUGH,
    CAN_TEXT,
    CHANNEL_NUMBER,
    LIVE_EVENT,
    PUT_THROUGH,
    SEND_AS_TEXT,
)
from common.languages import LanguageConfig, languages
from connectors.caller_reply import CallerReply
from connectors.conversation_ids import conversation_id
from connectors.inbound import card_flag, clean_text
from connectors.options import customer_reply, offered_buttons, spoken
from connectors.ratelimit import RateLimits, client_address
from connectors.sessions import configure_session
from connectors.settings import TwilioSettings
from connectors.speech import heard, last_sentence, spoken_turn
from connectors.state import DONE, ChannelState, channel_state
from connectors.twilio_signature import TwilioSignature
from connectors.voice_outreach import INTENT as OUTREACH_INTENT
from connectors.voice_outreach import BadPlan, call_plan, plan_entities
from connectors.webhook import (
    BadRequest,
    public_url,
    read_form,
    required,
    webhook_blueprint,
)
from connectors.wording import say

logger = logging.getLogger(__name__)

CHANNEL = "twilio_voice"
# The only speech model Twilio takes with speech_timeout "auto" (Rasa's channel checks the same).
AUTO_TIMEOUT_MODEL = "numbers_and_commands"
DEFAULT_MAX_BODY_BYTES = 32 * 1024
DEFAULT_MAX_MESSAGE_CHARS = 1000
DEFAULT_SESSION_MINUTES = 10
# Per client address (Twilio's own, in production) and per caller's number.
DEFAULT_RATE_LIMITS = {"client": "600/minute", "sender": "30/minute;300/hour"}
MAX_REPROMPTS = 2
SILENCE = "silence"
TURN = "turn"
TURN_TOKEN = re.compile(r"[0-9a-f]{16}")
RETRY_WAIT_SECONDS = 12.0  # a retry waits for the first request's TwiML (Twilio: 15 s)
RETRY_POLL_SECONDS = 0.25
HUMAN_REQUEST = "/request_human"
GOODBYE = "utter_goodbye"
NOT_HEARD = "utter_not_heard"
TROUBLE = "utter_call_trouble"
CALLBACK_ACTION = "action_callback_choice"
LANGUAGE_SLOT = "language"


class VoiceCollector(CollectingOutputChannel):
    """Collects what to say; buttons become spoken options to say or key in."""

    @classmethod
    def name(cls) -> str:
        return "twilio_voice"

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_text_message(recipient_id, spoken(text, buttons))

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        """Images are not spoken."""


class Speech(NamedTuple):
    """How a call speaks and listens: Twilio's language code, text-to-speech voice and
    speech model (None: the channel's)."""

    language: str
    voice: str
    speech_model: str | None = None


def last_turn(tracker: DialogueStateTracker | None) -> list[str]:
    """What the assistant said since the caller last spoke."""
    said: list[str] = []
    for event in reversed(tracker.events if tracker else []):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered) and event.text:
            buttons = event.data.get("buttons")
            said.insert(0, spoken(event.text, buttons) if buttons else event.text)
    return said


def waiting_events(tracker: DialogueStateTracker | None) -> list[BotUttered]:
    """The business events the memory brought into the call since the caller last
    spoke (actions/memory_events.py): the call says them at the caller's next turn."""
    waiting: list[BotUttered] = []
    for event in reversed(tracker.events if tracker else []):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered) and event.text and (event.metadata or {}).get(LIVE_EVENT):
            waiting.insert(0, event)
    return waiting


def put_through_asked(tracker: DialogueStateTracker) -> bool:
    """The hand-over's notice, in this turn, asked to put the caller through: the desk
    said a person takes the call live (actions/handoff_notice.py)."""
    return any(
        isinstance(event, BotUttered) and (event.metadata or {}).get(PUT_THROUGH)
        for event in _this_turn(tracker)
    )


def customer_number(params: dict[str, str]) -> str:
    """The customer's number: the caller's, or on a call we placed (an outreach call,
    Twilio's Direction `outbound-api`) the number called."""
    outbound = params.get("Direction", "").startswith("outbound")
    return required(params, "To" if outbound else "From").strip()


def _this_turn(tracker: DialogueStateTracker) -> list[Any]:
    events: list[Any] = []
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            break
        events.append(event)
    return events


class VoiceInput(TwilioVoiceInput):
    """Twilio Voice's webhook, every request checked before Rasa sees it."""

    def __init__(
        self,
        auth_token: str | None,
        public_url: str | None,
        agent_number: str | None = None,
        initial_prompt: str = "/greet",
        language: str = "en-GB",
        assistant_voice: str = "Polly.Amy",
        speech_timeout: str = "auto",
        speech_model: str = "numbers_and_commands",
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS,
        limits: RateLimits | None = None,
        state: ChannelState | None = None,
        twilio: TwilioSettings | None = None,
        spoken: LanguageConfig | None = None,
    ) -> None:
        super().__init__(
            # Rasa's own re-prompt is never used: silence is answered in _answer.
            initial_prompt,
            None,
            assistant_voice,
            speech_timeout,
            speech_model,
            "false",
        )
        self.twilio = twilio
        self.signature = TwilioSignature(auth_token, public_url)
        self.agent_number = agent_number
        self.language = language
        # Read at the start: a bad languages.yml stops it, naming the key.
        self.voices = {
            code: Speech(voice.language, voice.voice, voice.speech_model)
            for code, voice in (spoken or languages()).voice.items()
        }
        for code, speech in self.voices.items():
            if speech_timeout == "auto" and speech.speech_model not in (None, AUTO_TIMEOUT_MODEL):
                raise ValueError(
                    f"languages.yml: voice.{code}.speech_model: {speech.speech_model!r} needs a "
                    f"number of seconds as the channel's speech_timeout ('auto' is taken "
                    f"with {AUTO_TIMEOUT_MODEL} only)"
                )
        self.max_body_bytes = max_body_bytes
        self.max_message_chars = max_message_chars
        self.limits = limits or RateLimits(CHANNEL, DEFAULT_RATE_LIMITS)
        self.state = state or channel_state()
        self.started = time.time()

    @classmethod
    def name(cls) -> str:
        return "twilio_voice"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        configure_session(cls.name(), credentials, DEFAULT_SESSION_MINUTES)
        options: dict[str, Any] = {
            key: str(credentials[key])
            for key in (
                "initial_prompt",
                "language",
                "assistant_voice",
                "speech_timeout",
                "speech_model",
            )
            if key in credentials
        }
        twilio = TwilioSettings.from_credentials(credentials)
        return cls(
            twilio.auth_token,
            twilio.public_url,
            twilio.agent_number,
            max_body_bytes=int(credentials.get("max_body_bytes", DEFAULT_MAX_BODY_BYTES)),
            max_message_chars=int(credentials.get("max_message_chars", DEFAULT_MAX_MESSAGE_CHARS)),
            limits=RateLimits.from_credentials(CHANNEL, credentials, DEFAULT_RATE_LIMITS),
            twilio=twilio,
            **options,
        )

    def get_output_channel(self) -> OutputChannel | None:
        """An agent's message for a call goes to the caller as a text message
        (connectors/caller_reply.py); None when no sender number is configured."""
        twilio = self.twilio
        if twilio is None or not (
            twilio.account_sid and twilio.auth_token and twilio.caller_reply_from
        ):
            return None
        return CallerReply(
            twilio.account_sid,
            twilio.auth_token,
            twilio.caller_reply_from,
            twilio.api_url,
            self.state,
        )

    async def _remember(self, caller: str, number: str) -> None:
        """The call's number, for an agent's reply after the caller has hung up."""
        try:
            await self.state.remember(CHANNEL, caller, number)
        except SQLAlchemyError as error:
            logger.error("voice.remember.failed: %s", type(error).__name__)

    def _read(self, request: Request) -> dict[str, str]:
        self.limits.check(client=client_address(request))
        params = read_form(request, self.max_body_bytes)
        self.signature.check(request, params)
        self.limits.check(sender=customer_number(params))
        required(params, "CallSid")
        return params

    @staticmethod
    def _plan(request: Request) -> dict[str, str] | None:
        """The outreach plan an outreach call's first request carries (None: none)."""
        try:
            return call_plan({key: request.args.get(key) for key in request.args})
        except BadPlan as bad:
            raise BadRequest(400, str(bad)) from None

    @staticmethod
    def _silences(request: Request) -> int:
        raw = request.args.get(SILENCE, "0")
        if not (raw.isascii() and raw.isdecimal()) or len(raw) > 2 or int(raw) > MAX_REPROMPTS:
            raise BadRequest(400, f"'{SILENCE}' must be a number from 0 to {MAX_REPROMPTS}")
        if not TURN_TOKEN.fullmatch(request.args.get(TURN, "0" * 16)):
            raise BadRequest(400, f"'{TURN}' must be 16 hexadecimal digits")
        return int(raw)

    def _said(self, params: dict[str, str]) -> str:
        """What the caller said or keyed in, cleaned ('' for nothing)."""
        for field, text in (
            ("SpeechResult", heard(params.get("SpeechResult") or "")),
            ("Digits", params.get("Digits") or ""),
        ):
            if text.strip():
                return clean_text(text, self.max_message_chars, field)
        return ""

    def speech(self, tracker: DialogueStateTracker | None) -> Speech:
        """How the call speaks and listens now: in the conversation's language."""
        language = tracker.get_slot(LANGUAGE_SLOT) if tracker is not None else None
        return self.voices.get(str(language), Speech(self.language, self.assistant_voice))

    def twiml(self, text: str, silences: int = 0, speech: Speech | None = None) -> str:
        """Say text inside a Gather, so the caller may interrupt with speech or keys."""
        speech = speech or self.speech(None)
        voice = VoiceResponse()
        # A fresh token per turn: the next request is told apart from a retry of this one.
        action = (
            f"/webhooks/{self.name()}/webhook?{TURN}={secrets.token_hex(8)}&{SILENCE}={silences}"
        )
        gather = voice.gather(
            input="speech dtmf",
            action=action,
            method="POST",
            action_on_empty_result=True,
            language=speech.language,
            speech_timeout=self.speech_timeout,
            speech_model=speech.speech_model or self.speech_model,
            finish_on_key="#",
            timeout=5,
        )
        gather.say(text, voice=speech.voice, language=speech.language)
        return str(voice)

    def goodbye(self, text: str, speech: Speech | None = None) -> str:
        """Say text in full, then end the call."""
        speech = speech or self.speech(None)
        voice = VoiceResponse()
        if text:
            voice.say(text, voice=speech.voice, language=speech.language)
        voice.hangup()
        return str(voice)

    async def wording(self, agent: Agent, tracker: DialogueStateTracker | None, name: str) -> str:
        """The call's own sentence (utter_not_heard) in the conversation's language:
        the assistant's generator with its locales, the domain's wording without a
        conversation."""
        if tracker is not None:
            message = await agent.nlg.generate(name, tracker, self.name()) or {}
            if message.get("text"):
                return str(message["text"])
        return say(name, self.name())

    async def farewell(self, agent: Agent, tracker: DialogueStateTracker) -> str:
        """Silence once the team has the call's request: the domain's goodbye, and the
        call ends (no re-prompt: the caller has been told what happens next)."""
        message = await agent.nlg.generate(GOODBYE, tracker, self.name()) or {}
        return self.goodbye(spoken_turn([message.get("text") or ""]), self.speech(tracker))

    def put_through(self, text: str, speech: Speech | None = None) -> str:
        """Say text, then connect the caller to the agents' number."""
        speech = speech or self.speech(None)
        voice = VoiceResponse()
        voice.say(text, voice=speech.voice, language=speech.language)
        voice.dial(self.agent_number)
        return str(voice)

    async def callback_choice(
        self, agent: Agent, tracker: DialogueStateTracker, caller: str, said: str
    ) -> str:
        """The caller's answer to the offer of a call back (silence too), read by the
        action server (actions/callback.py) while the conversation stays paused: asked
        again once, or confirmed and the call ends; a text message it asks for goes to
        the caller's number (connectors/caller_reply.py)."""
        if said:  # in the conversation's transcript, as any message on a paused call
            tracker.update(UserUttered(said, input_channel=self.name()))
        before = len(tracker.events)
        tracker.update(SlotSet(CALLBACK_ANSWER, said))
        await agent.tracker_store.save(tracker)
        assert agent.processor is not None and agent.domain is not None
        try:
            await agent.processor.execute_action(
                caller,
                CALLBACK_ACTION,
                VoiceCollector(),
                agent.nlg,
                PolicyPrediction.for_action_name(agent.domain, CALLBACK_ACTION),
            )
        except Exception:
            logger.exception("voice.callback.failure caller=%s", caller)
            return self.goodbye(say(TROUBLE, self.name()))
        after = await agent.tracker_store.retrieve(caller)
        uttered = [
            event
            for event in list(after.events if after else [])[before:]
            if isinstance(event, BotUttered) and event.text
        ]
        output = self.get_output_channel()
        for event in uttered:
            if (event.metadata or {}).get(SEND_AS_TEXT) and output is not None:
                await output.send_text_message(caller, event.text or "")
        text = spoken_turn(
            event.text or "" for event in uttered if not (event.metadata or {}).get(SEND_AS_TEXT)
        )
        speech = self.speech(after)
        if any((event.metadata or {}).get(CALLBACK_DONE) for event in uttered):
            return self.goodbye(text, speech)
        return self.twiml(text or await self.wording(agent, tracker, NOT_HEARD), speech=speech)

    async def _turn(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        text: str,
        caller: str,
        metadata: dict[str, Any],
    ) -> str:
        collector = VoiceCollector()
        await on_new_message(
            UserMessage(text, collector, caller, input_channel=self.name(), metadata=metadata)
        )
        return spoken_turn(m.get("text", "") for m in collector.messages)

    async def _answer(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        agent: Agent,
        params: dict[str, str],
        silences: int,
        plan: dict[str, str] | None = None,
    ) -> str:
        """The TwiML for one request: the caller's turn, a re-prompt, or the way to a
        person; on an outreach call answered, the outreach message."""
        number = customer_number(params)
        caller = conversation_id("voice", params["CallSid"].strip(), str(self.signature.auth_token))
        said = self._said(params)
        if plan is not None and not said:
            await self._remember(caller, number)
            return await self._outreach(agent, caller, number, plan)
        tracker = await agent.tracker_store.retrieve(caller)
        if tracker is not None and tracker.is_paused() and tracker.get_slot(CALLBACK_OFFER):
            return await self.callback_choice(agent, tracker, caller, said)
        if not said and params.get("CallStatus") == "ringing":
            said = self.initial_prompt or "/greet"
            await self._remember(caller, number)
        elif not said and tracker is not None and tracker.is_paused():
            return await self.farewell(agent, tracker)
        elif not said and silences < MAX_REPROMPTS:
            return self.twiml(
                spoken_turn(
                    [
                        await self.wording(agent, tracker, NOT_HEARD),
                        last_sentence(last_turn(tracker)),
                    ]
                ),
                silences + 1,
                self.speech(tracker),
            )
        elif not said:
            said = HUMAN_REQUEST
        else:
            said = customer_reply(said, offered_buttons(tracker))
        metadata: dict[str, Any] = {CHANNEL_NUMBER: number, **card_flag(said)}
        if self.agent_number:
            metadata[CAN_PUT_THROUGH] = True
        if self.get_output_channel() is not None:
            metadata[CAN_TEXT] = True
        news = [await self._spoken(agent, tracker, event) for event in waiting_events(tracker)]
        try:
            text = await self._turn(on_new_message, said, caller, metadata)
        except Exception:
            logger.exception("voice.message.failure caller=%s", caller)
            text = say(TROUBLE, self.name())
        text = spoken_turn([*news, text]) if news else text
        tracker = await agent.tracker_store.retrieve(caller)
        speech = self.speech(tracker)
        if tracker and tracker.is_paused():
            # Handed over: put through when a person is there now, else the caller has
            # heard when a person calls back and their reference, and the call ends.
            if self.agent_number and put_through_asked(tracker):
                return self.put_through(text, speech)
            if tracker.get_slot(CALLBACK_OFFER):  # outside hours: a call back or a message
                return self.twiml(text, speech=speech)
            return self.goodbye(text, speech)
        return self.twiml(text or await self.wording(agent, tracker, NOT_HEARD), speech=speech)

    async def _outreach(self, agent: Agent, caller: str, number: str, plan: dict[str, str]) -> str:
        """The outreach intent run in the call's conversation (as Rasa's trigger_intent
        runs it), its messages said in a Gather that listens for the answer; a plan the
        action refuses says nothing and the call ends."""
        collector = VoiceCollector()
        try:
            async with agent.lock_store.lock(caller):
                assert agent.processor is not None
                tracker = await agent.processor.fetch_tracker_and_update_session(
                    caller, collector, {CHANNEL_NUMBER: number}
                )
                await agent.trigger_intent(OUTREACH_INTENT, plan_entities(plan), collector, tracker)
        except Exception:
            logger.exception("voice.outreach.failure caller=%s", caller)
            return self.goodbye(say(TROUBLE, self.name()))
        text = spoken_turn(m.get("text", "") for m in collector.messages)
        logger.info("voice.outreach.said plan=%s caller=%s", plan["plan"], caller)
        speech = self.speech(await agent.tracker_store.retrieve(caller))
        return self.twiml(text, speech=speech) if text else self.goodbye("")

    async def _spoken(
        self, agent: Agent, tracker: DialogueStateTracker | None, event: BotUttered
    ) -> str:
        """A message uttered outside the call's turns (no channel's wording chosen),
        in the call's wording: its response rendered again with its variables."""
        metadata = dict(event.metadata or {})
        name = metadata.pop("utter_action", None)
        if name and tracker is not None:
            message = await agent.nlg.generate(name, tracker, self.name(), **metadata)
            if message and message.get("text"):
                return str(message["text"])
        return event.text or ""

    async def _answered_before(self, key: str) -> str | None:
        """None when this request is this handler's to answer; else the TwiML its
        first delivery was answered with (waiting while that is still being made)."""
        deadline = time.monotonic() + RETRY_WAIT_SECONDS
        while True:
            claim = await self.state.claim(CHANNEL, key)
            if claim.owned:
                return None
            if claim.state == DONE and claim.result:
                return claim.result
            if time.monotonic() > deadline:
                raise BadRequest(
                    503, "this request is still being answered", headers={"Retry-After": "2"}
                )
            await asyncio.sleep(RETRY_POLL_SECONDS)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def receive(request: Request) -> HTTPResponse:
            params = self._read(request)
            silences = self._silences(request)
            plan = self._plan(request)
            key = (
                public_url(request, self.signature.public_base_url)
                + "\n"
                + urlencode(sorted(params.items()))
            )
            try:
                twiml = await self._answered_before(key)
            except SQLAlchemyError as error:
                logger.error("voice.state.failed: %s", type(error).__name__)
                raise BadRequest(
                    503, "the call cannot be answered now", headers={"Retry-After": "2"}
                ) from None
            if twiml is None:
                try:
                    twiml = await self._answer(
                        on_new_message, request.app.ctx.agent, params, silences, plan
                    )
                except BaseException:
                    await self.state.release(CHANNEL, key)
                    raise
                await self.state.settle(CHANNEL, key, twiml)
            return response.text(twiml, content_type="text/xml")

        webhook = webhook_blueprint("switchboard_voice_webhook", receive)

        @webhook.listener("after_server_start")
        async def reopen(*_: Any) -> None:
            """Requests left half-handled by a process that stopped are opened again,
            so that their retries are handled (not refused as in progress)."""
            try:
                await self.state.reopen(CHANNEL, self.started)
            except SQLAlchemyError as error:
                logger.error("voice.reopen.failed: %s", type(error).__name__)

        return webhook
