"""Buttons as numbered options for channels without buttons (written or spoken),
and a numbered reply ("2", "two", key 2) turned back into the chosen button's payload."""

from typing import Any

from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from connectors.inbound import customer_text
from connectors.wording import say

Buttons = list[dict[str, Any]]
VOICE = "twilio_voice"
NUMBER_WORDS = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}


def numbered(text: str, buttons: Buttons, channel: str = "email") -> str:
    """'Which one?' + buttons → 'Which one?\\n1. An order\\n2. A claim\\nReply with a number.'"""
    lines = [text] + [f"{i}. {b.get('title', '')}" for i, b in enumerate(buttons, start=1)]
    return "\n".join([*lines, say("utter_options_reply_number", channel)])


def spoken(text: str, buttons: Buttons) -> str:
    """'Did you mean one of these?' + buttons → '… Say or press 1 for an order, or 2 for a claim.'"""
    choices = [
        say(
            "utter_spoken_option_last" if i == len(buttons) > 1 else "utter_spoken_option",
            VOICE,
            number=i,
            title=str(b.get("title", "")).rstrip("?.!").lower(),
        )
        for i, b in enumerate(buttons, start=1)
    ]
    return f"{text} {say('utter_options_say_or_press', VOICE, choices=', '.join(choices))}"


def offered_buttons(tracker: DialogueStateTracker | None) -> Buttons:
    """The buttons of the assistant's last turn (none once the customer has answered)."""
    for event in reversed(tracker.events if tracker else []):
        if isinstance(event, UserUttered):
            return []
        if isinstance(event, BotUttered) and event.data.get("buttons"):
            return list(event.data["buttons"])
    return []


def chosen_payload(reply: str, buttons: Buttons) -> str | None:
    """The payload of the button whose number the reply is, if it is one."""
    choice = reply.strip().rstrip(".").lower()
    choice = NUMBER_WORDS.get(choice, choice)
    # isdecimal, not isdigit: "²" or "①" are digits that int() refuses; and a
    # length bound before int(), which refuses numbers of over 4,300 digits.
    if not choice.isdecimal() or len(choice) > 2 or not 1 <= int(choice) <= len(buttons):
        return None
    payload = buttons[int(choice) - 1].get("payload")
    return payload if isinstance(payload, str) else None


def customer_reply(text: str, buttons: Buttons) -> str:
    """What Rasa reads of a customer's reply: the payload of the offered option it
    names by number (the channel offered it, so it vouches for it), else the text
    with a typed command as plain text (connectors/inbound.py)."""
    payloads = [b["payload"] for b in buttons if isinstance(b.get("payload"), str)]
    return chosen_payload(text, buttons) or customer_text(text, payloads)
