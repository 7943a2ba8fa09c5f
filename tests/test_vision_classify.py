"""classify_faces on real pre-cropped faces, the shipped model's sanity, and the webcam smoother."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from vision import LABELS, BadImageError, EmotionSmoother, classify_faces
from tests.vision_fixtures import ckplus_faces, ckplus_happy, classifier  # noqa: F401


def test_batch_gives_one_calibrated_reading_per_face(ckplus_faces, classifier):
    faces = [ckplus_faces[0],                                              # 48x48 grey
             np.asarray(Image.fromarray(ckplus_faces[1]).resize((131, 97))),  # any size
             np.repeat(ckplus_faces[2][:, :, None], 3, axis=2)]             # RGB
    readings = classify_faces(faces, classifier=classifier)
    assert len(readings) == len(faces)
    for r in readings:
        assert tuple(r.probs) == LABELS
        assert sum(r.probs.values()) == pytest.approx(1.0, abs=1e-6)
        assert r.confidence == max(r.probs.values()) == r.probs[r.label]
        assert r.box is None and r.faces_found == 1
        assert r.timings_ms["classify"] > 0


def test_batch_equals_one_by_one_and_grey_equals_rgb(ckplus_faces, classifier):
    batch = classify_faces(ckplus_faces, classifier=classifier)
    for face, in_batch in zip(ckplus_faces, batch):
        alone = classify_faces([np.repeat(face[:, :, None], 3, axis=2)], classifier=classifier)[0]
        assert alone.label == in_batch.label
        for k in LABELS:
            assert alone.probs[k] == pytest.approx(in_batch.probs[k], abs=0.02)


def test_clearly_happy_ckplus_faces_are_read_as_happy(ckplus_happy, classifier):
    for r in classify_faces(ckplus_happy, classifier=classifier):
        assert r.label == "happy"
        assert r.confidence > 0.5


def test_empty_list_and_bad_faces(classifier):
    assert classify_faces([], classifier=classifier) == []
    with pytest.raises(BadImageError):
        classify_faces([np.zeros((0, 0), np.uint8)], classifier=classifier)
    with pytest.raises(BadImageError):
        classify_faces(np.zeros((48, 48), np.uint8), classifier=classifier)


def test_smoother_ignores_a_single_odd_frame_and_forgets_after_a_gap(ckplus_happy, ckplus_faces, classifier):
    happy = classify_faces(ckplus_happy[:1], classifier=classifier)[0]
    other = next(r for r in classify_faces(ckplus_faces, classifier=classifier) if r.label != "happy")
    smoother = EmotionSmoother(alpha=0.3, max_gap=2)
    for _ in range(5):
        smoothed = smoother.update(happy)
    assert smoothed.label == "happy"
    one_off = smoother.update(other)
    assert one_off.label == "happy"          # one odd frame does not flip the label
    assert sum(one_off.probs.values()) == pytest.approx(1.0)
    for _ in range(10):
        smoothed = smoother.update(other)
    assert smoothed.label == other.label      # a lasting change does
    for _ in range(3):
        assert smoother.update(None) is None  # no face: nothing to show
    assert smoother.update(happy).label == "happy"  # history forgotten after the gap
