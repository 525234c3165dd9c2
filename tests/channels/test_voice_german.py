"""A German caller over the voice channel's real webhook: heard and answered in German
(languages.yml's voice for de), the backend's values in German words and the dates as
Babel writes them for the German voice to read."""

from actions.render import day
from tests.channels.test_voice import Call
from tests.support.crm import customer, first_with
from tests.support.stack import Stack


def test_a_german_caller_is_verified_and_told_their_order_in_german(channel_stack: Stack) -> None:
    order = first_with("orders", id="BW-100055")
    owner = customer(order["customer_id"])
    assert owner["language"] == "de" and order["delay_reason"] == "customs inspection"
    call = Call(channel_stack, owner["phone"])
    call.ring()
    asked = call.say("Wo ist meine Bestellung B W 1 0 0 0 5 5?")
    assert "Postleitzahl" in asked.text
    assert asked.gather["language"] == "de-DE"
    # languages.yml gives German no speech_model: the channel's (credentials.yml's).
    assert asked.gather["speechModel"] == "numbers_and_commands"
    answer = call.key(owner["postcode"])
    assert "verzögert sich wegen einer Zollkontrolle" in answer.text
    assert day(order["eta"], "de") in answer.text  # e.g. "28. November 2026"
    assert "customs" not in answer.text and " of November" not in answer.text
    assert "card expired" not in answer.text  # a memory event told first, if any: in German
