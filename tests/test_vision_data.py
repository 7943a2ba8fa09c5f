"""The committed subject-disjoint splits, the packed training data, and the photo evaluation path."""

from __future__ import annotations

import numpy as np
import pytest

from training.vision.data import POSED_SETS, load_splits, make_splits


@pytest.mark.parametrize("name", list(POSED_SETS))
def test_splits_are_subject_disjoint_and_reproducible(name, shared_data):
    committed = load_splits()
    assert committed[name] == make_splits(committed["seed"], committed["test_fraction"])[name]
    train, test = set(committed[name]["train"]), set(committed[name]["test"])
    assert train and test and not train & test
    posed = POSED_SETS[name]()
    assert set(posed.subjects) <= train | test
    assert set(posed.part("train").subjects).isdisjoint(posed.part("test").subjects)
    assert len(posed.part("train")) + len(posed.part("test")) == len(posed)


def test_webp_mosaics_round_trip(tmp_path, shared_data):
    from training.vision.data import load_fer
    from training.vision.pack import _decode_mosaics, _encode_mosaics

    faces = load_fer("PublicTest").images[:1100]  # two mosaics, the second one part-filled
    _encode_mosaics(faces, tmp_path, "t")
    back = _decode_mosaics(tmp_path, "t", len(faces))
    assert back.shape == faces.shape
    assert np.sqrt(((back.astype(float) - faces) ** 2).mean()) < 5  # lossy, ~3.4 grey levels RMS
    colour = np.repeat(faces[:40, ..., None], 3, -1)
    _encode_mosaics(colour, tmp_path, "c")
    assert _decode_mosaics(tmp_path, "c", 40, "RGB").shape == colour.shape


def test_photo_evaluation_sees_what_read_emotion_sees(shared_data):
    """evaluate_photos classifies posed_crops in a batch; each crop is exactly what read_emotion classifies."""
    from training.vision.data import posed_crops
    from vision.api import read_emotion
    from vision.classifier import default_classifier

    posed = POSED_SETS["faces_real"]()
    crops = posed_crops(posed)
    classifier = default_classifier()
    for i in np.flatnonzero(crops.found)[:: len(posed) // 4][:4]:
        reading = read_emotion(posed.paths[i], classifier=classifier)
        batched = classifier.probs(crops.grey[i:i + 1])[0]
        assert np.allclose([reading.probs[k] for k in reading.probs], batched, atol=1e-6)
