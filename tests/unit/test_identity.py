"""Knowledge factors typed by a customer, and identities vouched for by an integration."""

import hashlib
import hmac
from datetime import date

import pytest

from actions.identity import (
    MAX_CANDIDATES,
    METADATA_CUSTOMER_ID,
    METADATA_SIGNATURE,
    FactorAnswer,
    matches,
    normalize_postcode,
    parse_date,
    read_factors,
    sign,
    volunteers_factor,
    vouched_customer_id,
)

NOAH_DOB = date(2000, 12, 5)


@pytest.fixture(scope="module")
def noah(crm):
    """Customer C-1001 as the fixture holds it."""
    customer = next(c for c in crm["customers"] if c["id"] == "C-1001")
    assert (customer["postcode"], customer["email"], customer["date_of_birth"]) == (
        "98096",
        "noah.obrien0@example.com",
        "2000-12-05",
    )
    return customer


UK_CUSTOMER = {
    "id": "C-2001",
    "postcode": "SW1A 1AA",
    "email": "pm@example.com",
    "date_of_birth": "1966-10-20",
}


# --- parse_date -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2000-12-05",
        "2000-12-5",
        "05/12/2000",
        "5/12/2000",
        "05.12.2000",
        "05-12-2000",
        "5 December 2000",
        "5 december 2000",
        "5 Dec 2000",
        "5 Dec. 2000",
        "5th December 2000",
        "5th of December 2000",
        "5th of Dec 2000",
        "5th of December, 2000",
        "December 5 2000",
        "December 5, 2000",
        "December 5th, 2000",
        "Dec 5th 2000",
        "Dec. 5, 2000",
        "  5 DECEMBER 2000 ",
    ],
)
def test_parse_date_reads_the_usual_ways_of_writing_a_date(text):
    assert parse_date(text) == NOAH_DOB


def test_parse_date_prefers_day_first_but_falls_back_to_month_first():
    assert parse_date("03/04/1990") == date(1990, 4, 3)
    assert parse_date("12/25/2000") == date(2000, 12, 25)


def test_parse_date_reads_sept():
    assert parse_date("5 Sept 2000") == date(2000, 9, 5)
    assert parse_date("Sept. 5th, 2000") == date(2000, 9, 5)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not a date",
        "31 February 2000",
        "2000-13-01",
        "32/01/2000",
        "5 Smarch 2000",
        "98096",
        "December 2000",
    ],
)
def test_parse_date_returns_none_for_non_dates(text):
    assert parse_date(text) is None


# --- read_factors: postcodes -------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["98096", "my postcode is 98096", "It's 98096.", "postcode: 98096 thanks"]
)
def test_postcode_alone(text, noah):
    answer = read_factors(text)
    assert answer.postcodes == {"98096"}
    assert answer.emails == set() and answer.birthdates == set()
    assert answer.offered == 1
    assert matches(noah, answer)


@pytest.mark.parametrize("text", ["SW1A 1AA", "my postcode is sw1a 1aa", "SW1A1AA"])
def test_two_token_uk_postcode_is_one_value_that_matches(text):
    answer = read_factors(text)
    assert "SW1A1AA" in answer.postcodes
    assert answer.offered == 1
    assert matches(UK_CUSTOMER, answer)


def test_short_outward_code_uk_postcode():
    answer = read_factors("M1 1AE")
    assert "M11AE" in answer.postcodes
    assert answer.offered == 1
    assert matches({"postcode": "m1 1ae"}, answer)


def test_uk_postcode_and_a_date_are_two_values_not_three():
    answer = read_factors("SW1A 1AA, born 20 October 1966")
    assert answer.offered == 2 <= MAX_CANDIDATES
    assert answer.birthdates == {date(1966, 10, 20)}
    assert matches(UK_CUSTOMER, answer)


@pytest.mark.parametrize(
    "text",
    [
        "BW-100002",
        "bw 100002",
        "order BW-100002",
        "CLM-70001",
        "INV-900001",
        "C-1001",
        "customer number c1001",
    ],
)
def test_record_ids_are_not_read_as_postcodes(text):
    answer = read_factors(text)
    assert answer.postcodes == set()
    assert answer.offered == 0


def test_id_next_to_a_postcode_leaves_only_the_postcode(noah):
    answer = read_factors("about order BW-100002, my postcode is 98096")
    assert answer.postcodes == {"98096"}
    assert answer.offered == 1
    assert matches(noah, answer)


def test_an_order_number_does_not_match_a_postcode_with_the_same_digits():
    customer = {"postcode": "100002"}
    assert not matches(customer, read_factors("BW-100002"))
    assert matches(customer, read_factors("100002"))


def test_short_numbers_and_words_are_not_postcodes():
    answer = read_factors("I have 2 orders and 1 question")
    assert answer.postcodes == set()
    assert answer.offered == 0


# --- read_factors: e-mail ---------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "noah.obrien0@example.com",
        "Noah.OBrien0@Example.COM",
        "my email is NOAH.OBRIEN0@EXAMPLE.COM.",
    ],
)
def test_email_is_read_case_insensitively(text, noah):
    answer = read_factors(text)
    assert answer.emails == {"noah.obrien0@example.com"}
    assert answer.postcodes == set()  # the digit inside the address is no postcode
    assert answer.offered == 1
    assert matches(noah, answer)


def test_customer_email_case_does_not_matter():
    assert matches({"email": "Noah.OBrien0@Example.com"}, read_factors("noah.obrien0@example.com"))


# --- read_factors: dates ----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "5 December 2000",
        "05/12/2000",
        "2000-12-05",
        "December 5th, 2000",
        "5th of Dec 2000",
        "I was born on the 5th of December, 2000",
        "dob 05.12.2000",
    ],
)
def test_date_of_birth_matches(text, noah):
    answer = read_factors(text)
    assert NOAH_DOB in answer.birthdates
    assert answer.postcodes == set()  # the year is not taken for a postcode
    assert answer.offered == 1
    assert matches(noah, answer)


def test_ambiguous_date_gives_both_readings_but_counts_once(noah):
    answer = read_factors("12/05/2000")
    assert answer.birthdates == {date(2000, 5, 12), date(2000, 12, 5)}
    assert answer.offered == 1
    assert matches(noah, answer)


def test_unambiguous_day_first_date_has_one_reading():
    assert read_factors("25/12/2000").birthdates == {date(2000, 12, 25)}


def test_date_with_a_postcode_and_an_email():
    answer = read_factors("98096, noah.obrien0@example.com, 5 Dec 2000")
    assert answer.postcodes == {"98096"}
    assert answer.emails == {"noah.obrien0@example.com"}
    assert answer.birthdates == {NOAH_DOB}
    assert answer.offered == 3


# --- guessing and wrong answers ---------------------------------------------------


@pytest.mark.parametrize(
    "text,offered",
    [
        ("98096 12345 11111", 3),
        ("98096 or 12345 or 5 Dec 2000", 3),
        ("a@example.com b@example.com c@example.com", 3),
        ("5 Dec 2000, 6 Dec 2000, 7 Dec 2000", 3),
        ("SW1A 1AA SW1A 1AB SW1A 1AC", 3),
        ("98096 12345 11111 22222 33333", 5),
    ],
)
def test_several_values_are_counted_as_guessing(text, offered):
    answer = read_factors(text)
    assert answer.offered == offered
    assert answer.offered > MAX_CANDIDATES


def test_two_values_are_allowed(noah):
    answer = read_factors("98096 or maybe 12345")
    assert answer.offered == 2 <= MAX_CANDIDATES
    assert answer.postcodes == {"98096", "12345"}
    assert matches(noah, answer)


@pytest.mark.parametrize(
    "text",
    [
        "12345",
        "98097",
        "noah@example.com",
        "noah.obrien1@example.com",
        "6 December 2000",
        "2000-12-06",
        "5 December 2001",
        "06/12/2000",
        "I don't remember",
        "",
    ],
)
def test_wrong_answers_do_not_match(text, noah):
    assert not matches(noah, read_factors(text))


def test_nothing_offered():
    answer = read_factors("I don't know, sorry")
    assert answer == FactorAnswer()
    assert answer.offered == 0


def test_customer_without_factors_never_matches():
    answer = read_factors("98096 noah.obrien0@example.com 5 Dec 2000")
    assert not matches({}, answer)
    assert not matches({"postcode": None, "email": None, "date_of_birth": None}, answer)


def test_normalize_postcode():
    assert normalize_postcode(" sw1a  1aa ") == "SW1A1AA"
    assert normalize_postcode("98096") == "98096"


# --- vouched identities -----------------------------------------------------------

SECRET = "integration-secret"


def metadata(customer_id, signature):
    return {METADATA_CUSTOMER_ID: customer_id, METADATA_SIGNATURE: signature}


def test_sign_is_hmac_sha256_of_sender_and_customer():
    expected = hmac.new(b"integration-secret", b"web-123:C-1001", hashlib.sha256).hexdigest()
    assert sign(SECRET, "web-123", "C-1001") == expected
    assert len(expected) == 64
    assert sign(SECRET, "web-124", "C-1001") != expected
    assert sign(SECRET, "web-123", "C-1002") != expected


def test_good_signature_vouches_for_the_customer():
    signature = sign(SECRET, "web-123", "C-1001")
    assert vouched_customer_id("web-123", metadata("C-1001", signature), SECRET) == "C-1001"


def test_signature_for_another_conversation_is_refused():
    signature = sign(SECRET, "web-123", "C-1001")
    assert vouched_customer_id("web-999", metadata("C-1001", signature), SECRET) is None


def test_signature_for_another_customer_is_refused():
    signature = sign(SECRET, "web-123", "C-1001")
    assert vouched_customer_id("web-123", metadata("C-1002", signature), SECRET) is None


def test_signature_made_with_another_secret_is_refused():
    signature = sign("some-other-secret", "web-123", "C-1001")
    assert vouched_customer_id("web-123", metadata("C-1001", signature), SECRET) is None


@pytest.mark.parametrize("secret", [None, ""])
def test_without_a_secret_nothing_is_vouched(secret):
    signature = sign(SECRET, "web-123", "C-1001")
    assert vouched_customer_id("web-123", metadata("C-1001", signature), secret) is None
    # Not even a signature made with the empty key.
    empty_signature = sign("", "web-123", "C-1001")
    assert vouched_customer_id("web-123", metadata("C-1001", empty_signature), secret) is None


@pytest.mark.parametrize(
    "bad_metadata",
    [
        None,
        [],
        "C-1001",
        {},
        {METADATA_CUSTOMER_ID: "C-1001"},
        {METADATA_SIGNATURE: "00" * 32},
        metadata(1001, "00" * 32),
        metadata("C-1001", None),
        metadata("C-1001", 12345),
        metadata("C-1001", ""),
        metadata("C-1001", "not-a-signature"),
        metadata("C-1001", "é" * 64),  # non-ASCII must be a refusal, not a TypeError
        metadata(["C-1001"], "00" * 32),
    ],
)
def test_malformed_metadata_vouches_for_nobody(bad_metadata):
    assert vouched_customer_id("web-123", bad_metadata, SECRET) is None


def test_extra_metadata_is_ignored():
    data = {**metadata("C-1001", sign(SECRET, "web-123", "C-1001")), "channel": "web"}
    assert vouched_customer_id("web-123", data, SECRET) == "C-1001"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("where is BW-100002, postcode 98096", True),
        ("order BW-100002, my email is noah.obrien0@example.com", True),
        ("claim CLM-70001, I was born on 5 December 2000", True),
        ("where is my order BW-100002", False),
        ("I ordered on 12/11/2026, where is BW-100002", False),
    ],
)
def test_volunteers_factor(text: str, expected: bool) -> None:
    assert volunteers_factor(text) is expected
