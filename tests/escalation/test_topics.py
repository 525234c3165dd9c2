"""Topics never automated: many phrasings found, false friends left alone."""

import pytest

from escalation.config import EscalationConfig
from escalation.topics import TopicMatch, detect_topic, normalise


def _topic(text: str, config: EscalationConfig) -> str | None:
    match = detect_topic(text, config.topics)
    return match.topic if match else None


@pytest.mark.parametrize(
    "topic, text",
    [
        ("bereavement", "My husband passed away last month"),
        ("bereavement", "my nan passd away"),  # typo
        ("bereavement", "I'm writing about my late father's account"),
        ("bereavement", "The account holder, my wife, died on the 3rd"),
        ("bereavement", "Lost my husband last week, the policy is in his name"),
        ("legal", "My solicitor will be in touch"),
        ("legal", "my lawer says this is wrong"),  # typo
        ("legal", "I'll take you to the small claims court"),
        ("legal", "I want to make a formal complaint"),
        ("fraud", "I didn't make this payment"),
        ("fraud", "There's a charge on my card I don't recognise"),
        ("fraud", "i didnt authorize this charge"),
        ("fraud", "Someone used my card on your site"),
        ("fraud", "My account has been hacked"),
        ("vulnerability", "I'm disabled and can't get to the post office"),
        ("vulnerability", "I'm 84 and I get very confused with all this"),
        ("vulnerability", "I've lost my job and can't afford the payments"),
        ("vulnerability", "I'm not in a good place mentally right now"),
        ("vulnerability", "sometimes I think about killing myself"),
    ],
)
def test_topics_are_found(config: EscalationConfig, topic: str, text: str):
    assert _topic(text, config) == topic


@pytest.mark.parametrize(
    "text",
    [
        "My battery died after two hours",
        "My husband's phone died in the rain",
        "My old TV finally passed away after 15 years",
        "I passed on your details to my brother",
        "My mum passed her driving test",
        "I lost my phone, does the insurance cover loss?",
        "My phone was stolen on the train, I'd like to claim",
        "My wife Sue ordered a kettle",
        "Is there a shop near the food court?",
        "I'm a bit confused about the invoice",
        "I'm 25 and just bought my first TV",
        "This bug kills my battery",
        "Any hacks to make my battery last longer?",
        "I was charged twice for the same order",
        "Is the fraud protection on card payments included?",
        "I'm dying to get the new tablet",
    ],
)
def test_false_friends_are_no_topic(config: EscalationConfig, text: str):
    assert _topic(text, config) is None


def test_the_match_names_the_words(config: EscalationConfig):
    assert detect_topic("My card got STOLEN yesterday", config.topics) == TopicMatch(
        "fraud", "card got stolen"
    )


def test_bereavement_outranks_the_others(config: EscalationConfig):
    assert _topic("My husband died and I can't afford the payments", config) == "bereavement"


def test_normalise_lowers_case_and_shortens_runs():
    assert normalise("  I’m  SOOOO   angry!!!!  ") == "i'm soo angry!!"
