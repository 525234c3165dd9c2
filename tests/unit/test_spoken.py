"""Values in words for the voice variants (actions/spoken.py)."""

from datetime import date, datetime

import pytest

from actions import spoken


@pytest.mark.parametrize(
    "record_id,expected",
    [
        ("BW-100002", "B W 1 0 0 0 0 2"),
        ("CLM-70009", "C L M 7 0 0 0 9"),
        ("C-1001", "C 1 0 0 1"),
    ],
)
def test_ids_are_spelled_out(record_id, expected):
    assert spoken.spell(record_id) == expected


@pytest.mark.parametrize(
    "amount,currency,expected",
    [
        (68, "EUR", "sixty-eight euros"),
        (1, "EUR", "one euro"),
        (49.99, "EUR", "forty-nine euros and ninety-nine cent"),
        ("12.5", "GBP", "twelve pounds and fifty pence"),
        (7, "USD", "seven dollars"),
    ],
)
def test_amounts_in_words(amount, currency, expected):
    assert spoken.money(amount, currency) == expected


def test_dates_in_words_with_the_year_only_when_it_is_not_this_one():
    this_year = date(2026, 6, 1)
    assert spoken.day("2026-11-25", this_year) == "Wednesday the twenty-fifth of November"
    assert spoken.day("2027-01-01T10:00:00Z", this_year) == (
        "Friday the first of January twenty twenty-seven"
    )
    assert spoken.day(None) == "an unknown date"


@pytest.mark.parametrize(
    "when,expected",
    [
        (datetime(2026, 11, 30, 8, 0), "Monday the thirtieth of November at eight a m"),
        (datetime(2026, 11, 30, 20, 30), "Monday the thirtieth of November at eight thirty p m"),
        (datetime(2026, 11, 30, 12, 5), "Monday the thirtieth of November at twelve oh five p m"),
    ],
)
def test_moments_in_words(when, expected):
    assert spoken.moment(when) == expected


@pytest.mark.parametrize(
    "label,expected",
    [
        (
            "Mon-Fri 08:00-20:00 CET",
            "Monday to Friday, eight a m to eight p m, Central European Time",
        ),
        (
            "Mon-Fri 08:00-20:00, Sat 09:00-14:00 CET",
            "Monday to Friday, eight a m to eight p m, Saturday nine a m to two p m, "
            "Central European Time",
        ),
        ("24/7", "day and night"),
    ],
)
def test_support_hours_in_words(label, expected):
    assert spoken.hours(label) == expected


@pytest.mark.parametrize("value,expected", [("2-4", "two to four"), ("1", "one"), (3, "three")])
def test_spans_of_days_in_words(value, expected):
    assert spoken.span(value) == expected
