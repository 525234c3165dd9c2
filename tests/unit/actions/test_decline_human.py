"""action_decline_human: a no to the offer of a person carries on with the assistant."""

from actions.human import ActionDeclineHuman
from actions.slots import HUMAN_OFFERED
from tests.unit.actions.conftest import run, slots_set, tracker


def test_a_declined_offer_is_withdrawn_and_the_assistant_carries_on() -> None:
    events, said = run(
        ActionDeclineHuman(), tracker({HUMAN_OFFERED: True}, text="no thanks", intent="deny")
    )
    assert said == [("utter_anything_else", {})]
    assert slots_set(events) == {HUMAN_OFFERED: False}
