"""Text shaped for speech (no server needed)."""

from connectors.speech import for_speech, heard, last_sentence, spoken_turn


def test_ids_amounts_and_dates_are_rendered_to_be_spoken() -> None:
    assert for_speech("Invoice INV-100004 for €49.99 (due 2026-11-01).") == (
        "Invoice I N V 1 0 0 0 0 4 for 49 euros 99, due 1 November 2026.")
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
