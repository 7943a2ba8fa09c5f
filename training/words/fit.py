"""Softmax regression on sentence vectors, in numpy: small enough to train on 2 cores in seconds."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from words.encoder import encode

CACHE = Path(os.environ.get("HARU_WORDS_CACHE", Path.home() / ".cache" / "haru-words"))


def vectors(texts: list[str], batch: int = 256) -> np.ndarray:
    """Encoder vectors for ``texts``, kept in a local cache (outside the repo) keyed by their content."""
    key = hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:20]
    path = CACHE / f"{key}.npy"
    if path.is_file():
        return np.load(path)
    out = np.concatenate([encode(texts[i:i + batch]) for i in range(0, len(texts), batch)])
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, out)
    return out


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def train_softmax(x: np.ndarray, targets: np.ndarray, weights: np.ndarray | None = None, l2: float = 1e-4,
                  steps: int = 600, lr: float = 0.05, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Weights ``w`` (dim x classes) and bias ``b`` minimising weighted soft cross-entropy + L2 (Adam)."""
    rng = np.random.default_rng(seed)
    n, d = x.shape
    k = targets.shape[1]
    sample_w = np.ones(n, np.float32) if weights is None else weights.astype(np.float32)
    sample_w = sample_w / sample_w.sum()
    w = rng.normal(0, 0.01, (d, k)).astype(np.float32)
    b = np.zeros(k, np.float32)
    m = [np.zeros_like(w), np.zeros_like(b)]
    v = [np.zeros_like(w), np.zeros_like(b)]
    for step in range(1, steps + 1):
        p = softmax(x @ w + b)
        g = (p - targets) * sample_w[:, None]
        grads = [x.T @ g + l2 * w, g.sum(axis=0)]
        for i, (param, grad) in enumerate(zip((w, b), grads)):
            m[i] = 0.9 * m[i] + 0.1 * grad
            v[i] = 0.999 * v[i] + 0.001 * grad * grad
            param -= lr * (m[i] / (1 - 0.9 ** step)) / (np.sqrt(v[i] / (1 - 0.999 ** step)) + 1e-8)
    return w, b


def balanced_weights(labels: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """Per-sample weights giving every label (within every group, if given) the same total weight."""
    groups = np.zeros(len(labels), int) if groups is None else groups
    out = np.zeros(len(labels), np.float32)
    for g in np.unique(groups):
        in_group = groups == g
        present = np.unique(labels[in_group])
        for label in present:
            pick = in_group & (labels == label)
            out[pick] = 1.0 / (pick.sum() * len(present))
    return out


def macro_f1(truth: np.ndarray, predicted: np.ndarray, classes: int) -> tuple[float, list[float]]:
    """Macro-F1 over the classes present in ``truth`` and the per-class F1 (nan where absent)."""
    scores = []
    for c in range(classes):
        tp = np.sum((predicted == c) & (truth == c))
        fp = np.sum((predicted == c) & (truth != c))
        fn = np.sum((predicted != c) & (truth == c))
        scores.append(float(2 * tp / (2 * tp + fp + fn)) if (tp + fn) else float("nan"))
    return float(np.nanmean(scores)), scores
