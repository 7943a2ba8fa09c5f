"""Steadier labels for live webcam streams.

Single frames flicker between neighbouring expressions (a blink reads as
"sad", a half smile as "neutral"). :class:`EmotionSmoother` keeps an
exponential moving average of the probabilities; frames without a face are
skipped, and after ``max_gap`` of them in a row the history is forgotten, so
a new person or a long look away starts fresh.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from vision.types import LABELS, EmotionReading


class EmotionSmoother:
    """``alpha`` is the weight of the newest frame (0.3 ~ the last 5-6 frames count)."""

    def __init__(self, alpha: float = 0.3, max_gap: int = 10) -> None:
        if not 0 < alpha <= 1:
            raise ValueError("alpha must be in (0, 1]")
        self.alpha = alpha
        self.max_gap = max_gap
        self._avg: np.ndarray | None = None
        self._gap = 0

    def reset(self) -> None:
        self._avg = None
        self._gap = 0

    def update(self, reading: EmotionReading | None) -> EmotionReading | None:
        """Feed one frame's reading (None when no face was found); returns the smoothed reading."""
        if reading is None:
            self._gap += 1
            if self._gap > self.max_gap:
                self.reset()
            return None
        self._gap = 0
        p = np.array([reading.probs[k] for k in LABELS])
        self._avg = p if self._avg is None else self.alpha * p + (1 - self.alpha) * self._avg
        avg = self._avg / self._avg.sum()
        label = LABELS[int(avg.argmax())]
        return replace(reading, label=label, probs=dict(zip(LABELS, avg.tolist())), confidence=float(avg.max()))
