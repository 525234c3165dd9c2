"""Text shaped for speech (no server needed)."""

from datetime import date

import pytest

from actions.identity import read_factors
from connectors.speech import for_speech, heard, last_sentence, spoken_turn


def test_ids_amounts_and_dates_are_rendered_to_be_spoken() -> None:
    assert for_speech("Invoice INV-100004 for €49.99 (due 2025-11-01).") == (
        "Invoice I N V 1 0 0 0 0 4 for 49 euros 99, due Saturday the first of November "
        "twenty twenty-five."
    )
    assert for_speech("Order BW-100002 costs £68.00.") == "Order B W 1 0 0 0 0 2 costs 68 pounds."


def test_links_are_not_read_out() -> None:
    assert for_speech("See https://brightwave.example/orders for details.") == "See for details."


def test_a_turn_is_said_in_full_in_order() -> None:
    assert spoken_turn(["One. Two! Three?", "Four."]) == "One. Two! Three? Four."
    assert spoken_turn(["One.", "Two? Three."]) == "One. Two? Three."


def test_silence_repeats_the_question_a_turn_ended_with() -> None:
    assert last_sentence(["Hi. How can I help?"]) == "How can I help?"
    assert last_sentence([]) == ""


def test_spelled_out_ids_are_joined_again() -> None:
    assert heard(" where is b w 1 0 0 0 0 2 ") == "where is bw100002"
    assert heard("I have a question") == "I have a question"


def test_times_and_support_hours_are_said_in_words() -> None:
    assert for_speech("Our team is available Mon-Fri 08:00-20:00 CET.") == (
        "Our team is available Monday to Friday, eight a m to eight p m, Central European Time."
    )
    assert for_speech("Call back at 14:30 or 09:05.") == (
        "Call back at two thirty p m or nine oh five a m."
    )


@pytest.mark.parametrize(
    "said, written",
    [
        ("fifth of December two thousand", "5 December 2000"),
        (
            "my date of birth is the fifth of december two thousand",
            "my date of birth is 5 December 2000",
        ),
        ("December the fifth nineteen eighty-five", "5 December 1985"),
        ("twenty first of March nineteen ninety nine", "21 March 1999"),
        ("the first of January two thousand and one", "1 January 2001"),
        ("thirty-first of October 1990", "31 October 1990"),
    ],
)
def test_a_date_said_in_words_is_written_as_a_date(said: str, written: str) -> None:
    assert heard(said) == written


def test_a_spoken_date_of_birth_confirms_the_record() -> None:
    """What the knowledge-factor check reads from the transcript."""
    assert date(2000, 12, 5) in read_factors(heard("fifth of December two thousand")).birthdates


def test_words_that_are_not_a_date_stay_as_they_were() -> None:
    assert heard("the fifth of my orders") == "the fifth of my orders"
    assert heard("May I speak to someone") == "May I speak to someone"
