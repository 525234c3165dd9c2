"""Goals named as alternatives ("my order or my claim?") are recorded in the parse
data; one goal, or goals that are not offered as a choice, are not."""

import glob
from typing import Any

import pytest
import yaml
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message

from actions.clarify import options
from components.model_text import model_text
from components.named_goals import NamedGoals, named_goals
from stack.processes import ROOT
from tests.components.test_sentence_intents import context

CONFIG = next(
    c
    for c in yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]
    if c["name"] == "components.named_goals.NamedGoals"
)
ORDER, CLAIM, INVOICE = "check_order_status", "check_claim_status", "check_invoice"


@pytest.fixture(scope="module")
def component() -> NamedGoals:
    return NamedGoals.create(
        {**NamedGoals.get_default_config(), **CONFIG}, None, None, context("goals")
    )


def parse(component: NamedGoals, text: str, entities: list[dict[str, Any]] = ()) -> Message:
    return component.process([Message(data={"text": text, "entities": list(entities)})])[0]


@pytest.mark.parametrize(
    "text, goals",
    [
        ("order or claim", [ORDER, CLAIM]),
        ("invoice or claim", [INVOICE, CLAIM]),
        ("is it about my order or my claim?", [ORDER, CLAIM]),
        ("Is this about my invoice or my claim", [INVOICE, CLAIM]),
        ("claim/order", [CLAIM, ORDER]),
        ("order, claim, invoice, whatever", [ORDER, CLAIM, INVOICE]),
        ("my parcel or maybe the bill", [ORDER, INVOICE]),
    ],
)
def test_alternatives_are_named_in_their_order(
    component: NamedGoals, text: str, goals: list[str]
) -> None:
    message = parse(component, text)
    assert message.get("named_goals") == goals
    assert message.as_dict(only_output_properties=True)["named_goals"] == goals


@pytest.mark.parametrize(
    "text",
    [
        "where is my order",
        "the invoice for my order",
        "the payment for my order failed",
        "my order came broken so I made a claim",
        "order or order?",
        "/check_order_status",
        "",
    ],
)
def test_one_goal_or_no_choice_names_nothing(component: NamedGoals, text: str) -> None:
    assert parse(component, text).get("named_goals") is None


def test_record_ids_name_their_goal(component: NamedGoals) -> None:
    text = "BW-100002 or CLM-70001?"
    message = parse(
        component,
        text,
        [
            {"entity": "order_id", "start": 0, "end": 9},
            {"entity": "claim_id", "start": 13, "end": 22},
        ],
    )
    assert message.get("named_goals") == [ORDER, CLAIM]


def test_no_training_or_held_out_example_names_two_goals() -> None:
    words = {w: goal for goal, listed in CONFIG["goals"].items() for w in listed}
    files = sorted(glob.glob(str(ROOT / "data" / "nlu" / "*.yml"))) + [
        str(ROOT / "tests" / "nlu" / "held_out.yml")
    ]
    examples = [m for f in files for m in load_data(f).training_examples]
    assert len(examples) > 1000
    assert [m.get("text") for m in examples if named_goals(model_text(m), words)] == []


@pytest.mark.parametrize(
    "goals",
    [
        None,
        {"check_order_status": ["order"]},
        {"a": ["order"], "b": []},
        {"a": ["order"], "b": ["order"]},
        {"a": ["order"], "b": ["two words"]},
    ],
)
def test_a_malformed_goal_map_is_refused(goals: Any) -> None:
    with pytest.raises(InvalidConfigException):
        NamedGoals.validate_config({"goals": goals})


def test_clarifying_offers_exactly_the_named_goals() -> None:
    parse_data = {
        "named_goals": [ORDER, CLAIM],
        "intent_ranking": [
            {"name": CLAIM, "confidence": 0.8},
            {"name": INVOICE, "confidence": 0.15},
            {"name": ORDER, "confidence": 0.05},
        ],
    }
    assert [b["payload"] for b in options(parse_data)] == [
        "/check_order_status",
        "/check_claim_status",
    ]
    del parse_data["named_goals"]
    assert [b["payload"] for b in options(parse_data)] == [
        "/check_claim_status",
        "/check_invoice",
        "/check_order_status",
    ]
