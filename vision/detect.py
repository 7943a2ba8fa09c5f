"""Face detection, eye-level alignment and the FER-style crop.

Detector: OpenCV's Haar cascades (``haarcascade_frontalface_default``; they
ship inside ``opencv-python-headless<5``, Intel's BSD-style licence). OpenCV's
DNN detector (YuNet) would need a model file that no PyPI package ships, and
mediapipe would add ~35 MB and a pinned protobuf for the same job; the Haar
cascade finds the face in every JAFFE image (see ``python -m training.vision.evaluate``)
and takes a few milliseconds on a 640x480 frame after downscaling.

Crop: the model learned from FER2013, whose 48x48 crops are about 1.2 times as
wide as the box the same cascade draws on them (docs/vision.md), centred on
it. So every detected face is cut out the same way: rotated so the eyes are
level (when the eye cascade finds both eyes), square, ``CROP_SCALE`` times the
box, resized to 48x48 grey.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from vision.preprocess import FACE_SIZE

CROP_SCALE = 1.2
MAX_EYE_TILT_DEG = 30.0


@lru_cache(maxsize=None)
def _cascade(name: str) -> cv2.CascadeClassifier:
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + name)
    if cascade.empty():
        raise RuntimeError(f"OpenCV cascade {name} is missing from this opencv install")
    return cascade


@dataclass(frozen=True)
class Face:
    box: tuple[int, int, int, int]          # x, y, w, h in the input image
    eye_angle_deg: float | None = None      # tilt that was undone; None when the eyes were not found


class HaarFaceDetector:
    """Frontal faces in a grey image, largest first.

    ``max_side``: the image is shrunk so its longer side is at most this before
    detection (a face filling a tenth of a webcam frame is still ~30 px there),
    which is what makes it fast; boxes are mapped back to the input.
    """

    def __init__(self, *, max_side: int = 320, min_face_frac: float = 0.12, scale_factor: float = 1.15,
                 min_neighbors: int = 5) -> None:
        self.max_side = max_side
        self.min_face_frac = min_face_frac
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors
        # CascadeClassifier objects are shared through the cache; detectMultiScale is not documented
        # as thread-safe and the web app serves several users at once.
        self._lock = threading.Lock()

    def detect(self, grey: np.ndarray) -> list[tuple[int, int, int, int]]:
        """Face boxes (x, y, w, h), largest first."""
        h, w = grey.shape
        factor = min(1.0, self.max_side / max(h, w))
        small = cv2.resize(grey, (round(w * factor), round(h * factor)), interpolation=cv2.INTER_AREA) \
            if factor < 1 else grey
        small = cv2.equalizeHist(small)
        side = max(20, int(self.min_face_frac * min(small.shape)))
        with self._lock:
            found = _cascade("haarcascade_frontalface_default.xml").detectMultiScale(
                small, scaleFactor=self.scale_factor, minNeighbors=self.min_neighbors, minSize=(side, side))
        boxes = [tuple(int(round(v / factor)) for v in b) for b in found]
        boxes.sort(key=lambda b: b[2] * b[3], reverse=True)
        return boxes

    def align(self, grey: np.ndarray, box: tuple[int, int, int, int]) -> Face:
        """``box`` with the tilt of its eyes, found only for the face we will use (eye search costs)."""
        return Face(box=box, eye_angle_deg=self.eye_angle(grey, box))

    def eye_angle(self, grey: np.ndarray, box: tuple[int, int, int, int]) -> float | None:
        """Angle of the line through both eyes, searched in the upper half of the face."""
        x, y, w, h = box
        upper = grey[y:y + h * 11 // 20, x:x + w]
        scale = min(1.0, 120 / max(1, w))  # eyes are found just as well on a 120 px wide face
        if scale < 1:
            upper = cv2.resize(upper, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        eye_min, eye_max = max(8, int(upper.shape[1] * 0.15)), int(upper.shape[1] * 0.4)
        with self._lock:
            eyes = _cascade("haarcascade_eye.xml").detectMultiScale(
                upper, scaleFactor=1.15, minNeighbors=5, minSize=(eye_min, eye_min), maxSize=(eye_max, eye_max))
        mid = upper.shape[1] / 2
        centres = [(ex + ew / 2, ey + eh / 2, ew * eh) for ex, ey, ew, eh in eyes]
        left = [c for c in centres if c[0] < mid]
        right = [c for c in centres if c[0] >= mid]
        if not left or not right:
            return None
        (lx, ly, _), (rx, ry, _) = max(left, key=lambda c: c[2]), max(right, key=lambda c: c[2])
        angle = math.degrees(math.atan2(ry - ly, rx - lx))
        return angle if abs(angle) <= MAX_EYE_TILT_DEG else None


def crop_face(grey: np.ndarray, face: Face, size: int = FACE_SIZE) -> np.ndarray:
    """Square, eye-levelled, FER-style crop around ``face`` as ``size`` x ``size`` uint8."""
    x, y, w, h = face.box
    side = CROP_SCALE * max(w, h)
    # Shrink big faces with area averaging first; a single affine warp would alias.
    pre = max(1.0, side / (2 * size))
    if pre > 1:
        grey = cv2.resize(grey, (max(1, round(grey.shape[1] / pre)), max(1, round(grey.shape[0] / pre))),
                          interpolation=cv2.INTER_AREA)
    cx, cy, side = (x + w / 2) / pre, (y + h / 2) / pre, side / pre
    matrix = cv2.getRotationMatrix2D((cx, cy), face.eye_angle_deg or 0.0, size / side)
    matrix[:, 2] += (size / 2 - cx, size / 2 - cy)
    return cv2.warpAffine(grey, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def to_grey(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
