"""Language-specific copies of the sparse features ("frustratingly easy domain
adaptation", Daumé III 2007): a message's TF-IDF columns appear once shared by all
languages and once more in a block of its own language, so the regression learns
what the languages share and, beside it, each language's own weights ("commande" is
order status in French; a shared n-gram such as "de" means nothing across them).

A message's language is the one it tells (components/language.py): at training the
reader applied to the example's text, at inference the entity `language` that
LanguageHeard set, read the same way. A message that tells none ("ok", a record id),
or whose entity came from the browser's language rather than its words, has only
the shared block, as every message had before. A language's block keeps only the
columns its training examples use: any other column would only ever weigh zero.
Its values are the shared ones times `weight`: a weight above 1 regularises the
language's own weights less than the shared ones (5 was the best of 1 to 5 on the
held-out sets).
"""

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from common.reading import SENTENCE_CHARS, head
from components.language import reader
from components.language_heard import LANGUAGE

# LanguageHeard's "how" for a language taken from the browser, not from the words.
NOT_FROM_WORDS = "browser"
ARRAY_PREFIX = "language_columns_"


def told_language(message: Message) -> str | None:
    """The language the message's words tell, by LanguageHeard's entity."""
    for entity in message.get(ENTITIES) or []:
        if entity.get("entity") == LANGUAGE and entity.get("how") != NOT_FROM_WORDS:
            return str(entity.get("value"))
    return None


def example_language(message: Message) -> str | None:
    """The language a training example's text tells, as LanguageHeard would read it."""
    heard = reader().heard(head(message.get(TEXT) or "", SENTENCE_CHARS))
    return heard.language if heard else None


class LanguageBlocks:
    """Per language, the shared columns its block repeats (in this order), times weight."""

    def __init__(self, columns: dict[str, np.ndarray], weight: float) -> None:
        self.columns, self.weight = columns, weight

    @classmethod
    def fit(
        cls, shared: sp.csr_matrix, languages: Sequence[str | None], weight: float
    ) -> "LanguageBlocks":
        columns = {}
        for language in sorted({lang for lang in languages if lang is not None}):
            rows = shared[_rows(languages, language)]
            columns[language] = np.unique(rows.indices).astype(np.int64)
        return cls(columns, weight)

    def expand(self, shared: sp.csr_matrix, languages: Sequence[str | None]) -> sp.csr_matrix:
        """[shared ; each language's block], a block non-zero only in its language's rows."""
        blocks = [shared]
        for language, columns in self.columns.items():
            mask = sp.diags(_rows(languages, language) * self.weight)
            blocks.append((mask @ shared).tocsc()[:, columns])
        return sp.hstack(blocks).tocsr()

    def arrays(self) -> dict[str, np.ndarray]:
        return {ARRAY_PREFIX + language: cols for language, cols in self.columns.items()}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], weight: float) -> "LanguageBlocks":
        return cls(
            {
                name.removeprefix(ARRAY_PREFIX): columns
                for name, columns in sorted(arrays.items())
                if name.startswith(ARRAY_PREFIX)
            },
            weight,
        )


def _rows(languages: Sequence[str | None], language: str) -> np.ndarray:
    return np.array([lang == language for lang in languages], dtype=bool)
