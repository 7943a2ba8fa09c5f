"""Face detection and alignment on real JAFFE photos."""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from vision.detect import crop_face
from tests.vision_fixtures import detector, jaffe_dir  # noqa: F401


def jaffe_grey(jaffe_dir, n: int = 6) -> list[np.ndarray]:
    """One image of each of the first ``n`` classes."""
    folders = sorted(p for p in jaffe_dir.iterdir() if p.is_dir())[:n]
    return [np.asarray(Image.open(sorted(f.glob("*.tiff"))[0]).convert("L")) for f in folders]


def test_one_face_per_jaffe_photo_centred(jaffe_dir, detector):
    for grey in jaffe_grey(jaffe_dir):
        boxes = detector.detect(grey)
        assert len(boxes) >= 1
        x, y, w, h = boxes[0]
        assert 60 < w < 230 and abs((x + w / 2) - 128) < 40


def test_tilted_head_is_levelled(jaffe_dir, detector):
    grey = jaffe_grey(jaffe_dir, 1)[0]
    upright = detector.align(grey, detector.detect(grey)[0])
    centre = (128, 128)
    tilted = cv2.warpAffine(grey, cv2.getRotationMatrix2D(centre, 12, 1.0), (256, 256),
                            borderMode=cv2.BORDER_REPLICATE)
    face = detector.align(tilted, detector.detect(tilted)[0])
    assert face.eye_angle_deg is not None and upright.eye_angle_deg is not None
    # Rotating the picture by +12 deg (counter-clockwise) tilts the eye line by -12 deg.
    assert abs((face.eye_angle_deg - upright.eye_angle_deg) + 12) < 5
    a = crop_face(grey, upright).astype(np.float64)
    b = crop_face(tilted, face).astype(np.float64)
    # After alignment both crops show the same face the same way up.
    assert np.corrcoef(a.ravel(), b.ravel())[0, 1] > 0.8
    assert a.shape == b.shape == (48, 48)
