"""What the sentence models read: ids replaced by the name of their entity."""

from rasa.shared.nlu.training_data.message import Message

from components.model_text import model_text


def test_each_entity_value_becomes_its_name() -> None:
    text = "is INV-900010 paid, and where is BW-100002?"
    message = Message(
        data={
            "text": text,
            "entities": [
                {"entity": "invoice_id", "start": 3, "end": 13, "value": "INV-900010"},
                {"entity": "order_id", "start": 33, "end": 42, "value": "BW-100002"},
            ],
        }
    )
    assert model_text(message) == "is invoice_id paid, and where is order_id?"


def test_a_message_without_entities_is_read_as_it_is() -> None:
    assert model_text(Message(data={"text": "what about my invoice"})) == "what about my invoice"
    assert model_text(Message(data={})) == ""
