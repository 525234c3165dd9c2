"""Twilio Voice: signed form posts in, TwiML out, the voice variants of domain.yml said
in full (never cut), ids, amounts and dates in words."""

import re
import uuid
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from num2words import num2words

from actions import spoken as words
from connectors.conversation_ids import conversation_id
from tests.channels.twilio_fake import (
    ACCOUNT_SID,
    AGENT_NUMBER,
    AUTH_TOKEN,
    VOICE_NUMBER,
    TwilioApi,
    TwilioWebhook,
    sentences,
)
from tests.support.crm import customer, first_with, of_customer
from tests.support.stack import Stack

PATH = "/webhooks/twilio_voice/webhook"
BERLIN = ZoneInfo("Europe/Berlin")


@dataclass
class Spoken:
    """What one TwiML response says and where it sends the caller's answer."""

    text: str
    action: str
    gather: dict[str, str]


def spoken(twiml: str) -> Spoken:
    root = ElementTree.fromstring(twiml)
    assert root.tag == "Response"
    [gather] = root.findall("Gather")
    assert not root.findall("Say"), "everything is said inside the Gather (barge-in)"
    text = " ".join(say.text or "" for say in gather.findall("Say"))
    return Spoken(text, gather.attrib["action"], dict(gather.attrib))


class Call:
    """One phone call to the assistant, as Twilio makes it."""

    def __init__(self, stack: Stack, number: str | None = None) -> None:
        self.webhook = TwilioWebhook(stack.config.rasa_url, PATH)
        self.caller = number or f"+4477009{uuid.uuid4().int % 100000:05d}"
        self.sid = "CA" + uuid.uuid4().hex
        self.conversation = conversation_id("voice", self.sid, AUTH_TOKEN)  # one per call
        self.action = ""

    def _post(self, extra: dict[str, str]) -> Spoken:
        query = self.action.partition("?")[2]
        params = {
            "From": self.caller,
            "To": VOICE_NUMBER,
            "CallSid": self.sid,
            "AccountSid": ACCOUNT_SID,
            "CallStatus": "in-progress",
            **extra,
        }
        reply = self.webhook.post(params, query=query)
        assert reply.status_code == 200, reply.text
        assert reply.headers["content-type"].startswith("text/xml")
        turn = spoken(reply.content.decode())  # TwiML is UTF-8 ("Bestellung verzögert")
        self.action = turn.action
        return turn

    def ring(self) -> Spoken:
        return self._post({"CallStatus": "ringing"})

    def say(self, speech: str) -> Spoken:
        return self._post({"SpeechResult": speech, "Confidence": "0.9"})

    def key(self, digits: str) -> Spoken:
        return self._post({"Digits": digits})

    def silence(self) -> Spoken:
        return self._post({})


def handed_over(stack: Stack, call: "Call") -> dict[str, Any]:
    listed = stack.agent().get("/api/handoffs").json()
    [handoff] = [h for h in listed if h["conversation_id"] == call.conversation]
    return handoff


def ask_for_a_person(call: "Call") -> ElementTree.Element:
    call.ring()
    return request_a_person(call)


def request_a_person(call: "Call") -> ElementTree.Element:
    """The caller asks for a person: the TwiML, whatever it does (within support
    hours the call is put through, outside them a call back is offered)."""
    reply = call.webhook.post(
        {
            "From": call.caller,
            "CallSid": call.sid,
            "CallStatus": "in-progress",
            "SpeechResult": "I want to speak to a person",
        },
        query=call.action.partition("?")[2],
    )
    assert reply.status_code == 200, reply.text
    return ElementTree.fromstring(reply.text)


def assert_voice_shaped(turn: Spoken) -> None:
    """Short sentences, nothing a voice would read out wrongly: no link, no written id,
    no symbol or digits of an amount or a date."""
    assert all(len(sentence.split()) <= 30 for sentence in sentences(turn.text)), turn.text
    assert "http" not in turn.text and "www." not in turn.text
    assert not re.search(r"\b[A-Z]{2,3}-\d|[€£$(]|\d{1,2}:\d{2}|\b20\d\d\b", turn.text), turn.text


def test_a_verified_order_question_is_answered_in_words_for_speech(channel_stack: Stack) -> None:
    order = first_with("orders", status="delayed")
    owner = customer(order["customer_id"])
    call = Call(channel_stack)
    greeting = call.ring()
    assert "Brightwave" in greeting.text
    assert (
        greeting.gather["input"] == "speech dtmf"
        and greeting.gather["actionOnEmptyResult"] == "true"
    )
    spelled_id = " ".join(order["id"].replace("-", " ").lower())
    asked = call.say(f"where is my order {spelled_id}")
    assert "postcode" in asked.text and "key in" in asked.text
    answer = call.key(owner["postcode"])
    for turn in (greeting, asked, answer):
        assert_voice_shaped(turn)
    assert " ".join(order["id"].replace("-", "")) in answer.text  # spelled out for speech
    assert order["id"] not in answer.text
    assert order["delay_reason"] in answer.text and words.day(order["eta"]) in answer.text
    assert "I'm sorry for the wait." in answer.text  # the last sentence too: nothing is cut


def test_the_callers_number_names_the_customer(channel_stack: Stack) -> None:
    owner = customer("C-1018")
    call = Call(channel_stack, owner["phone"])
    call.ring()
    asked = call.say("where is my order")
    assert "postcode" in asked.text and "order number" not in asked.text


def test_silence_is_reprompted_twice_then_the_caller_is_put_through_to_a_person(
    channel_stack: Stack, team_in: None
) -> None:
    call = Call(channel_stack)
    greeting = call.ring()
    first = call.silence()
    assert "didn't hear" in first.text and first.action.endswith("silence=1")
    assert list(sentences(greeting.text))[-1] in first.text  # the question, asked again
    second = call.silence()
    assert "didn't hear" in second.text and second.action.endswith("silence=2")
    reply = call.webhook.post(
        {"From": call.caller, "CallSid": call.sid, "CallStatus": "in-progress"}, query="silence=2"
    )
    root = ElementTree.fromstring(reply.text)
    assert [child.tag for child in root] == ["Say", "Dial"]
    assert root.find("Dial").text == AGENT_NUMBER  # type: ignore[union-attr]
    notice = root.find("Say").text or ""  # type: ignore[union-attr]
    assert "didn't hear" not in notice
    # What happens next is said in full: the place in the queue and the wait.
    assert "won't need to repeat anything" in notice
    assert "The wait is about" in notice and "put you through" in notice
    assert_voice_shaped(Spoken(notice, "", {}))
    tracker = channel_stack.tracker(call.conversation)
    intents = [e["parse_data"]["intent"]["name"] for e in tracker["events"] if e["event"] == "user"]
    assert intents[-1] == "request_human" and tracker["paused"] is True


def test_within_hours_a_caller_who_asks_for_a_person_is_put_through(
    channel_stack: Stack, team_in: None
) -> None:
    call = Call(channel_stack)
    root = ask_for_a_person(call)
    assert [child.tag for child in root] == ["Say", "Dial"]
    assert root.find("Dial").text == AGENT_NUMBER  # type: ignore[union-attr]
    said = root.find("Say").text or ""  # type: ignore[union-attr]
    handoff = handed_over(channel_stack, call)
    assert handoff["status"] == "waiting"
    notice = handoff["packet"]["customer_notice"]
    # The packet records the responses sent, and the voice wording is what the caller heard.
    assert [m["response"] for m in notice["messages"]] == [
        "utter_handoff_human_requested",
        "utter_handoff_queued",
    ]
    assert said == " ".join(notice["text"].splitlines())
    assert f"You're number {words.number(handoff['position'])} in the queue" in said
    assert "The wait is about" in said and "stay on the line" in said
    assert_voice_shaped(Spoken(said, "", {}))


def test_outside_hours_a_caller_is_offered_a_call_back_and_the_call_goes_on(
    channel_stack: Stack, team_away: None
) -> None:
    call = Call(channel_stack)
    root = ask_for_a_person(call)
    # No <Dial> with nobody there: what happens next, then a question inside a Gather.
    offer = spoken(ElementTree.tostring(root, encoding="unicode"))
    handoff = handed_over(channel_stack, call)
    assert handoff["status"] == "ticket"
    notice = handoff["packet"]["customer_notice"]
    assert offer.text == " ".join(notice["text"].splitlines())
    assert "won't need to repeat anything" in offer.text
    assert "Our team is available" in offer.text and "from eight a m to eight p m" in offer.text
    assert "Would you like a call back when we open, on " in offer.text
    assert "another day and time" in offer.text and "say message" in offer.text
    assert not re.search(r"\d\d", offer.text)  # times in words
    assert_voice_shaped(offer)
    assert notice["human_available_at"] == handoff["human_available_at"] is not None
    assert channel_stack.tracker(call.conversation)["paused"] is True


def answer_the_offer(stack: Stack, *answers: str) -> tuple["Call", dict[str, Any], Any]:
    """A caller handed over outside hours answers the offer ('' for silence): the
    TwiML of the last answer, the hand-over as the desk has it and the call's outcomes."""
    call = Call(stack)
    root = ask_for_a_person(call)
    call.action = root.find("Gather").attrib["action"]  # type: ignore[union-attr]
    for answer in answers[:-1]:
        asked = call.say(answer) if answer else call.silence()
        assert "did not catch that" in asked.text and "eight a m" in asked.text
    last = answers[-1]
    extra = {"SpeechResult": last, "Confidence": "0.9"} if last else {}
    form = {"From": call.caller, "CallSid": call.sid, "CallStatus": "in-progress", **extra}
    reply = call.webhook.post(form, query=call.action.partition("?")[2])
    assert reply.status_code == 200, reply.text
    tracker = stack.tracker(call.conversation)
    assert tracker["paused"] is True
    said = [e["text"] for e in tracker["events"] if e["event"] == "user"]
    assert [a for a in answers if a] == said[-len([a for a in answers if a]) :]  # the transcript
    [chosen] = [o for o in tracker["slots"]["outcomes"] if o["action"] == "action_callback_choice"]
    return call, {"root": ElementTree.fromstring(reply.text), **handed_over(stack, call)}, chosen


def ended_saying(root: ElementTree.Element) -> str:
    assert [child.tag for child in root] == ["Say", "Hangup"]
    said = root.find("Say").text or ""  # type: ignore[union-attr]
    assert said.endswith("Thank you for calling Brightwave. Goodbye."), said
    assert_voice_shaped(Spoken(said, "", {}))
    return said


def test_a_call_back_when_the_team_opens_is_confirmed_and_reaches_the_desk(
    channel_stack: Stack, team_away: None
) -> None:
    _, handoff, chosen = answer_the_offer(channel_stack, "yes please, when you open")
    said = ended_saying(handoff["root"])
    opens = datetime.fromisoformat(handoff["human_available_at"]).astimezone(BERLIN)
    assert f"We will call you back on this number on {words.moment(opens)}." in said
    assert f"Your reference is {words.spell(handoff['reference'])}." in said
    callback = handoff["packet"]["callback"]
    assert callback["by"] == "call"
    assert datetime.fromisoformat(callback["at"]) == opens
    assert handoff["plain"]["callback"].startswith("Call back on this number: ")
    assert chosen["result"] == "done" and chosen["record"] == handoff["id"]
    assert chosen["detail"] == {"callback_at": callback["at"], "by": "call"}


def test_a_call_back_at_a_time_the_caller_says_is_confirmed(
    channel_stack: Stack, team_away: None
) -> None:
    opening_day = datetime.now(BERLIN) + timedelta(days=2)  # closed_hours(): open that day only
    _, handoff, chosen = answer_the_offer(channel_stack, f"{opening_day:%A} at half past two")
    said = ended_saying(handoff["root"])
    wanted = datetime.combine(opening_day.date(), time(14, 30), BERLIN)
    assert f"We will call you back on this number on {words.moment(wanted)}." in said
    assert datetime.fromisoformat(handoff["packet"]["callback"]["at"]) == wanted
    assert chosen["detail"]["by"] == "call"


def test_a_text_message_with_the_reference_is_sent_and_confirmed(
    channel_stack: Stack, twilio_api: TwilioApi, team_away: None
) -> None:
    call, handoff, chosen = answer_the_offer(channel_stack, "just send me a text message")
    said = ended_saying(handoff["root"])
    assert "We will send your reference to this number by text message." in said
    [body] = twilio_api.take(f"whatsapp:{call.caller}")
    assert f"your reference is {handoff['reference']}" in body
    assert handoff["packet"]["callback"] == {"at": None, "by": "message"}
    assert "text message" in handoff["plain"]["callback"]
    assert chosen["detail"] == {"callback_at": None, "by": "message"}


def test_an_answer_not_understood_twice_gets_the_default_and_the_call_ends(
    channel_stack: Stack, team_away: None
) -> None:
    _, handoff, chosen = answer_the_offer(channel_stack, "purple elephants", "")
    said = ended_saying(handoff["root"])
    assert "We will call you back on this number on " in said
    opens = datetime.fromisoformat(handoff["human_available_at"]).astimezone(BERLIN)
    assert datetime.fromisoformat(handoff["packet"]["callback"]["at"]) == opens
    assert chosen["detail"]["by"] == "call"


def test_options_are_spoken_and_a_key_picks_one(channel_stack: Stack) -> None:
    call = Call(channel_stack)
    call.ring()
    offered = call.say("order, claim, invoice, whatever")  # not understood: options offered
    assert_voice_shaped(offered)
    assert "Say or press 1 for" in offered.text
    picked = call.key("1")
    assert "not sure" not in picked.text
    said = [
        e["text"]
        for e in channel_stack.tracker(call.conversation)["events"]
        if e["event"] == "user"
    ]
    assert said[-1].startswith("/")  # the option's payload, not the digit


@pytest.fixture
def webhook(channel_stack: Stack) -> TwilioWebhook:
    return TwilioWebhook(channel_stack.config.rasa_url, PATH)


CALL = {"From": "+447700900002", "CallSid": "CA" + "2" * 32, "CallStatus": "ringing"}


@pytest.mark.parametrize(
    "params, query, signature, status, reason",
    [
        (CALL, "", "", 403, "not signed"),
        (CALL, "", "d3Jvbmc=", 403, "does not match"),
        ({"From": "+447700900002", "CallStatus": "ringing"}, "", None, 400, "'CallSid' is missing"),
        ({"CallSid": "CA1", "CallStatus": "ringing"}, "", None, 400, "'From' is missing"),
        (CALL, "silence=7", None, 400, "'silence'"),
    ],
)
def test_bad_calls_are_refused_with_a_reason(
    webhook: TwilioWebhook,
    params: dict[str, str],
    query: str,
    signature: str | None,
    status: int,
    reason: str,
) -> None:
    reply = webhook.post(params, query=query, signature=signature)
    assert reply.status_code == status and reason in reply.json()["error"]


def test_empty_oversized_and_non_form_bodies_are_refused(channel_stack: Stack) -> None:
    url = f"{channel_stack.config.rasa_url}{PATH}"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    replies: list[requests.Response] = [
        requests.post(url, data=b"", headers=form, timeout=10),
        requests.post(url, data=b"SpeechResult=" + b"x" * 40000, headers=form, timeout=10),
        requests.post(url, json=CALL, timeout=10),
    ]
    assert [r.status_code for r in replies] == [400, 413, 415]
    assert all(r.json()["error"] for r in replies)


def test_after_the_hand_over_the_caller_never_hears_not_heard_again(
    channel_stack: Stack, team_in: None
) -> None:
    """Once the team has the call, what the caller says is acknowledged (the domain's
    voice wording) and silence ends the call politely: no 'I didn't hear anything'."""
    call = Call(channel_stack)
    call.ring()
    query = call.action.partition("?")[2]
    form = {"From": call.caller, "CallSid": call.sid, "CallStatus": "in-progress"}
    call.webhook.post({**form, "SpeechResult": "I want to speak to a person"}, query=query)
    again = ElementTree.fromstring(
        call.webhook.post(
            {**form, "SpeechResult": "hello? are you there?"}, query=query + "&again"
        ).text
    )
    said = " ".join(say.text or "" for say in again.iter("Say"))
    assert "passed that on to our team" in said and "didn't hear" not in said
    silent = ElementTree.fromstring(call.webhook.post(form, query=query + "&silent").text)
    assert [child.tag for child in silent] == ["Say", "Hangup"]
    goodbye = silent.find("Say").text or ""  # type: ignore[union-attr]
    assert "Goodbye" in goodbye and "didn't hear" not in goodbye
    assert channel_stack.tracker(call.conversation)["paused"] is True


def test_a_date_of_birth_said_in_words_confirms_the_caller(channel_stack: Stack) -> None:
    order = first_with("orders", status="shipped")
    owner = customer(order["customer_id"])
    call = Call(channel_stack)
    call.ring()
    asked = call.say(f"where is my order {' '.join(order['id'].replace('-', ' ').lower())}")
    assert "postcode" in asked.text
    born = date.fromisoformat(owner["date_of_birth"])
    # As Twilio's recogniser writes it: "fifth of December two thousand".
    answer = call.say(
        f"{num2words(born.day, to='ordinal')} of {born:%B} {num2words(born.year, to='year')}"
    )
    assert " ".join(order["id"].replace("-", "")) in answer.text, answer.text


def test_open_orders_are_offered_one_at_a_time(channel_stack: Stack) -> None:
    """'You have two open orders. Here's the first. … Shall I tell you about the
    next order?': yes (or 'what about my other order?') tells the second, once."""
    owner = customer("C-1007")
    first, second = [
        o
        for o in of_customer("orders", owner["id"])
        if o["status"] not in ("delivered", "cancelled", "returned")
    ]
    for follow_up in ("yes please", "what about my other order?"):
        call = Call(channel_stack, owner["phone"])
        call.ring()
        call.say("where is my order")
        listed = call.key(owner["postcode"])
        assert "You have two open orders. Here's the first." in listed.text
        told = [o for o in (first, second) if " ".join(o["id"].replace("-", "")) in listed.text]
        assert len(told) == 1, listed.text  # one at a time
        assert listed.text.endswith("Shall I tell you about the next order?")
        other = second if told == [first] else first
        nxt = call.say(follow_up)
        assert " ".join(other["id"].replace("-", "")) in nxt.text, nxt.text
        assert "Shall I tell you" not in nxt.text  # that was the last
        assert_voice_shaped(listed)
        assert_voice_shaped(nxt)
