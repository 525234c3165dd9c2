"""Rasa's RegexFeaturizer with the same features at a cost linear in the message.

Rasa's version compares every match of a pattern with every token: a message of
many record ids (100 KB of "where is my order BW-100002", or an e-mail of 20,000
characters) cost minutes of Rasa's event loop. Tokens come in text order, so the
tokens a match overlaps are found by bisection on their ends instead.
"""

import re
from bisect import bisect_right

import numpy as np
import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.sparse_featurizer.regex_featurizer import RegexFeaturizer
from rasa.shared.nlu.constants import ACTION_TEXT, RESPONSE, TEXT
from rasa.shared.nlu.training_data.message import Message

Features = tuple[scipy.sparse.coo_matrix | None, scipy.sparse.coo_matrix | None]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class LinearRegexFeaturizer(RegexFeaturizer):
    """Marks which known patterns match the message and which tokens they cover."""

    def _features_for_patterns(self, message: Message, attribute: str) -> Features:
        text = message.get(attribute)
        tokens = message.get(TOKENS_NAMES[attribute], [])
        if not text or not tokens:
            return None, None
        flags = 0 if self.case_sensitive else re.IGNORECASE
        sequence = np.zeros([len(tokens), len(self.known_patterns)])
        sentence = np.zeros([1, len(self.known_patterns)])
        ends = [token.end for token in tokens]
        marks = [token.get("pattern", default={}) for token in tokens]
        for index, pattern in enumerate(self.known_patterns):
            name = pattern["name"]
            for mark in marks:
                mark[name] = False
            for match in re.finditer(pattern["pattern"], text, flags=flags):
                # tokens overlapping the match: start < match end and end > match start
                position = bisect_right(ends, match.start())
                while position < len(tokens) and tokens[position].start < match.end():
                    if tokens[position].end > match.start():
                        marks[position][name] = True
                        sequence[position][index] = 1.0
                        if attribute in (RESPONSE, TEXT, ACTION_TEXT):
                            sentence[0][index] = 1.0
                    position += 1
        for token, mark in zip(tokens, marks, strict=True):
            token.set("pattern", mark)
        return scipy.sparse.coo_matrix(sequence), scipy.sparse.coo_matrix(sentence)
