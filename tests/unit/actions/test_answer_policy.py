"""action_answer_policy: the policy named by the intent, read from the backend's
/policies on every question; an apology (and a person offered) when it is down."""

import pytest

from actions.policy_answers import ActionAnswerPolicy
from actions.slots import BACKEND_FAILURES, HUMAN_OFFERED
from tests.support.crm import crm
from tests.unit.actions.conftest import backend_down, outcomes, run, slots_set, tracker

POLICIES = crm()["policies"]


@pytest.mark.parametrize(
    ("intent", "response", "variable", "value"),
    [
        (
            "ask_return_policy",
            "utter_policy_returns",
            "return_window_days",
            POLICIES["return_window_days"],
        ),
        ("ask_free_shipping", "utter_policy_free_shipping", None, None),
        ("ask_warranty", "utter_policy_warranty", None, None),
    ],
)
def test_a_policy_question_is_answered_from_the_backends_policies(
    intent: str, response: str, variable: str, value: object
) -> None:
    events, said = run(ActionAnswerPolicy(), tracker(intent=intent))
    assert outcomes(events) == [("action_answer_policy", intent, "answered")]
    [(answered, variables)] = said
    assert answered == response
    if variable:
        assert variables[variable] == value
    assert variables  # always filled from the record, never a bare template


def test_support_hours_are_the_desks(desk_url: str) -> None:
    """The desk owns the hours (desk/settings.yml): the answer words the desk's."""
    events, said = run(ActionAnswerPolicy(), tracker(intent="ask_support_hours"))
    assert outcomes(events) == [("action_answer_policy", "ask_support_hours", "answered")]
    [(answered, variables)] = said
    assert answered == "utter_policy_support_hours" and variables["support_hours"]


def test_a_question_that_is_no_policy_gets_the_default() -> None:
    events, said = run(ActionAnswerPolicy(), tracker(intent="greet"))
    assert said == [("utter_default", {})]
    assert outcomes(events) == [("action_answer_policy", "unknown", "failed")]


def test_the_backend_down_is_an_apology_with_a_person_offered(
    configured: pytest.MonkeyPatch,
) -> None:
    backend_down(configured)
    events, said = run(ActionAnswerPolicy(), tracker(intent="ask_return_policy"))
    assert said == [("utter_backend_down", {})]
    assert slots_set(events) == {HUMAN_OFFERED: True, BACKEND_FAILURES: 1}


def test_a_failure_at_the_channels_limit_is_not_offered_a_person_again(
    configured: pytest.MonkeyPatch,
) -> None:
    backend_down(configured)
    events, said = run(
        ActionAnswerPolicy(), tracker({BACKEND_FAILURES: 1}, intent="ask_return_policy")
    )
    # The second failure on chat reaches escalation.yml's system_trouble limit: the
    # escalation policy hands over right after, so no offer is made here.
    assert said == [("utter_backend_down_again", {})]
    assert slots_set(events) == {BACKEND_FAILURES: 2}
