"""action_callback_choice: a caller's answer to the offer of a call back."""

from actions.callback import ActionCallbackChoice
from common.channel_metadata import CALLBACK_ANSWER, CALLBACK_DONE, CALLBACK_OFFER
from tests.unit.actions.conftest import run, slots_set, tracker

HOURS = {"time_zone": "Europe/Berlin", "days": ["mon"], "open": "08:00", "close": "20:00"}


def offer(can_text: bool) -> dict:
    return {
        "handoff_id": None,
        "reference": "H-3F9A0C",
        "next_open": "2030-12-02T08:00:00+01:00",
        "hours": HOURS,
        "can_text": can_text,
    }


def answered(said: str, can_text: bool) -> tuple[list, list]:
    return run(
        ActionCallbackChoice(),
        tracker({CALLBACK_OFFER: offer(can_text), CALLBACK_ANSWER: said}),
    )


def test_a_text_message_is_confirmed_when_the_channel_can_send_one() -> None:
    _, said = answered("send me a text message", can_text=True)
    assert [name for name, _ in said] == ["utter_callback_text", "utter_callback_confirm_message"]


def test_a_text_message_the_channel_cannot_send_is_never_promised() -> None:
    events, said = answered("send me a text message", can_text=False)
    assert [name for name, _ in said] == ["utter_callback_again_call"]
    assert slots_set(events)[CALLBACK_OFFER]["asked_again"] is True
    # Asked again and still a message: the default call back, not a promise of a text.
    again = {**offer(False), "asked_again": True}
    _, said = run(
        ActionCallbackChoice(),
        tracker({CALLBACK_OFFER: again, CALLBACK_ANSWER: "message"}),
    )
    [(name, variables)] = said
    assert name == "utter_callback_confirm_call" and variables[CALLBACK_DONE] is True
