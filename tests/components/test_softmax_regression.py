"""The classifier's regression: scikit-learn's objective and optimum, however many
past steps L-BFGS-B keeps (the classifier's `lbfgs_memory`, checked at start, as are its
other whole-number settings)."""

import numpy as np
import pytest
import scipy.sparse as sp
from rasa.shared.exceptions import InvalidConfigException
from sklearn.linear_model import LogisticRegression

from components.sentence_classifier import SentenceIntentClassifier
from components.softmax_regression import SoftmaxRegression


@pytest.fixture(scope="module")
def problem() -> tuple[np.ndarray, sp.csr_matrix, list[str]]:
    rng = np.random.default_rng(7)
    dense = rng.normal(size=(120, 8))
    sparse = sp.random(120, 40, density=0.1, random_state=7, format="csr")
    centre = rng.normal(size=(3, 48))
    scores = np.hstack([dense, sparse.toarray()]) @ centre.T + rng.normal(size=(120, 3))
    return dense, sparse, [f"intent_{i}" for i in scores.argmax(axis=1)]


@pytest.mark.parametrize("memory", [3, 10])
def test_the_fit_reaches_scikit_learn_s_optimum(
    problem: tuple[np.ndarray, sp.csr_matrix, list[str]], memory: int
) -> None:
    dense, sparse, labels = problem
    ours = SoftmaxRegression.fit(
        dense, sparse, labels, C=10.0, max_iter=5000, tol=1e-6, memory=memory
    )
    joined = np.hstack([dense, sparse.toarray()])
    theirs = LogisticRegression(C=10.0, tol=1e-8, max_iter=5000).fit(joined, labels)
    assert list(ours.classes_) == list(theirs.classes_)
    assert np.allclose(ours.predict_proba(dense, sparse), theirs.predict_proba(joined), atol=1e-4)


def test_fewer_past_steps_take_more_iterations(
    problem: tuple[np.ndarray, sp.csr_matrix, list[str]],
) -> None:
    dense, sparse, labels = problem
    iterations = {
        memory: SoftmaxRegression.fit(dense, sparse, labels, 10.0, 5000, 1e-6, memory).iterations
        for memory in (1, 10)
    }
    assert iterations[1] > iterations[10]


@pytest.mark.parametrize("key", ["lbfgs_memory", "word_min_df", "char_min_df"])
@pytest.mark.parametrize("value", [0, 2.5, True, "5"])
def test_whole_number_settings_must_be_whole_numbers(key: str, value: object) -> None:
    config = {**SentenceIntentClassifier.get_default_config(), key: value}
    with pytest.raises(InvalidConfigException, match=key):
        SentenceIntentClassifier.validate_config(config)
