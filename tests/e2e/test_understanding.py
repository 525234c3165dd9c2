"""Understanding of messages nobody trained on: the held-out set in tests/nlu,
parsed by the running Rasa server."""

from collections import Counter

import pytest
import requests
from rasa.shared.nlu.training_data.loading import load_data

from stack.processes import ROOT
from tests.support.stack import API_TOKEN, Stack

HELD_OUT = ROOT / "tests" / "nlu" / "held_out.yml"
# The share of held-out messages whose intent must be right; the held-out
# figures of the current model are in the README.
MIN_INTENT_ACCURACY = 0.92


@pytest.fixture(scope="module")
def parsed(stack: Stack) -> list[tuple[dict, dict]]:
    """Each held-out example with what the server made of it."""
    results = []
    for example in load_data(str(HELD_OUT)).training_examples:
        response = requests.post(
            f"{stack.config.rasa_internal_url}/model/parse",
            params={"token": API_TOKEN},
            json={"text": example.get("text")},
            timeout=30,
        )
        response.raise_for_status()
        results.append((example.as_dict(), response.json()))
    return results


def test_intent_accuracy_on_held_out_messages(parsed: list[tuple[dict, dict]]) -> None:
    wrong = Counter(
        (want["intent"], got["intent"]["name"])
        for want, got in parsed
        if want["intent"] != got["intent"]["name"]
    )
    accuracy = 1 - sum(wrong.values()) / len(parsed)
    assert accuracy >= MIN_INTENT_ACCURACY, f"{accuracy:.3f}; confusions: {wrong.most_common(10)}"


def test_every_held_out_record_id_is_extracted(parsed: list[tuple[dict, dict]]) -> None:
    for want, got in parsed:
        expected = {(e["entity"], e["value"]) for e in want.get("entities", [])}
        found = {(e["entity"], e["value"]) for e in got["entities"]}
        assert expected <= found, f"{want['text']!r}: {expected - found} not extracted"
