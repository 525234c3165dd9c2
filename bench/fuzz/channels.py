"""The channels' entry points on Rasa: how a legitimate request of each looks (built
here once per channel) and what a hostile one may look like, as hypothesis
strategies, plus every reproduction of issue #20's table."""

import uuid
from collections.abc import Callable
from functools import cache

from hypothesis import strategies as st

from bench.fuzz.cases import Case, Pairs, Request, SocketCase, form, query
from bench.fuzz.credentials import Credentials
from bench.fuzz.values import (
    EMOJI,
    ENCODINGS,
    HUGE_DIGITS,
    LONE_SURROGATE,
    UNICODE_DIGITS,
    any_text,
    content_types,
    dumps,
    encode,
    extra_headers,
    hostile_text,
    json_values,
    nested,
    number_text,
    raw_json_text,
)
from tests.channels.twilio_fake import WHATSAPP_NUMBER

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
REST_WEBHOOK = "/webhooks/rest/webhook"
REST_POLL = "/webhooks/rest/messages"
WHATSAPP = "/webhooks/twilio/webhook"
VOICE = "/webhooks/twilio_voice/webhook"
# The plan an outreach call's URL carries (connectors/voice_outreach.py).
OUTREACH_PLAN = (
    ("outreach_plan", "7"),
    ("outreach_rule", "payment_failed"),
    ("outreach_response", "utter_outreach_payment_failed"),
    ("outreach_record", "INV-900055"),
    ("outreach_customer", "C-1021"),
)
EMAIL = "/webhooks/email/webhook"
# Senders of REST conversations: a few, so the fuzz also reaches later turns.
SENDERS = tuple(f"fuzz-{i}" for i in range(12))
# Calls: a few, so the fuzz also reaches later turns of a call.
CALLS = tuple(f"{i:032x}" for i in range(12))
# Numbers the sample backend knows (a customer is looked up) and some it does not.
PHONES = ("+447700998515", "+447700900001", "+15005550006", "+440000000000")


@cache
def mostly(probability_in_tenths: int = 8) -> st.SearchStrategy[bool]:
    return st.integers(0, 9).map(lambda n: n < probability_in_tenths)


def _headers(
    draw: Callable, content_type: str, credential: dict[str, str], with_credential: bool
) -> dict[str, str]:
    headers = {name: value.strip() for name, value in draw(extra_headers()).items()}
    chosen = draw(content_types(content_type))
    if chosen:
        headers["Content-Type"] = chosen
    if with_credential:
        headers.update(credential)
    return headers


# --- REST ---------------------------------------------------------------------------


def rest_message(
    creds: Credentials, sender: str, payload_text: str, note: str = "", encoding: str = "utf-8"
) -> Request:
    return Request(
        "POST",
        REST_WEBHOOK,
        {"Content-Type": JSON, **creds.rest(sender)},
        encode(payload_text, encoding),
        note,
    )


def rest_cases(creds: Credentials) -> st.SearchStrategy[Case]:
    @st.composite
    def case(draw: Callable) -> Request:
        sender = draw(
            st.one_of(st.sampled_from(SENDERS), st.sampled_from(SENDERS), hostile_text(2))
        )
        if draw(mostly(7)):
            payload: dict[str, object] = {"sender": sender, "message": draw(any_text())}
            if draw(mostly(2)):
                payload["metadata"] = draw(json_values())
            for key in ("sender", "message"):
                if draw(mostly(1)):
                    payload[key] = draw(json_values())
            text = dumps(payload)
        else:
            text = draw(raw_json_text())
        headers = _headers(draw, JSON, creds.rest(str(sender)), draw(mostly(9)))
        body = encode(text, draw(st.sampled_from(ENCODINGS)))
        return Request("POST", REST_WEBHOOK, headers, body)

    return case()


def rest_reproductions(creds: Credentials) -> list[Case]:
    def message(text: str, note: str, sender: str = "fuzz-repro") -> Request:
        return rest_message(creds, sender, dumps({"sender": sender, "message": text}), note)

    return [
        rest_message(creds, "fuzz-repro", nested(1000), "JSON nested 1,000 levels"),
        rest_message(
            creds,
            "fuzz-repro",
            f'{{"sender": "fuzz-repro", "message": "hi", "metadata": {nested(1000)}}}',
            "metadata nested 1,000 levels",
        ),
        rest_message(creds, "fuzz-repro", HUGE_DIGITS, "an integer of 4,400 digits"),
        rest_message(
            creds,
            "fuzz-repro",
            f'{{"sender": "fuzz-repro", "message": {HUGE_DIGITS}}}',
            "a 4,400-digit integer as the message",
        ),
        message(
            "I want to talk to a human " + LONE_SURROGATE,
            "lone surrogate, then hand-over",
            "fuzz-poison",
        ),
        message(LONE_SURROGATE * 5, "a message of lone surrogates"),
        message("hello", "a newline in the sender", "fuzz\nrepro"),
        message(EMOJI * 10_000, "10,000 emoji"),
        message(EMOJI * 5_000, "5,000 emoji (the largest REST message)"),
        message("hello " * 833, "5,000 characters of words"),
        message("²", "a Unicode digit"),
        rest_message(
            creds,
            "fuzz-repro",
            dumps({"sender": "fuzz-repro", "message": "hi\ud800"}),
            "raw lone surrogate bytes",
            "raw-surrogates",
        ),
    ]


def rest_poll_cases(creds: Credentials) -> st.SearchStrategy[Case]:
    @st.composite
    def case(draw: Callable) -> Request:
        sender = draw(st.one_of(st.sampled_from(SENDERS), hostile_text(2)))
        pairs: list[tuple[str, str]] = []
        if draw(mostly(9)):
            pairs.append(("sender", sender))
        if draw(mostly(6)):
            pairs.append(("since", draw(st.one_of(number_text(), st.floats().map(str)))))
        if draw(mostly(1)):
            pairs.append((draw(hostile_text(1)), draw(hostile_text(2))))
        raw = draw(mostly(1))
        target = f"{REST_POLL}?" + (
            "&".join(f"{k}={v}" for k, v in pairs) if raw else query(tuple(pairs))
        )
        headers = _headers(draw, JSON, creds.rest(sender), draw(mostly(9)))
        headers.pop("Content-Type", None)
        return Request("GET", target, headers)

    return case()


def rest_poll_reproductions(creds: Credentials) -> list[Case]:
    def poll(pairs: Pairs, note: str, sender: str = "fuzz-poison") -> Request:
        return Request("GET", f"{REST_POLL}?{query(pairs)}", creds.rest(sender), note=note)

    return [
        poll((("sender", "fuzz-poison"),), "the poisoned conversation"),
        poll((("sender", "fuzz\nx"),), "a newline in the sender", "fuzz\nx"),
        poll((("sender", "fuzz-0"), ("since", HUGE_DIGITS)), "a 4,400-digit since"),
        poll((("sender", "fuzz-0"), ("since", "1e309")), "since beyond a float"),
        poll((("sender", "fuzz-0"), ("since", "²")), "since a Unicode digit"),
        poll((("sender", "fuzz-0"), ("since", "nan")), "since NaN"),
    ]


# --- Twilio: WhatsApp and voice ------------------------------------------------------


def twilio_request(
    creds: Credentials,
    path: str,
    pairs: Pairs,
    signed: bool,
    query_string: str = "",
    note: str = "",
) -> Request:
    """Twilio's form post; signed as Twilio signs it when `signed`."""
    target = f"{path}{'?' + query_string if query_string else ''}"
    signer = creds.whatsapp_signer if path == WHATSAPP else creds.voice_signer
    headers = {"Content-Type": FORM}
    if signed:
        headers["X-Twilio-Signature"] = creds.twilio_signature(signer, target, dict(pairs))
    return Request("POST", target, headers, form(pairs), note)


def whatsapp_pairs(body: str, number: str = PHONES[0], sid: str = "") -> Pairs:
    return (
        ("From", f"whatsapp:{number}"),
        ("To", WHATSAPP_NUMBER),
        ("Body", body),
        ("MessageSid", f"SM{sid or uuid.uuid4().hex}"),
        ("NumMedia", "0"),
    )


def whatsapp_cases(creds: Credentials, signed: bool) -> st.SearchStrategy[Case]:
    @st.composite
    def case(draw: Callable) -> Request:
        number = draw(st.one_of(st.sampled_from(PHONES), hostile_text(2)))
        body = draw(st.one_of(any_text(), st.sampled_from(UNICODE_DIGITS), number_text()))
        pairs = list(whatsapp_pairs(body, number, draw(st.uuids()).hex))
        for _ in range(draw(st.integers(0, 2))):  # a field dropped or one added
            if draw(st.booleans()) and pairs:
                pairs.pop(draw(st.integers(0, len(pairs) - 1)))
            else:
                pairs.append((draw(hostile_text(1)), draw(hostile_text(2))))
        request = twilio_request(creds, WHATSAPP, tuple(pairs), signed)
        if not signed and draw(mostly(5)):  # a forged signature rather than none
            request.headers["X-Twilio-Signature"] = draw(
                st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=40)
            )
        if draw(mostly(1)):
            request.headers["Content-Type"] = draw(content_types(FORM))
        return request

    return case()


def whatsapp_reproductions(creds: Credentials, signed: bool) -> list[Case]:
    notes = [(d, f"signed Body {d}") for d in ("²", "³", "①")] + [
        (HUGE_DIGITS, "a 4,400-digit Body"),
        (EMOJI * 4096, "4,096 emoji"),
        (EMOJI * 10_000, "10,000 emoji"),
        ("hi" + LONE_SURROGATE, "a lone surrogate"),
        ("hi\r\nthere", "CR/LF"),
    ]
    return [
        twilio_request(creds, WHATSAPP, whatsapp_pairs(body), signed, note=note)
        for body, note in notes
    ]


def voice_pairs(
    heard: tuple[str, str] = ("", ""),
    status: str = "in-progress",
    number: str = PHONES[0],
    sid: str = "",
) -> Pairs:
    pairs = [
        ("From", number),
        ("To", "+14155238887"),
        ("CallSid", f"CA{sid or uuid.uuid4().hex}"),
        ("CallStatus", status),
    ]
    return tuple(pairs + ([heard] if heard[0] else []))


def voice_cases(creds: Credentials) -> st.SearchStrategy[Case]:
    @st.composite
    def case(draw: Callable) -> Request:
        heard = (
            draw(st.sampled_from(["SpeechResult", "Digits", ""])),
            draw(st.one_of(any_text(), number_text(), st.sampled_from(UNICODE_DIGITS))),
        )
        status = draw(
            st.sampled_from(["ringing", "in-progress", "in-progress", "completed", ""])
            | hostile_text(1)
        )
        number = draw(st.one_of(st.sampled_from(PHONES), hostile_text(2)))
        pairs = list(voice_pairs(heard, status, number, draw(st.sampled_from(CALLS))))
        if draw(mostly(1)):
            pairs.pop(draw(st.integers(0, len(pairs) - 1)))
        silence = draw(st.one_of(st.none(), number_text()))
        params = [("silence", silence)] if silence is not None else []
        if draw(mostly(2)):  # an outreach call answered: its plan as outreach gives it, or bent
            params += [(k, draw(st.one_of(st.just(v), hostile_text(1)))) for k, v in OUTREACH_PLAN]
            pairs.append(("Direction", "outbound-api"))
        query_string = query(tuple(params)) if params else ""
        request = twilio_request(creds, VOICE, tuple(pairs), draw(mostly(9)), query_string)
        if draw(mostly(1)):
            request.headers["Content-Type"] = draw(content_types(FORM))
        return request

    return case()


def voice_reproductions(creds: Credentials) -> list[Case]:
    cases: list[Case] = []
    for value in (*UNICODE_DIGITS[:3], HUGE_DIGITS):
        label = value if len(value) < 5 else "4,400 digits"
        cases += [
            twilio_request(creds, VOICE, voice_pairs((field, value)), True, note=f"{field} {label}")
            for field in ("SpeechResult", "Digits")
        ]
        cases.append(
            twilio_request(
                creds, VOICE, voice_pairs(), True, query((("silence", value),)), f"?silence={label}"
            )
        )
    cases.append(
        twilio_request(
            creds,
            VOICE,
            voice_pairs(("SpeechResult", EMOJI * 10_000)),
            True,
            note="10,000 emoji spoken",
        )
    )
    return cases


# --- e-mail ---------------------------------------------------------------------------


def email_payload(
    text: str,
    subject: str = "My order",
    message_id: str = "",
    sender: str = "Noah O'Brien <noah.obrien0@example.com>",
) -> dict[str, object]:
    return {
        "from": sender,
        "subject": subject,
        "text": text,
        "message_id": message_id or f"<{uuid.uuid4().hex}@fuzz.example>",
    }


def email_request(
    creds: Credentials, payload_text: str, note: str = "", encoding: str = "utf-8"
) -> Request:
    return Request(
        "POST", EMAIL, {"Content-Type": JSON, **creds.email}, encode(payload_text, encoding), note
    )


def email_cases(creds: Credentials) -> st.SearchStrategy[Case]:
    @st.composite
    def case(draw: Callable) -> Request:
        if draw(mostly(7)):
            message_id = draw(
                st.one_of(st.uuids().map(lambda u: f"<{u.hex}@fuzz.example>"), hostile_text(2))
            )
            payload = email_payload(
                draw(any_text()) + draw(st.sampled_from(["?", "", "."])),
                draw(hostile_text(3)),
                message_id,
            )
            if draw(mostly(2)):
                payload["from"] = draw(hostile_text(3))
            if draw(mostly(2)):
                payload["references"] = draw(st.one_of(hostile_text(2), json_values()))
            if draw(mostly(1)):
                payload[draw(st.sampled_from(list(payload)))] = draw(json_values())
            text = dumps(payload)
        else:
            text = draw(raw_json_text())
        headers = _headers(draw, JSON, creds.email, draw(mostly(9)))
        return Request("POST", EMAIL, headers, encode(text, draw(st.sampled_from(ENCODINGS))))

    return case()


def email_reproductions(creds: Credentials) -> list[Case]:
    repeated = f"<{uuid.uuid4().hex}@fuzz.example>"
    mails = [
        (
            email_payload("Where is my order BW-100002?", "Hi\r\nBcc: x@example.com"),
            "CR/LF in the subject",
        ),
        (email_payload("Where is my order?", "line\nbreak"), "LF in the subject"),
        (email_payload("hello " + LONE_SURROGATE + "?"), "a lone surrogate"),
        (email_payload(EMOJI * 10_000), "10,000 emoji"),
        (email_payload("word " * 4000), "20,000 characters"),
        (email_payload("Which option? ²"), "a Unicode digit"),
        (email_payload("Where is my order?", message_id=repeated), "a Message-ID"),
        (email_payload("Where is my order?", message_id=repeated), "the same Message-ID"),
    ]
    return [
        email_request(creds, nested(1000), "JSON nested 1,000 levels"),
        email_request(
            creds, f'{{"from": "a@b.example", "text": {HUGE_DIGITS}}}', "a 4,400-digit text"
        ),
        *(email_request(creds, dumps(p), note) for p, note in mails),
    ]


# --- web chat --------------------------------------------------------------------------

PAGES = (
    "/webhooks/socketio/chat",
    "/webhooks/socketio/chat.js",
    "/webhooks/socketio/webchat.js",
    "/webhooks/socketio/",
    "/socket.io/",
)


def webchat_cases() -> st.SearchStrategy[Case]:
    session_ids = st.one_of(
        st.none(),
        st.just("new"),
        st.text("0123456789abcdef", min_size=32, max_size=32),
        json_values(),
    )
    sockets = st.builds(
        SocketCase,
        session_ids,
        st.one_of(any_text(), json_values()),
        st.one_of(
            st.none(),
            st.none(),
            st.none(),
            raw_json_text().map(lambda text: f"42{text}"),
            hostile_text(3),
        ),
    )

    @st.composite
    def page(draw: Callable) -> Request:
        path = draw(st.sampled_from(PAGES)) + draw(
            st.one_of(
                st.just(""),
                hostile_text(1).map(lambda s: query((("x", s),))).map(lambda q: "?" + q),
            )
        )
        if path.startswith("/socket.io/") and draw(st.booleans()):
            path = "/socket.io/?" + query(
                (
                    ("EIO", draw(number_text())),
                    ("transport", draw(st.sampled_from(["polling", "websocket", "x"]))),
                    ("sid", draw(hostile_text(1))),
                )
            )
        headers = {k: v.strip() for k, v in draw(extra_headers()).items()}
        return Request(
            draw(st.sampled_from(["GET", "GET", "GET", "POST", "HEAD", "OPTIONS"])), path, headers
        )

    return st.one_of(sockets, sockets, page())


def webchat_reproductions() -> list[Case]:
    return [
        SocketCase(
            "new",
            "I want to talk to a human " + LONE_SURROGATE,
            note="lone surrogate, then hand-over",
        ),
        SocketCase("new", EMOJI * 5000, note="5,000 emoji"),
        SocketCase("new", EMOJI * 10_000, note="10,000 emoji"),
        SocketCase("new", "²", note="a Unicode digit"),
        SocketCase("new", "x", raw_packet="42" + nested(1000), note="packet nested 1,000"),
        SocketCase(
            "new",
            "x",
            raw_packet=f'42["user_uttered", {{"message": {HUGE_DIGITS}}}]',
            note="a 4,400-digit message",
        ),
    ]
