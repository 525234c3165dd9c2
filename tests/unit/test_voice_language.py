"""A call speaks and listens in the conversation's language (connectors/voice.py,
languages.yml's `voice`): the TwiML the channel answers Twilio with, for a German and
an English conversation, over a real tracker store and channel database."""

import asyncio
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import yaml
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from common.languages import DEFAULT_PATH, LanguageConfigError, load_config
from components.localised_nlg import LocalisedNLG
from connectors.conversation_ids import conversation_id
from connectors.state import ChannelState
from connectors.voice import VoiceInput
from stack.processes import ROOT

TOKEN = "test-auth-token"
CALL = "CA0123456789abcdef0123456789abcdef"


async def never_called(message: UserMessage) -> None:
    raise AssertionError("a re-prompt runs no turn")


@lru_cache(maxsize=1)
def the_domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def reprompt(tmp_path: Path, language: str | None, **options: Any) -> ElementTree.Element:
    """The TwiML of a silent turn in a conversation in language (None: not told yet),
    on a channel made with options."""
    domain = the_domain()
    store = InMemoryTrackerStore(domain)
    caller = conversation_id("voice", CALL, TOKEN)
    events = [SlotSet("language", language)] if language else []
    asyncio.run(
        store.save(
            DialogueStateTracker.from_events(
                caller, [*events, BotUttered("Wie kann ich Ihnen helfen?")]
            )
        )
    )
    channel = VoiceInput(
        TOKEN,
        "https://switchboard.example",
        state=ChannelState(f"sqlite:///{tmp_path / 'channels.db'}"),
        **options,
    )
    agent = Agent(domain=domain, generator=LocalisedNLG(None, domain), tracker_store=store)
    params = {"CallSid": CALL, "From": "+4915123456789", "CallStatus": "in-progress"}
    twiml = asyncio.run(channel._answer(never_called, agent, params, 0))
    return ElementTree.fromstring(twiml)


def spoken(root: ElementTree.Element) -> tuple[Any, ...]:
    gather = root.find("Gather")
    assert gather is not None
    say = gather.find("Say")
    assert say is not None
    return gather.get("language"), say.get("language"), say.get("voice"), say.text


def test_a_german_call_says_and_listens_in_german(tmp_path: Path) -> None:
    assert spoken(reprompt(tmp_path, "de")) == (
        "de-DE",
        "de-DE",
        "Polly.Vicki",
        "Entschuldigung, ich habe nichts gehört. Wie kann ich Ihnen helfen?",
    )


def test_a_call_in_the_default_language_keeps_the_channels_voice(tmp_path: Path) -> None:
    # credentials.yml's (and the channel's default) en-GB with Polly.Amy
    for language in (None, "en"):
        assert spoken(reprompt(tmp_path, language))[:3] == ("en-GB", "en-GB", "Polly.Amy")
    assert spoken(reprompt(tmp_path, None))[3].startswith("Sorry, I didn't hear anything.")


def test_a_goodbye_and_a_put_through_speak_the_language_given() -> None:
    channel = VoiceInput(TOKEN, "https://switchboard.example", state=ChannelState("sqlite://"))
    french = DialogueStateTracker.from_events("c", [SlotSet("language", "fr")])
    for twiml in (
        channel.goodbye("Au revoir", channel.speech(french)),
        channel.put_through("Je vous passe un conseiller", channel.speech(french)),
    ):
        say = ElementTree.fromstring(twiml).find("Say")
        assert say is not None
        assert (say.get("language"), say.get("voice")) == ("fr-FR", "Polly.Lea")


def write(tmp_path: Path, voice: object) -> Path:
    config = {**yaml.safe_load(DEFAULT_PATH.read_text()), "voice": voice}
    path = tmp_path / "languages.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    return path


@pytest.mark.parametrize(
    ("voice", "named"),
    [
        ({"it": {"language": "it-IT", "voice": "Polly.Bianca"}}, "voice.it: not one of languages"),
        ({"de": {"language": "fr-FR", "voice": "Polly.Lea"}}, "voice.de.language: 'fr-FR' is"),
        ({"de": {"language": "german", "voice": "Polly.Vicki"}}, "voice.de.language: string does"),
        ({"de": {"language": "de-DE", "voice": "<Play>"}}, "voice.de.voice: string does not"),
        ({"de": {"language": "de-DE"}}, "voice.de.voice: field required"),
        (
            {"de": {"language": "de-DE", "voice": "Polly.Vicki", "speech_model": "nova-3"}},
            "voice.de.speech_model: 'nova-3' is not one of Twilio's",
        ),
    ],
)
def test_a_bad_voice_entry_is_named(tmp_path: Path, voice: object, named: str) -> None:
    with pytest.raises(LanguageConfigError, match=named.replace(".", r"\.")):
        load_config(write(tmp_path, voice))


def speech_models(tmp_path: Path, **options: Any) -> dict[str | None, str | None]:
    """The <Gather>'s speechModel in a German, an English and a not yet told conversation."""
    found = {}
    for language in ("de", "en", None):
        gather = reprompt(tmp_path, language, **options).find("Gather")
        assert gather is not None
        found[language] = gather.get("speechModel")
    return found


def test_a_german_call_listens_with_the_speech_model_languages_yml_gives_german(
    tmp_path: Path,
) -> None:
    german = {"de": {"language": "de-DE", "voice": "Polly.Vicki", "speech_model": "phone_call"}}
    spoken_in = load_config(write(tmp_path, german))
    assert speech_models(tmp_path, spoken=spoken_in, speech_timeout="3") == {
        "de": "phone_call",
        "en": "numbers_and_commands",  # credentials.yml's, the channel's own
        None: "numbers_and_commands",
    }


def test_a_language_without_a_speech_model_listens_with_the_channels(tmp_path: Path) -> None:
    assert set(speech_models(tmp_path).values()) == {"numbers_and_commands"}
    assert load_config().voice["de"].speech_model is None


def test_a_speech_model_twilio_takes_without_auto_timeout_is_refused_at_start(
    tmp_path: Path,
) -> None:
    german = {"de": {"language": "de-DE", "voice": "Polly.Vicki", "speech_model": "googlev2_long"}}
    with pytest.raises(ValueError, match=r"voice\.de\.speech_model: 'googlev2_long' needs a"):
        VoiceInput(
            TOKEN,
            "https://switchboard.example",
            state=ChannelState("sqlite://"),
            spoken=load_config(write(tmp_path, german)),
        )
