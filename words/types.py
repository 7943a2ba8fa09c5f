"""Values the words stage hands to other stages."""

from __future__ import annotations

from dataclasses import dataclass

# The face model's labels in its order: the words speak the same seven feelings.
LABELS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
UNHAPPY: tuple[str, ...] = ("angry", "disgust", "fear", "sad")


@dataclass(frozen=True)
class Feeling:
    """What the words feel like: the most likely of :data:`LABELS` and every label's probability."""
    label: str
    probs: dict[str, float]          # over LABELS, sums to 1
    confidence: float                # probs[label]
    mixed: bool = False              # one clause reads happy and another unhappy ("..., but ...")
    closing: int = 0                 # when mixed: +1 / -1 if the last clause reads happy / unhappy
