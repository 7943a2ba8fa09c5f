"""The feeling of the words, as probabilities over the face model's seven labels.

A softmax layer on sentence vectors, trained on GoEmotions (English, official Ekman mapping) and KOTE
(Korean, mapped as in docs/words.md) by ``python -m training.words.feelings``; only its weights ship.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from words.encoder import encode
from words.types import LABELS, UNHAPPY, Feeling

WEIGHTS = Path(__file__).resolve().parent / "weights" / "feelings.npz"
# Clause breaks where a second feeling often starts: sentence ends, "but / though", "-지만 / -는데".
_CLAUSES = re.compile(r"(?<=[.!?…])\s+|\n+|,?\s+(?:but|though|although|yet)\s+|(?<=지만)\s*|(?<=는데)\s+", re.I)
_POSITIVE = ("happy",)
_UNHAPPY_COLUMNS = [LABELS.index(label) for label in UNHAPPY]


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


def unhappy_shares(texts: list[str]) -> np.ndarray:
    """How much of each whole text's feeling is angry, disgusted, afraid or sad."""
    return feeling_probs(texts)[:, _UNHAPPY_COLUMNS].sum(axis=1)


def read_feeling(text: str) -> Feeling | None:
    """What the words feel like; None when there are no words."""
    if not text or not text.strip():
        return None
    clauses = [c.strip() for c in _CLAUSES.split(text.strip()) if c and c.strip()]
    rows = feeling_probs([text.strip()] + (clauses if len(clauses) > 1 else []))
    probs = {label: float(p) for label, p in zip(LABELS, rows[0])}
    label = LABELS[int(rows[0].argmax())]
    leanings = [_leaning(dict(zip(LABELS, row))) for row in rows[1:]]
    mixed = {1, -1} <= set(leanings)
    return Feeling(label=label, probs=probs, confidence=probs[label], mixed=mixed,
                   closing=leanings[-1] if mixed else 0)


def _leaning(probs: dict[str, float]) -> int:
    """+1 / -1 when a clause's strongest valenced feeling is happy / unhappy and at least 0.25, else 0."""
    label = max(_POSITIVE + UNHAPPY, key=probs.__getitem__)
    if probs[label] < 0.25:
        return 0
    return 1 if label in _POSITIVE else -1
