"""Buttons as numbered text and numbered replies back to payloads (no server needed)."""

from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from actions.identity import channel_number
from connectors.options import chosen_payload, customer_reply, numbered, offered_buttons, spoken

BUTTONS = [
    {"title": "An order", "payload": "/check_order_status"},
    {"title": "A claim", "payload": "/check_claim_status"},
]


def test_buttons_become_numbered_lines_in_one_message() -> None:
    assert numbered("Which one?", BUTTONS) == (
        "Which one?\n1. An order\n2. A claim\nReply with a number."
    )


def test_buttons_become_options_to_say_or_key_in() -> None:
    assert spoken("Which one?", BUTTONS + [{"title": "Talk to a person?", "payload": "/x"}]) == (
        "Which one? Say or press 1 for an order, 2 for a claim, or 3 for talk to a person."
    )


def test_a_number_picks_the_last_offered_button() -> None:
    tracker = DialogueStateTracker.from_events(
        "s", [UserUttered("hi"), BotUttered("Which one?", {"buttons": BUTTONS})]
    )
    assert chosen_payload(" 2. ", offered_buttons(tracker)) == "/check_claim_status"
    assert chosen_payload("One", offered_buttons(tracker)) == "/check_order_status"
    assert chosen_payload("3", offered_buttons(tracker)) is None
    assert chosen_payload("my order", offered_buttons(tracker)) is None


def test_unicode_digits_and_huge_numbers_pick_nothing() -> None:
    for reply in ("²", "³", "①", "1" * 5000, "0", "-1", "٢٢٢"):
        assert chosen_payload(reply, BUTTONS) is None
    assert chosen_payload("٢", BUTTONS) == "/check_claim_status"  # Arabic-Indic two


def test_a_typed_command_is_text_unless_it_is_an_offered_payload() -> None:
    assert customer_reply("2", BUTTONS) == "/check_claim_status"
    assert customer_reply("/check_order_status", BUTTONS) == "/check_order_status"
    assert customer_reply("/restart", BUTTONS) == "restart"
    assert customer_reply("/check_order_status", []) == "check_order_status"
    assert customer_reply("hello", [{"title": "odd", "payload": {"not": "text"}}]) == "hello"


def test_buttons_answered_already_are_not_offered() -> None:
    tracker = DialogueStateTracker.from_events(
        "s", [BotUttered("Which one?", {"buttons": BUTTONS}), UserUttered("1"), BotUttered("OK")]
    )
    assert offered_buttons(tracker) == []


def test_only_number_checking_channels_may_name_the_number() -> None:
    claim = {"channel_number": "+447700998515"}
    assert channel_number("twilio", claim) == ("whatsapp", "+447700998515")
    assert channel_number("twilio_voice", claim) == ("phone", "+447700998515")
    assert channel_number("rest", claim) is None
    assert channel_number("twilio", {"channel_number": 7}) is None
    assert channel_number("twilio", {"channel_number": " "}) is None
