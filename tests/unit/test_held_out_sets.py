"""The held-out NLU sets (tests/nlu, tests/nlu_de, tests/nlu_fr, tests/nlu_es) measure
messages the model never saw: no training example of three or more words is one of
them, once case, accents, punctuation and entity markup are set aside. Shorter ones
("yes", "merci") are the same words in any set and stay."""

import re
import unicodedata
from pathlib import Path

import yaml

from stack.processes import ROOT

MARKUP = re.compile(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}")
MIN_WORDS = 3


def folded(text: str) -> str:
    """The text's words, lower case, without accents or markup."""
    text = MARKUP.sub(lambda m: m.group(1) or m.group(2) or "", text)
    text = unicodedata.normalize("NFKD", text.lower())
    return " ".join(re.findall(r"\w+", "".join(c for c in text if not unicodedata.combining(c))))


def examples(files: list[Path]) -> list[tuple[Path, str]]:
    found = []
    for path in files:
        for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            for line in str(item.get("examples") or "").splitlines():
                if line.strip().startswith("- "):
                    found.append((path, line.strip()[2:]))
    return found


def test_folding_sets_case_accents_punctuation_and_markup_aside() -> None:
    assert folded("Où est ma [BW-100045](order_id) ?") == folded("ou est ma bw 100045")
    assert folded("¿Quién escribió el Quijote?") == "quien escribio el quijote"
    assert folded("Hola, buenos días") != folded("Hola, buenas noches")


def test_no_training_example_is_a_held_out_message() -> None:
    held_out = {
        folded(text): path
        for path, text in examples(sorted(ROOT.glob("tests/nlu*/*.yml")))
        if len(folded(text).split()) >= MIN_WORDS
    }
    assert len(held_out) > 800  # all four sets were read
    copies = [
        f"{path.relative_to(ROOT)}: {text!r} is in {held_out[folded(text)].relative_to(ROOT)}"
        for path, text in examples(sorted(ROOT.glob("data/nlu/**/*.yml")))
        if folded(text) in held_out
    ]
    assert not copies, "\n".join(copies)
