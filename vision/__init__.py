"""Vision stage: emotion from a face photo or webcam frame.

>>> reading = vision.read_emotion("photo.jpg")      # doctest: +SKIP
>>> reading.label, reading.confidence, reading.box    # doctest: +SKIP

Models load lazily on first use (or in :func:`warmup`); pass ``classifier=`` /
``detector=`` to use others.
"""

from vision.api import classify_faces, read_emotion, warmup
from vision.classifier import EmotionClassifier
from vision.detect import HaarFaceDetector
from vision.smooth import EmotionSmoother
from vision.types import LABELS, BadImageError, EmotionReading, NoFaceError

__all__ = [
    "LABELS",
    "BadImageError",
    "EmotionClassifier",
    "EmotionReading",
    "EmotionSmoother",
    "HaarFaceDetector",
    "NoFaceError",
    "classify_faces",
    "read_emotion",
    "warmup",
]
