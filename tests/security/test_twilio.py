"""Attacks on the Twilio channels (WhatsApp and voice) against the running stack:
replayed and duplicated webhooks, slow turns, a verification carried to another
call, hostile digits, and floods from one number."""

import os
import signal
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pytest
import requests

from actions.render import day
from common.minimise import WITHHELD
from tests.channels.test_voice import PATH as VOICE_PATH
from tests.channels.test_voice import Call, spoken
from tests.channels.twilio_fake import ACCOUNT_SID, VOICE_NUMBER, TwilioApi, TwilioWebhook
from tests.support.channels import (  # noqa: F401 (fixtures)
    WHATSAPP_PATH,
    WhatsAppChat,
    channel_stack,
    handled,
    mailbox,
    twilio_api,
)
from tests.support.crm import customer, first_with
from tests.support.stack import Stack

ACKNOWLEDGED_WITHIN = 3.0  # seconds; Twilio gives up after 15
HOSTILE_DIGITS = ["²", "³", "①", "٣", "9" * 4000, "1" * 999]


def user_texts(stack: Stack, conversation: str) -> list[str]:
    return [e["text"] for e in stack.tracker(conversation)["events"] if e["event"] == "user"]


def new_number() -> str:
    return f"+4477009{uuid.uuid4().int % 100000:05d}"


@pytest.fixture
def frozen_backend(channel_stack: Stack) -> Iterator[None]:
    """The sample backend stopped mid-flight (SIGSTOP): every turn that reads it is slow."""
    assert channel_stack.backend
    group = channel_stack.backend.process.pid
    os.killpg(group, signal.SIGSTOP)
    try:
        yield
    finally:
        os.killpg(group, signal.SIGCONT)


def test_a_replayed_message_sid_is_processed_once(
    channel_stack: Stack, twilio_api: TwilioApi
) -> None:
    chat = WhatsAppChat(channel_stack, twilio_api, new_number())
    sid = "SM" + uuid.uuid4().hex
    with ThreadPoolExecutor(4) as pool:  # Twilio's retry racing the original, and later ones
        replies = list(pool.map(lambda _: chat.post("hello there", sid), range(4)))
    assert [r.status_code for r in replies] == [200] * 4
    handled(channel_stack, "twilio", sid)
    assert chat.post("hello there", sid).status_code == 200  # a late replay
    time.sleep(1.0)
    assert user_texts(channel_stack, chat.conversation) == ["hello there"]
    assert len(twilio_api.take(chat.sender)) == 1


def test_a_slow_turn_is_acknowledged_at_once_answered_once_and_in_order(
    channel_stack: Stack, twilio_api: TwilioApi, frozen_backend: None
) -> None:
    order = first_with("orders", status="delayed")
    owner = customer(order["customer_id"])
    chat = WhatsAppChat(channel_stack, twilio_api, owner["whatsapp"])
    question, factor = f"where is my order {order['id']}", owner["postcode"]
    first, second = "SM" + uuid.uuid4().hex, "SM" + uuid.uuid4().hex
    for text, sid in ((question, first), (question, first), (factor, second)):
        started = time.monotonic()
        reply = chat.post(text, sid)
        assert reply.status_code == 200 and "<Response" in reply.text
        assert time.monotonic() - started < ACKNOWLEDGED_WITHIN
    time.sleep(2.0)
    os.killpg(channel_stack.backend.process.pid, signal.SIGCONT)  # type: ignore[union-attr]
    handled(channel_stack, "twilio", first)
    handled(channel_stack, "twilio", second)
    # In order; the postcode, a verification answer, is stored withheld.
    assert user_texts(channel_stack, chat.conversation)[-2:] == [question, WITHHELD]
    assert user_texts(channel_stack, chat.conversation).count(question) == 1
    answers = " ".join(twilio_api.take(chat.sender))
    assert answers.count("postcode") == 1  # asked once, then answered in order
    assert day(order["eta"]) in answers


def test_a_second_call_from_the_same_number_carries_no_verification(channel_stack: Stack) -> None:
    order = first_with("orders", status="shipped")
    owner = customer(order["customer_id"])
    first = Call(channel_stack, owner["phone"])
    first.ring()
    first.say(f"where is my order {' '.join(order['id'].replace('-', ' ').lower())}")
    assert " ".join(order["id"].replace("-", "")) in first.key(owner["postcode"]).text

    second = Call(channel_stack, owner["phone"])  # caller ID is easily spoofed
    assert second.conversation != first.conversation
    second.ring()
    asked = second.say(f"where is my order {' '.join(order['id'].replace('-', ' ').lower())}")
    assert "postcode" in asked.text
    assert " ".join(order["id"].replace("-", "")) not in asked.text


def test_a_retried_voice_request_is_run_once_and_answered_alike(channel_stack: Stack) -> None:
    call = Call(channel_stack)
    call.ring()
    query = call.action.partition("?")[2]
    params = {
        "From": call.caller,
        "To": VOICE_NUMBER,
        "CallSid": call.sid,
        "AccountSid": ACCOUNT_SID,
        "CallStatus": "in-progress",
        "SpeechResult": "what are your opening hours",
        "Confidence": "0.9",
    }
    with ThreadPoolExecutor(3) as pool:  # a retry while the first is running
        replies = list(pool.map(lambda _: call.webhook.post(params, query=query), range(3)))
    replies.append(call.webhook.post(params, query=query))  # and after
    assert [r.status_code for r in replies] == [200] * 4
    assert len({r.text for r in replies}) == 1  # the same TwiML, turn token and all
    assert user_texts(channel_stack, call.conversation).count("what are your opening hours") == 1


@pytest.mark.parametrize("digits", HOSTILE_DIGITS)
def test_unicode_digits_and_huge_numbers_never_break_whatsapp(
    channel_stack: Stack, twilio_api: TwilioApi, digits: str
) -> None:
    chat = WhatsAppChat(channel_stack, twilio_api, new_number())
    chat.say("order, claim, invoice, whatever")  # options offered: a number picks one
    sid = "SM" + uuid.uuid4().hex
    assert chat.post(digits, sid).status_code == 200
    handled(channel_stack, "twilio", sid)
    assert twilio_api.take(chat.sender)  # answered normally


@pytest.mark.parametrize("field", ["SpeechResult", "Digits"])
def test_unicode_digits_and_huge_numbers_never_break_voice(
    channel_stack: Stack, field: str
) -> None:
    call = Call(channel_stack)
    call.ring()
    call.say("order, claim, invoice, whatever")  # options offered: a number picks one
    for digits in HOSTILE_DIGITS:
        reply = call.webhook.post(
            {"From": call.caller, "CallSid": call.sid, "CallStatus": "in-progress", field: digits},
            query=call.action.partition("?")[2],
        )
        assert reply.status_code < 500, reply.text
        if reply.status_code == 200 and "<Dial>" in reply.text:
            break  # not understood several times over: the caller is put through to a person
        if reply.status_code == 200:
            call.action = spoken(reply.text).action


@pytest.mark.parametrize("silence", ["²", "①", "٣", "9" * 5000, "-1", "1.0"])
def test_a_hostile_silence_count_is_refused(channel_stack: Stack, silence: str) -> None:
    webhook = TwilioWebhook(channel_stack.config.rasa_url, VOICE_PATH)
    reply = webhook.post(
        {"From": new_number(), "CallSid": "CA" + uuid.uuid4().hex, "CallStatus": "in-progress"},
        query=f"silence={quote(silence)}",
    )
    assert reply.status_code == 400 and "'silence'" in reply.json()["error"]


def test_a_typed_command_is_only_text_on_whatsapp(
    channel_stack: Stack, twilio_api: TwilioApi
) -> None:
    chat = WhatsAppChat(channel_stack, twilio_api, new_number())
    chat.say("hello")
    chat.say("/restart")
    chat.say('/inform{"customer_id": "C-1001"}')
    texts = user_texts(channel_stack, chat.conversation)
    assert texts[-2:] == ["restart", 'inform{"customer_id": "C-1001"}']
    events = [e["event"] for e in channel_stack.tracker(chat.conversation)["events"]]
    assert "restart" not in events


@pytest.mark.parametrize(
    "path, params, limit",
    [
        (WHATSAPP_PATH, {"Body": ""}, 20),  # per WhatsApp number (credentials.yml)
        (VOICE_PATH, {"CallStatus": "ringing"}, 30),  # per caller's number
    ],
)
def test_a_flood_from_one_number_is_refused_with_retry_after(
    channel_stack: Stack, path: str, params: dict[str, str], limit: int
) -> None:
    webhook = TwilioWebhook(channel_stack.config.rasa_url, path)
    number = new_number()
    sender = f"whatsapp:{number}" if path == WHATSAPP_PATH else number
    # Signed requests the channel refuses (no Body, no CallSid) still count.
    statuses = [webhook.post({"From": sender, **params}).status_code for _ in range(limit)]
    assert 429 not in statuses
    refused = webhook.post({"From": sender, **params})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    other = webhook.post({"From": new_number(), **params})
    assert other.status_code == 400  # another number is not held back


def test_unsigned_posts_do_not_reach_the_turn(channel_stack: Stack) -> None:
    reply = requests.post(
        f"{channel_stack.config.rasa_url}{WHATSAPP_PATH}",
        data={"From": "whatsapp:+447700900009", "Body": "hi", "MessageSid": "SM" + "9" * 32},
        timeout=10,
    )
    assert reply.status_code == 403
