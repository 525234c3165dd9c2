"""Text made speakable, and speech made readable.

What a voice variant in domain.yml did not already word for speech (an id, an
amount, a date, a time or support hours inside a shared response, a link) is turned
into something a caller can hear: dates, times and hours in words. Nothing is cut:
the voice variants are short already, and what happens next is always said in full.

What a caller says comes back from Twilio's speech recognition in words: spelled-out
ids are joined again, and a date said in words ("fifth of December two thousand",
"December the fifth nineteen eighty-five") is written as a date ("5 December 2000"),
as the knowledge-factor check reads dates. The words come from num2words, so they
are the ones the assistant itself says.
"""

import calendar
import re
from collections.abc import Iterable
from functools import lru_cache

from num2words import num2words

from actions.spoken import TIME_RANGE, clock, day, hours

RECORD_ID = re.compile(r"\b([A-Z]{1,4})-?(\d{4,})\b")
AMOUNT = re.compile(r"([€£$])(\d+)(?:\.(\d{2}))?")
CURRENCY_WORDS = {"€": "euros", "£": "pounds", "$": "dollars"}
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
URL = re.compile(r"\s*(?:https?://|www\.)\S+")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
SINGLE_CHARACTERS = re.compile(r"\b(\w)\s+(?=\w\b)")
TIME = re.compile(r"\b([01]?\d|2[0-3]):([0-5]\d)\b")
MONTHS = list(calendar.month_name)[1:]  # English: Python leaves the C locale
EARLIEST_YEAR, LATEST_YEAR = 1900, 2039


def _amount(match: "re.Match[str]") -> str:
    words = f"{match[2]} {CURRENCY_WORDS[match[1]]}"
    return words if not match[3] or match[3] == "00" else f"{words} {match[3]}"


def for_speech(text: str) -> str:
    """'Order BW-100002 (€68.00)' → 'Order B W 1 0 0 0 0 2, 68 euros,'."""
    text = URL.sub("", text)
    text = RECORD_ID.sub(lambda m: f"{' '.join(m[1])} {' '.join(m[2])}", text)
    text = AMOUNT.sub(_amount, text)
    text = ISO_DATE.sub(lambda m: day(m[0]), text)
    if TIME_RANGE.search(text):  # support hours ('Mon-Fri 08:00-20:00 CET')
        text = hours(text)
    text = TIME.sub(lambda m: clock(m[1], m[2]), text)
    text = text.replace(" > ", ", then ").replace("(", ", ").replace(")", ",")
    text = re.sub(r"\s*,(\s*,)+", ",", text)
    text = re.sub(r",(?=[.!?])|\s+(?=[,.!?])", "", text)
    return re.sub(r"\s{2,}", " ", text).strip()


def _sentences(texts: Iterable[str]) -> list[str]:
    return [s for text in texts for s in SENTENCE_END.split(for_speech(text)) if s]


def spoken_turn(texts: Iterable[str]) -> str:
    """The assistant's messages of one turn as what is said, every one, in order."""
    return " ".join(_sentences(texts))


def last_sentence(texts: Iterable[str]) -> str:
    """What a turn ended with: its question, to ask again after silence."""
    return (_sentences(texts) or [""])[-1]


def _key(words: str) -> str:
    """Words as num2words and a transcript may write them alike: 'Twenty-First' and
    'twenty first' → 'twenty first'."""
    return re.sub(r"[\s-]+", " ", words).strip().lower()


def _pattern(words: Iterable[str]) -> str:
    """Alternatives matching each of the words, a hyphen or a space between parts."""
    keys = sorted({_key(word) for word in words}, key=len, reverse=True)
    return "|".join(r"[\s-]+".join(re.escape(part) for part in key.split()) for key in keys)


@lru_cache(maxsize=1)
def _spoken_numbers() -> dict[str, dict[str, int]]:
    """Each day of a month as an ordinal, and each year as people say it ('nineteen
    eighty-five', 'two thousand and one', 'two thousand one'), → its number."""
    years: dict[str, int] = {}
    for year in range(EARLIEST_YEAR, LATEST_YEAR + 1):
        for words in (
            num2words(year, to="year"),
            num2words(year),
            str(num2words(year)).replace(" and ", " "),
        ):
            years[_key(str(words))] = year
    return {"day": {_key(str(num2words(d, to="ordinal"))): d for d in range(1, 32)}, "year": years}


@lru_cache(maxsize=1)
def _spoken_dates() -> "re.Pattern[str]":
    """A day in words, a month and a year (in words or digits), day or month first."""
    numbers = _spoken_numbers()
    day_words, month = _pattern(numbers["day"]), "|".join(MONTHS)
    year = rf"{_pattern(numbers['year'])}|\d{{4}}"
    either = (
        rf"(?:the\s+)?(?P<day>{day_words})\s+(?:of\s+)?(?P<month>{month})"
        rf"|(?P<month2>{month})\s+(?:the\s+)?(?P<day2>{day_words})"
    )
    return re.compile(rf"\b(?:{either}),?\s+(?P<year>{year})\b", re.IGNORECASE)


def _written_date(match: "re.Match[str]") -> str:
    numbers = _spoken_numbers()
    year = match["year"]
    return (
        f"{numbers['day'][_key(match['day'] or match['day2'])]} "
        f"{(match['month'] or match['month2']).capitalize()} "
        f"{year if year.isdigit() else numbers['year'][_key(year)]}"
    )


def heard(transcript: str) -> str:
    """A transcript with spelled-out runs joined ('b w 1 0 0 0 0 2' → 'bw100002') and
    dates said in words written as dates ('fifth of December two thousand' →
    '5 December 2000')."""
    text = _spoken_dates().sub(_written_date, transcript.strip())
    return SINGLE_CHARACTERS.sub(r"\1", text)
