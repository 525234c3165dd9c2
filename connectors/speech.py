"""Text made speakable: what a voice variant in domain.yml did not already word for
speech (an id, an amount or a date inside a shared response, a link) is turned into
something a caller can hear. Nothing is cut: the voice variants are short already,
and what happens next is always said in full."""

import re
from typing import Iterable, List

from actions.render import day

RECORD_ID = re.compile(r"\b([A-Z]{1,4})-?(\d{4,})\b")
AMOUNT = re.compile(r"([€£$])(\d+)(?:\.(\d{2}))?")
CURRENCY_WORDS = {"€": "euros", "£": "pounds", "$": "dollars"}
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
URL = re.compile(r"\s*(?:https?://|www\.)\S+")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
SINGLE_CHARACTERS = re.compile(r"\b(\w)\s+(?=\w\b)")


def _amount(match: "re.Match[str]") -> str:
    words = f"{match[2]} {CURRENCY_WORDS[match[1]]}"
    return words if not match[3] or match[3] == "00" else f"{words} {match[3]}"


def for_speech(text: str) -> str:
    """'Order BW-100002 (€68.00)' → 'Order B W 1 0 0 0 0 2, 68 euros,'."""
    text = URL.sub("", text)
    text = RECORD_ID.sub(lambda m: f"{' '.join(m[1])} {' '.join(m[2])}", text)
    text = AMOUNT.sub(_amount, text)
    text = ISO_DATE.sub(lambda m: day(m[0]), text)
    text = text.replace(" > ", ", then ").replace("(", ", ").replace(")", ",")
    text = re.sub(r"\s*,(\s*,)+", ",", text)
    text = re.sub(r",(?=[.!?])|\s+(?=[,.!?])", "", text)
    return re.sub(r"\s{2,}", " ", text).strip()


def _sentences(texts: Iterable[str]) -> List[str]:
    return [s for text in texts for s in SENTENCE_END.split(for_speech(text)) if s]


def spoken_turn(texts: Iterable[str]) -> str:
    """The assistant's messages of one turn as what is said, every one, in order."""
    return " ".join(_sentences(texts))


def last_sentence(texts: Iterable[str]) -> str:
    """What a turn ended with: its question, to ask again after silence."""
    return (_sentences(texts) or [""])[-1]


def heard(transcript: str) -> str:
    """A transcript with spelled-out runs joined: 'b w 1 0 0 0 0 2' → 'bw100002'."""
    return SINGLE_CHARACTERS.sub(r"\1", transcript.strip())
