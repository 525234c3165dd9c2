"""How unlike the training examples a message is: the out-of-scope signal.

A classifier spreads its probability over the intents it knows, so a message
about something else can still get a confident intent. Its distance to the
training examples says more: the mean cosine similarity of its sentence
embedding to the `k` nearest in-scope training examples, read as a percentile
of the same score for each training example against the others (leave one
out). A message scoring like the least typical `quantile` of the training set
or below has its confidences scaled down by sqrt(percentile / quantile); every
other message keeps them unchanged.
"""

import numpy as np

CHUNK = 1024  # rows per similarity block, to bound memory on large training sets


class Novelty:
    """Neighbours (unit-length in-scope training embeddings) and their own score curve."""

    def __init__(self, neighbours: np.ndarray, reference: np.ndarray, k: int) -> None:
        self.neighbours, self.reference, self.k = neighbours, reference, k

    @classmethod
    def fit(cls, embeddings: np.ndarray, k: int) -> "Novelty":
        neighbours = _unit(embeddings).astype(np.float32)
        k = max(1, min(k, len(neighbours) - 1))
        reference = np.sort(_mean_top_k(neighbours, neighbours, k, leave_one_out=True))
        return cls(neighbours, reference, k)

    def factor(self, embeddings: np.ndarray, quantile: float) -> np.ndarray:
        """1 for typical messages, falling to 0 for the least typical."""
        scores = _mean_top_k(_unit(embeddings).astype(np.float32), self.neighbours, self.k)
        percentile = np.searchsorted(self.reference, scores) / len(self.reference)
        return np.sqrt(np.minimum(1.0, percentile / quantile))

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "novelty_neighbours": self.neighbours,
            "novelty_reference": self.reference,
            "novelty_k": np.array(self.k),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> "Novelty":
        return cls(
            arrays["novelty_neighbours"], arrays["novelty_reference"], int(arrays["novelty_k"])
        )


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def _mean_top_k(
    queries: np.ndarray, neighbours: np.ndarray, k: int, leave_one_out: bool = False
) -> np.ndarray:
    """Mean of each query's k highest cosine similarities (skipping itself if asked)."""
    scores = []
    for start in range(0, len(queries), CHUNK):
        similarity = queries[start : start + CHUNK] @ neighbours.T
        if leave_one_out:
            rows = np.arange(len(similarity))
            similarity[rows, rows + start] = -np.inf
        scores.append(np.partition(similarity, -k, axis=1)[:, -k:].mean(axis=1))
    return np.concatenate(scores) if scores else np.zeros(0)
