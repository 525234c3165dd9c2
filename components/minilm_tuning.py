"""Fine-tuning all-MiniLM-L6-v2 on the assistant's intents, in TensorFlow (no torch).

A frozen sentence encoder puts an unseen topic close to the intents it shares
words with, so the classifier cannot tell "out of scope" from "in scope but
phrased differently". A few epochs of fine-tuning on the training intents pull
each intent's messages together and push other topics away.

The encoder is the same 6-layer BERT as the ONNX graph in `minilm_encoder`,
written with `tf.Variable`s and trained with a cosine-softmax head (scale 20)
initialised from the class centroids of the frozen embeddings, AdamW, linear
warm-up and decay. Only the top `layers` transformer layers are tuned: the
embeddings and the layers below stay frozen, so their output for each text is
computed once, in inference mode (by onnxruntime, from the same graph builder as
the served encoder), and every step runs forward and backward
through the tuned layers alone (the cost of training falls with them). The
model stores only the tuned tensors; `fine_tune` returns them under the
safetensors names, which `build_onnx` serves unchanged, with the texts'
embeddings by the tuned encoder.
"""

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from components.minilm_encoder import DIMENSION, Encoder, build_onnx, onnx_session

logger = logging.getLogger(__name__)

HEAD_SCALE = 20.0  # cosine-softmax temperature
WARMUP_SHARE = 0.06  # share of the steps with a rising learning rate
MAX_TRAINING_TOKENS = 64
LAYERS = 6  # all-MiniLM-L6-v2's transformer layers
INFERENCE_BATCH = 128  # texts per pass through the frozen layers, and per embedding pass

_STATES = [
    tf.TensorSpec([None, None, DIMENSION], tf.float32),
    tf.TensorSpec([None, None], tf.int64),
]


@dataclass
class Tuning:
    layers: dict[str, np.ndarray]  # the tuned tensors, by safetensors name
    embeddings: np.ndarray  # each text's embedding by the tuned encoder


def _pad(ids: Sequence[list[int]]) -> tuple:
    width = max(len(x) for x in ids)
    input_ids = np.zeros((len(ids), width), dtype=np.int64)
    mask = np.zeros((len(ids), width), dtype=np.int64)
    for row, tokens in enumerate(ids):
        input_ids[row, : len(tokens)] = tokens
        mask[row, : len(tokens)] = 1
    return input_ids, mask


def _pad_states(states: Sequence[np.ndarray]) -> tuple:
    width = max(len(x) for x in states)
    padded = np.zeros((len(states), width, DIMENSION), dtype=np.float32)
    mask = np.zeros((len(states), width), dtype=np.int64)
    for row, state in enumerate(states):
        padded[row, : len(state)] = state
        mask[row, : len(state)] = 1
    return padded, mask


def _batches(lengths: Sequence[int], batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled batches of similar length (sorted within chunks of 50 batches)."""
    order = rng.permutation(len(lengths))
    chunk = batch_size * 50
    batches = []
    for start in range(0, len(order), chunk):
        part = order[start : start + chunk]
        part = part[np.argsort([lengths[i] for i in part], kind="stable")]
        batches += [part[i : i + batch_size] for i in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    return batches


def _by_length(items: Sequence, run: Callable[[list], np.ndarray]) -> list[np.ndarray]:
    """`run` over length-sorted batches of items; each item's row of the result,
    cut to the item's length when the result has a length axis."""
    order = np.argsort([len(x) for x in items], kind="stable")
    rows: list[np.ndarray] = [np.zeros(0)] * len(items)
    for start in range(0, len(order), INFERENCE_BATCH):
        batch = order[start : start + INFERENCE_BATCH]
        result = run([items[i] for i in batch])
        for row, i in enumerate(batch):
            rows[i] = result[row, : len(items[i])] if result.ndim == 3 else result[row]
    return rows


def fine_tune(
    encoder: Encoder,
    texts: Sequence[str],
    labels: Sequence[str],
    epochs: int,
    batch_size: int = 32,
    learning_rate: float = 1e-4,
    layers: int = LAYERS,
    seed: int = 0,
) -> Tuning:
    """The top `layers` transformer layers' tensors after `epochs` of intent
    classification, and the texts' embeddings with them."""
    tf.random.set_seed(seed)
    rng = np.random.default_rng(seed)
    classes = sorted(set(labels))
    targets = np.array([classes.index(label) for label in labels], dtype=np.int32)
    ids = [
        x[: MAX_TRAINING_TOKENS - 1] + [x[-1]] if len(x) > MAX_TRAINING_TOKENS else x
        for x in encoder.tokenizer.encode_batch(texts)
    ]
    model = _TrainableBert(encoder.weights, tuned_layers=layers)
    states = model.lower_states(ids)

    frozen = model.embed(states)
    centroids = np.stack([frozen[targets == c].mean(axis=0) for c in range(len(classes))])
    head = tf.Variable(centroids / np.linalg.norm(centroids, axis=1, keepdims=True))

    steps = epochs * math.ceil(len(ids) / batch_size)
    optimizer = tf.keras.optimizers.AdamW(
        learning_rate=_WarmupLinear(learning_rate, steps, max(1, int(WARMUP_SHARE * steps))),
        weight_decay=0.01,
    )
    variables = list(model.trainable.values()) + [head]
    loss_of = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function(input_signature=[*_STATES, tf.TensorSpec([None], tf.int32)])
    def step(lower: tf.Tensor, mask: tf.Tensor, target: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            embedding = model.upper(lower, mask, training=True)
            logits = HEAD_SCALE * tf.matmul(
                embedding, tf.math.l2_normalize(head, axis=1), transpose_b=True
            )
            loss = loss_of(target, logits)
        # TensorFlow's autograph rewrites zip() and knows no strict=
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))  # noqa: B905
        return loss

    for epoch in range(epochs):
        losses = [
            float(step(*_pad_states([states[i] for i in batch]), targets[batch]))
            for batch in _batches([len(x) for x in ids], batch_size, rng)
        ]
        logger.info("MiniLM fine-tuning epoch %d/%d: loss %.4f", epoch + 1, epochs, np.mean(losses))
    return Tuning(
        {name: variable.numpy() for name, variable in model.trainable.items()},
        model.embed(states),
    )


class _WarmupLinear(tf.keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up to the peak rate, then linear decay to zero."""

    def __init__(self, peak: float, total: int, warmup: int) -> None:
        self.peak, self.total, self.warmup = peak, float(total), float(warmup)

    def __call__(self, step: tf.Tensor) -> tf.Tensor:
        step = tf.cast(step, tf.float32)
        return self.peak * tf.minimum(
            step / self.warmup,
            tf.maximum(0.0, (self.total - step) / max(1.0, self.total - self.warmup)),
        )


class _TrainableBert:
    """BERT forward pass with mean pooling and L2 norm, in two parts: `lower` (the
    embeddings and the frozen layers, constants) and `upper` (the top
    `tuned_layers` layers, `tf.Variable`s, then the pooling)."""

    def __init__(
        self,
        weights: dict[str, np.ndarray],
        tuned_layers: int = LAYERS,
        heads: int = 12,
        dropout: float = 0.1,
    ) -> None:
        self.first_tuned = LAYERS - tuned_layers
        self.trainable = {k: tf.Variable(v) for k, v in weights.items() if self._tuned(k)}
        self.frozen = {
            k: tf.constant(v)
            for k, v in weights.items()
            if k.startswith(("embeddings.", "encoder."))
            and not self._tuned(k)
            and not k.endswith("position_ids")
        }
        self.heads, self.dropout = heads, dropout
        # The frozen part runs once per text: onnxruntime runs it in about half
        # TensorFlow's CPU time (a test checks they agree).
        self._lower_session = onnx_session(
            build_onnx(weights, layers=self.first_tuned, heads=heads, pooled=False), threads=0
        )
        self._embed = tf.function(
            lambda lower, mask: self.upper(lower, mask, training=False), input_signature=_STATES
        )

    def _tuned(self, name: str) -> bool:
        return name.startswith("encoder.layer.") and int(name.split(".")[2]) >= self.first_tuned

    def lower_states(self, ids: Sequence[list[int]]) -> list[np.ndarray]:
        """Each token list's hidden states below the tuned layers, [tokens, 384]."""

        def run(batch: list[list[int]]) -> np.ndarray:
            input_ids, mask = _pad(batch)
            feed = {"input_ids": input_ids, "attention_mask": mask}
            return self._lower_session.run(["hidden_states"], feed)[0]

        return _by_length(ids, run)

    def embed(self, states: Sequence[np.ndarray]) -> np.ndarray:
        """The embeddings of `lower_states`' output by the layers as they are now."""
        return np.stack(_by_length(states, lambda batch: self._embed(*_pad_states(batch)).numpy()))

    def _get(self, name: str):
        return self.trainable[name] if name in self.trainable else self.frozen[name]

    def _norm(self, x, prefix: str):
        mean, variance = tf.nn.moments(x, axes=[-1], keepdims=True)
        return (x - mean) * tf.math.rsqrt(variance + 1e-12) * self._get(
            prefix + ".weight"
        ) + self._get(prefix + ".bias")

    def _dense(self, x, prefix: str):
        return tf.matmul(x, self._get(prefix + ".weight"), transpose_b=True) + self._get(
            prefix + ".bias"
        )

    def _drop(self, x, training: bool):
        return tf.nn.dropout(x, self.dropout) if training and self.dropout else x

    def _layers(self, x, mask, layers: range, training: bool):
        heads = self.heads
        head_dim = DIMENSION // heads
        batch, length = tf.shape(x)[0], tf.shape(x)[1]
        bias = (1.0 - tf.cast(mask, tf.float32))[:, None, None, :] * -1e9

        def split(t):
            return tf.transpose(tf.reshape(t, [batch, length, heads, head_dim]), [0, 2, 1, 3])

        for i in layers:
            p = f"encoder.layer.{i}."
            q, k, v = (
                split(self._dense(x, p + "attention.self." + n)) for n in ("query", "key", "value")
            )
            scores = tf.nn.softmax(tf.matmul(q, k, transpose_b=True) / head_dim**0.5 + bias, -1)
            context = tf.reshape(
                tf.transpose(self._drop(scores, training) @ v, [0, 2, 1, 3]),
                [batch, length, DIMENSION],
            )
            h = self._norm(
                self._drop(self._dense(context, p + "attention.output.dense"), training) + x,
                p + "attention.output.LayerNorm",
            )
            f = self._dense(
                tf.nn.gelu(self._dense(h, p + "intermediate.dense"), approximate=False),
                p + "output.dense",
            )
            x = self._norm(self._drop(f, training) + h, p + "output.LayerNorm")
        return x

    def lower(self, input_ids, mask):
        """Hidden states after the embeddings and the frozen layers (no dropout)."""
        length = tf.shape(input_ids)[1]
        x = (
            tf.gather(self._get("embeddings.word_embeddings.weight"), input_ids)
            + self._get("embeddings.position_embeddings.weight")[None, :length]
            + self._get("embeddings.token_type_embeddings.weight")[0]
        )
        x = self._norm(x, "embeddings.LayerNorm")
        return self._layers(x, mask, range(self.first_tuned), training=False)

    def upper(self, lower, mask, training: bool = False):
        """The tuned layers over `lower`'s states, mean-pooled and L2-normalised."""
        x = self._layers(lower, mask, range(self.first_tuned, LAYERS), training)
        mask = tf.cast(mask, tf.float32)
        pooled = tf.reduce_sum(x * mask[..., None], 1) / tf.maximum(
            tf.reduce_sum(mask, 1, keepdims=True), 1e-9
        )
        return tf.math.l2_normalize(pooled, axis=1, epsilon=1e-24)

    def __call__(self, input_ids, mask, training: bool = False):
        return self.upper(self.lower(input_ids, mask), mask, training)
