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
from common.languages import languages
from components.model_text import model_text
from components.named_goals import NamedGoals, named_goals, vocabulary
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
        ("meine Bestellung oder meine Rechnung?", [ORDER, INVOICE]),
        ("Geht es um die Schadensmeldung oder um das Paket?", [CLAIM, ORDER]),
        ("ma commande ou ma facture ?", [ORDER, INVOICE]),
        ("C'est pour le sinistre ou plutôt la livraison", [CLAIM, ORDER]),
        ("¿mi pedido o mi factura?", [ORDER, INVOICE]),
        ("¿la reclamación o el pedido?", [CLAIM, ORDER]),
        ("siniestro / pago", [CLAIM, INVOICE]),
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
        "die Rechnung für meine Bestellung",
        "Die Zahlung zu meiner Bestellung ist fehlgeschlagen",
        "la facture de ma commande",
        "où est ma commande ?",
        "la factura de mi pedido",
        "mi pedido o el otro pedido",
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
    """In any language: the training data and the held-out sets (data/nlu/<code>/,
    tests/nlu_<code>/) ask about one goal at a time."""
    words = vocabulary(CONFIG)
    files = sorted(
        glob.glob(str(ROOT / "data" / "nlu" / "**" / "*.yml"), recursive=True)
        + glob.glob(str(ROOT / "tests" / "nlu*" / "*.yml"))
    )
    examples = [m for f in files for m in load_data(f).training_examples]
    assert len(examples) > 4000
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
    with pytest.raises(InvalidConfigException, match="NamedGoals"):
        NamedGoals.validate_config({**CONFIG, "goals": goals})


@pytest.mark.parametrize(
    ("key", "table", "named"),
    [
        ("alternatives", None, "'alternatives' must map languages"),
        ("alternatives", {"en": ["or"], "it": ["o"]}, "alternatives.it: not a language"),
        ("filler", {"de": []}, "filler.de must be a non-empty list"),
        ("filler", {"fr": ["peut-être"]}, "filler.fr must be a non-empty list"),
        ("filler", {"es": ["mi", 1]}, "filler.es must be a non-empty list"),
    ],
)
def test_malformed_words_for_a_language_are_refused_naming_the_key(
    key: str, table: Any, named: str
) -> None:
    with pytest.raises(InvalidConfigException, match=named):
        NamedGoals.validate_config({**CONFIG, key: table})


def test_every_language_has_its_words_for_or_and_its_filler() -> None:
    for key in ("alternatives", "filler"):
        assert set(CONFIG[key]) == set(languages().languages), key


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


def test_the_options_are_titled_in_the_conversations_language() -> None:
    parse_data = {"named_goals": [ORDER, INVOICE]}
    english = [b["title"] for b in options(parse_data)]
    assert [b["title"] for b in options(parse_data, "en")] == english
    german = [b["title"] for b in options(parse_data, "de")]
    assert german == ["Wo ist meine Bestellung?", "Eine Frage zu einer Rechnung"]
    assert next(b["title"] for b in options(parse_data, "es")) == "¿Dónde está mi pedido?"
    assert [b["payload"] for b in options(parse_data, "fr")] == [f"/{ORDER}", f"/{INVOICE}"]
