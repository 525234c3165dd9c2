"""How much of one customer message the assistant reads to understand it.

Understanding a message (its intent, entities, emotion, a topic never automated, a
request for a person) reads its first READ_CHARS characters: the sentence encoder
keeps 256 tokens anyway, and every other step costs time in proportion to what it
reads, some of it on Rasa's event loop where other conversations wait. The whole
message is still stored and shown to an agent.

The sentence models (the MiniLM encoder and the intent classifier's n-grams) read
the first SENTENCE_CHARS of that: a customer says what they want first, and the
encoder's cost grows faster than what it reads (its attention compares every token
with every other). Every training example is shorter, so the model is the same.
"""

READ_CHARS = 2000
SENTENCE_CHARS = 800


def head(text: str, limit: int = READ_CHARS) -> str:
    """The first `limit` characters of text, cut after the last space or line break
    in them (when there is one), so that no word is read half."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    return cut[: space + 1] if space > 0 else cut
