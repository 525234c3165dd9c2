"""The CLINC150 threshold rule: best val in-scope accuracy among thresholds whose
oos_val recall reaches 0.90, decided on val predictions only."""

from bench.nlu import OUT_OF_SCOPE, Prediction, oos_scores, tune_threshold

GOLD = ["a"] * 8 + [OUT_OF_SCOPE] * 10
PREDICTIONS = (
    [Prediction("a", c) for c in (0.9, 0.8, 0.7, 0.6, 0.5, 0.45, 0.35, 0.2)]
    + [Prediction("a", c) for c in (0.1, 0.15, 0.2, 0.25, 0.3, 0.32, 0.34, 0.36, 0.38)]
    + [Prediction(OUT_OF_SCOPE, 0.9)]
)


def test_picks_the_most_accurate_threshold_that_catches_nine_in_ten() -> None:
    threshold = tune_threshold(GOLD, PREDICTIONS)
    scores = oos_scores(GOLD, PREDICTIONS, threshold)
    assert scores["oos_recall"] >= 0.9
    assert threshold == 0.37  # the lowest threshold that catches 9 in 10
    assert scores["in_scope_accuracy"] == 6 / 8


def test_without_any_threshold_reaching_the_recall_takes_the_best_recall() -> None:
    gold = ["a", OUT_OF_SCOPE, OUT_OF_SCOPE]
    predictions = [Prediction("a", 0.5), Prediction("a", 0.99), Prediction("a", 0.6)]
    threshold = tune_threshold(gold, predictions)
    assert oos_scores(gold, predictions, threshold)["oos_recall"] == 0.5
