"""action_clarify: the likeliest goals as buttons, or a plain request to rephrase."""

from actions.clarify import MAX_OPTIONS, ActionClarify
from tests.unit.actions.conftest import outcomes, run, tracker


def ranked(*pairs: tuple) -> list:
    return [{"name": name, "confidence": confidence} for name, confidence in pairs]


def test_the_likeliest_goals_are_offered_as_buttons_whose_payloads_are_the_intents() -> None:
    events, said = run(
        ActionClarify(),
        tracker(
            text="order or claim",
            intent="check_order_status",
            intent_ranking=ranked(
                ("check_order_status", 0.41),
                ("greet", 0.30),
                ("check_claim_status", 0.20),
                ("check_invoice", 0.05),
                ("ask_warranty", 0.03),
            ),
        ),
    )
    assert outcomes(events) == [("action_clarify", "unknown", "clarified")]
    [(response, variables)] = said
    assert response == "utter_clarify"
    payloads = [button["payload"] for button in variables["buttons"]]
    # Likeliest first; small talk is never an option; noise below 5 % is left out.
    assert payloads == ["/check_order_status", "/check_claim_status", "/check_invoice"]
    assert all(button["title"] for button in variables["buttons"])


def test_no_more_than_the_maximum_are_offered() -> None:
    _, said = run(
        ActionClarify(),
        tracker(
            intent_ranking=ranked(
                ("check_order_status", 0.3),
                ("check_claim_status", 0.2),
                ("check_invoice", 0.2),
                ("ask_warranty", 0.15),
                ("request_human", 0.15),
            )
        ),
    )
    assert len(said[0][1]["buttons"]) == MAX_OPTIONS


def test_without_a_plausible_goal_the_customer_is_asked_to_rephrase() -> None:
    events, said = run(
        ActionClarify(),
        tracker(
            intent="greet",
            intent_ranking=ranked(("greet", 0.6), ("goodbye", 0.38), ("check_order_status", 0.02)),
        ),
    )
    assert outcomes(events) == [("action_clarify", "unknown", "clarified")]
    assert said == [("utter_ask_rephrase", {})]


def test_a_verified_customers_open_records_come_first() -> None:
    """C-1005: an overdue invoice, a shipped order, no claim (the backend's fixture)."""
    ranking = ranked(
        ("check_claim_status", 0.35), ("check_order_status", 0.30), ("check_invoice", 0.25)
    )
    _, said = run(
        ActionClarify(), tracker({"verified_customer_id": "C-1005"}, intent_ranking=ranking)
    )
    payloads = [button["payload"] for button in said[0][1]["buttons"]]
    assert payloads == ["/check_invoice", "/check_order_status", "/check_claim_status"]
    # Not verified: the likeliest first, nothing read about anyone.
    _, said = run(ActionClarify(), tracker(intent_ranking=ranking))
    payloads = [button["payload"] for button in said[0][1]["buttons"]]
    assert payloads == ["/check_claim_status", "/check_order_status", "/check_invoice"]
