"""The feeling of the words, as probabilities over the face model's seven labels.

A softmax layer on sentence vectors, trained on GoEmotions (English, official Ekman mapping) and KOTE
(Korean, mapped as in docs/words.md) by ``python -m words.training.feelings``; only its weights ship.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from words.encoder import encode
from words.types import LABELS, Feeling

WEIGHTS = Path(__file__).resolve().parent / "weights" / "feelings.npz"


@lru_cache(maxsize=1)
def _layer() -> tuple[np.ndarray, np.ndarray]:
    with np.load(WEIGHTS) as z:
        return z["w"], z["b"]


def feeling_probs(texts: list[str]) -> np.ndarray:
    """One row of probabilities over :data:`LABELS` per text (one encoder call for all of them)."""
    w, b = _layer()
    z = encode(texts) @ w + b
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def read_feeling(text: str) -> Feeling | None:
    """What the words feel like; None when there are no words."""
    if not text or not text.strip():
        return None
    row = feeling_probs([text.strip()])[0]
    probs = {label: float(p) for label, p in zip(LABELS, row)}
    label = LABELS[int(row.argmax())]
    return Feeling(label=label, probs=probs, confidence=probs[label])
