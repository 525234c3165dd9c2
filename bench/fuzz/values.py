"""What a hostile client sends, as hypothesis strategies: text with the pieces that
broke the stack before (issue #20), numbers of any size and script, JSON of any
depth, and the ways one body can be encoded."""

import json
from functools import cache
from typing import Any

from hypothesis import strategies as st

EMOJI = "\U0001f600"
LONE_SURROGATE = "\ud800"
HUGE_DIGITS = "9" * 4400  # over Python's 4,300-digit limit for int(str)
# Unicode digits that str.isdigit() accepts and int() refuses (or reads oddly).
UNICODE_DIGITS = ("²", "³", "①", "٣", "१", "𝟗", "Ⅻ", "½")
# Pieces that broke something or are meant to: each goes into the generated text.
PIECES: tuple[str, ...] = (
    *UNICODE_DIGITS,
    LONE_SURROGATE,
    "\udfff",
    "\r\n",
    "\n",
    "\r",
    "\x00",
    "\x1b[31m",
    "\u202e",
    "\u200b",
    "\ufeff",
    "e\u0301",
    "Z\u0336\u0335\u0334",
    EMOJI,
    EMOJI * 50,
    "👨‍👩‍👧‍👦",
    "🏳️‍🌈",
    "/restart",
    "/session_start",
    "/back",
    "/greet",
    '/inform{"x": 1}',
    "1",
    "2",
    "0",
    "-1",
    "99",
    HUGE_DIGITS[:50],
    "1e309",
    "NaN",
    "%s%n",
    "{{x}}",
    "${x}",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "BW-100002",
    "98096",
    "I want to talk to a human",
    "where is my order",
    "Subject: x\r\nBcc: a@b.c",
    "\\u0000",
    "\u0085",
    "\u2028",
)


@cache
def hostile_text(max_pieces: int = 6) -> st.SearchStrategy[str]:
    """Arbitrary text mixed with the known-bad pieces (lone surrogates included)."""
    piece = st.one_of(
        st.text(max_size=40),
        st.sampled_from(PIECES),
        st.characters(categories=["Cs", "Co", "Cc", "Cf", "So", "Nd", "No"]),
    )
    return st.lists(piece, max_size=max_pieces).map("".join)


@cache
def large_text() -> st.SearchStrategy[str]:
    """Long runs of one piece: near and beyond each channel's length limit."""
    return st.builds(
        lambda piece, count: piece * count,
        st.sampled_from(["a", "word ", EMOJI, "²", "Ä", "\n", "?"]),
        st.sampled_from([1000, 4096, 5000, 5001, 10_000, 20_000, 40_000]),
    )


@cache
def any_text() -> st.SearchStrategy[str]:
    return st.one_of(hostile_text(), hostile_text(), hostile_text(), large_text())


@cache
def number_text() -> st.SearchStrategy[str]:
    """What a number field may hold: in range, out of range, other scripts, huge."""
    return st.one_of(
        st.integers(-5, 10).map(str),
        st.integers().map(str),
        st.sampled_from(UNICODE_DIGITS),
        st.just(HUGE_DIGITS),
        st.sampled_from(["", " ", "1.5", "-0", "0x1", "1e3", "inf", "nan", "+1"]),
        hostile_text(3),
    )


def nested(depth: int, leaf: Any = 1) -> str:
    """A JSON text nested `depth` arrays deep (json.dumps would recurse that deep)."""
    return "[" * depth + json.dumps(leaf) + "]" * depth


@cache
def json_values() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), any_text()
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(hostile_text(2), inner, max_size=4)
        ),
        max_leaves=12,
    )


def dumps(value: Any) -> str:
    """JSON text; lone surrogates come out as \\ud800 escapes, which is valid JSON."""
    return json.dumps(value, ensure_ascii=True, allow_nan=True)


def encode(text: str, encoding: str) -> bytes:
    """Text as bytes in an encoding a client might use, right or wrong."""
    if encoding == "raw-surrogates":  # what a careless client sends: invalid UTF-8
        return text.encode("utf-8", "surrogatepass")
    return text.encode(encoding, "surrogatepass" if encoding.startswith("utf") else "replace")


ENCODINGS = ("utf-8", "utf-8", "utf-8", "utf-8", "utf-16", "latin-1", "raw-surrogates")


@cache
def raw_json_text() -> st.SearchStrategy[str]:
    """JSON texts that no schema expects: deep, huge numbers, broken, duplicates."""
    return st.one_of(
        st.integers(1, 5000).map(nested),
        st.integers(1, 5000).map(lambda d: '{"a":' * d + "1" + "}" * d),
        st.just(HUGE_DIGITS),
        st.just(f'{{"n": {HUGE_DIGITS}}}'),
        st.just('{"a": 1, "a": 2}'),
        st.just("NaN"),
        st.just("[1e999]"),
        st.just('"\\ud800"'),
        st.just("{"),
        st.just(""),
        st.just("null"),
        st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
        json_values().map(dumps),
    )


@cache
def content_types(expected: str) -> st.SearchStrategy[str]:
    return st.sampled_from(
        [
            expected,
            expected,
            expected,
            f"{expected}; charset=utf-8",
            f"{expected}; charset=latin-1",
            "text/plain",
            "",
            "application/json",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            f"{expected.upper()}",
        ]
    )


@cache
def extra_headers() -> st.SearchStrategy[dict[str, str]]:
    """Headers a client may add; values are Latin-1 text, as HTTP carries them."""
    names = st.sampled_from(
        [
            "X-Forwarded-For",
            "Accept",
            "Accept-Encoding",
            "Origin",
            "X-Agent-Name",
            "Cookie",
            "Content-Encoding",
            "User-Agent",
            "X-Request-Id",
            "Transfer-Encoding-X",
        ]
    )
    values = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=60)
    return st.dictionaries(names, values, max_size=3)
