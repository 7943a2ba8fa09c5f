"""Photo or webcam frame -> :class:`EmotionReading`, and pre-cropped faces -> readings."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from core.config import AppConfig
from vision.classifier import EmotionClassifier, default_classifier, to_face48
from vision.detect import HaarFaceDetector, crop_face, to_grey
from vision.io import ImageInput, array_to_rgb, load_rgb
from vision.types import LABELS, BadImageError, ClassifierChoice, EmotionReading, NoFaceError

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def default_detector() -> HaarFaceDetector:
    return HaarFaceDetector()


def _ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000


def _reading(p: np.ndarray, classifier: EmotionClassifier, **extra) -> EmotionReading:
    i = int(p.argmax())
    return EmotionReading(label=LABELS[i], probs=dict(zip(LABELS, map(float, p))), confidence=float(p[i]),
                          model=classifier.label, **extra)


def read_emotion(image: ImageInput, *, classifier: EmotionClassifier | None = None,
                 detector: HaarFaceDetector | None = None, choice: ClassifierChoice = ClassifierChoice(),
                 max_upload_mb: int = AppConfig.max_upload_mb) -> EmotionReading:
    """Emotion of the largest face in a photo or frame (path, bytes, PIL image or array).

    ``classifier`` defaults to the model ``choice`` names; files over ``max_upload_mb`` are refused.
    Raises :class:`BadImageError` for unusable input and :class:`NoFaceError`
    when no face is found — never a guess.
    """
    classifier = classifier or default_classifier(choice)
    detector = detector or default_detector()
    t_start = time.perf_counter()
    grey = to_grey(load_rgb(image, max_upload_mb=max_upload_mb))
    t_detect = time.perf_counter()
    timings = {"decode": _ms(t_start)}
    boxes = detector.detect(grey)
    if not boxes:
        raise NoFaceError()
    timings["detect"] = _ms(t_detect)
    t_align = time.perf_counter()
    face = detector.align(grey, boxes[0])
    crop = crop_face(grey, face)
    timings["align"] = _ms(t_align)
    t_classify = time.perf_counter()
    p = classifier.probs(crop[None])[0]
    timings["classify"] = _ms(t_classify)
    timings["total"] = _ms(t_start)
    if len(boxes) > 1:
        log.debug("%d faces found, using the largest", len(boxes))
    return _reading(p, classifier, box=face.box, faces_found=len(boxes), timings_ms=timings)


def classify_faces(faces: Sequence[np.ndarray], *, classifier: EmotionClassifier | None = None,
                   choice: ClassifierChoice = ClassifierChoice()) -> list[EmotionReading]:
    """Readings for already-cropped faces (grey H x W or RGB H x W x 3 arrays, any size), in one batch."""
    classifier = classifier or default_classifier(choice)
    if isinstance(faces, np.ndarray) and faces.ndim == 2:
        raise BadImageError("Pass a list of face images, not a single image.",
                            "얼굴 이미지 하나가 아니라 목록을 넘겨 주세요.")
    crops = []
    for face in faces:
        if not isinstance(face, np.ndarray) or face.size == 0:
            raise BadImageError("Each face must be a non-empty image array.",
                                "각 얼굴은 비어 있지 않은 이미지 배열이어야 해요.")
        crops.append(to_face48(to_grey(array_to_rgb(face))))
    if not crops:
        return []
    t0 = time.perf_counter()
    probs = classifier.probs(np.stack(crops))
    per_face = _ms(t0) / len(crops)
    return [_reading(p, classifier, box=None, faces_found=1, timings_ms={"classify": per_face})
            for p in probs]


def warmup(choice: ClassifierChoice = ClassifierChoice()) -> None:
    """Load the model ``choice`` names and the detector and run each once, so the first user does not wait."""
    classifier, detector = default_classifier(choice), default_detector()
    blank = np.full((240, 320), 128, np.uint8)
    detector.detect(blank)
    classifier.probs(blank[None, :48, :48])
