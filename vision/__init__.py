"""Vision stage: emotion from a face photo or webcam frame.

>>> reading = vision.read_emotion("photo.jpg")      # doctest: +SKIP
>>> reading.label, reading.confidence, reading.box    # doctest: +SKIP

Models load lazily on first use (or in :func:`warmup`): the one a :class:`ClassifierChoice`
names, or pass ``classifier=`` / ``detector=`` to use others. The names that need torch or OpenCV are imported on
first access, so ``import vision`` (and starting the app) does not pay for them.
"""

import importlib

from vision.smooth import EmotionSmoother
from vision.types import LABELS, BadImageError, ClassifierChoice, EmotionReading, NoFaceError

_DEFERRED = {
    "classify_faces": "vision.api",
    "read_emotion": "vision.api",
    "warmup": "vision.api",
    "EmotionClassifier": "vision.classifier",
    "HaarFaceDetector": "vision.detect",
}

__all__ = [
    "LABELS",
    "BadImageError",
    "ClassifierChoice",
    "EmotionClassifier",
    "EmotionReading",
    "EmotionSmoother",
    "HaarFaceDetector",
    "NoFaceError",
    "classify_faces",
    "read_emotion",
    "warmup",
]


def __getattr__(name: str):
    if name in _DEFERRED:
        return getattr(importlib.import_module(_DEFERRED[name]), name)
    raise AttributeError(f"module 'vision' has no attribute {name!r}")
