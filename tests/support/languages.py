"""What the language tests over REST share: the conversation's language, and an order
asked after in one language, the postcode question and the answer in it."""

from typing import Any

from tests.support.crm import customer, first_with
from tests.support.stack import Conversation, Stack


def language(stack: Stack, chat: Conversation) -> Any:
    return stack.tracker(chat.sender)["slots"]["language"]


def order_answered_in(
    stack: Stack, chat: Conversation, order_id: str, question: str, asked: str, said: str
) -> str:
    """The question about order_id, then its owner's postcode: the postcode question
    says `asked` (not the English "postcode") and the answer says `said`; the answer."""
    owner = customer(first_with("orders", id=order_id)["customer_id"])
    asking = chat.say(question)
    assert asked in asking and "postcode" not in asking, asking
    answer = chat.say(owner["postcode"])
    assert f"{order_id}" in answer and said in answer, answer
    return answer
