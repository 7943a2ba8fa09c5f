"""Shared fixtures for the vision tests: the shipped model and real faces from ../shared/data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vision.api import default_detector
from vision.classifier import default_classifier

# Peak frames of CK+ sequences whose smile is unmistakable (subjects picked at random from the happy folder).
HAPPY_CKPLUS = ("S010_006_00000015.png", "S011_006_00000013.png")


@pytest.fixture(scope="session")
def classifier():
    return default_classifier()


@pytest.fixture(scope="session")
def detector():
    return default_detector()


@pytest.fixture(scope="session")
def jaffe_dir(shared_data) -> Path:
    return shared_data / "jaffe"


@pytest.fixture(scope="session")
def jaffe_happy(jaffe_dir) -> Path:
    return sorted((jaffe_dir / "happy").glob("*.tiff"))[0]


@pytest.fixture(scope="session")
def jaffe_rgb(jaffe_happy) -> np.ndarray:
    """A JAFFE photo as an RGB 640x480 frame: the face pasted on a mid-grey background, like a webcam shot."""
    face = np.asarray(Image.open(jaffe_happy).convert("RGB"))
    frame = np.full((480, 640, 3), 120, np.uint8)
    frame[112:368, 192:448] = face
    return frame


@pytest.fixture(scope="session")
def ckplus_happy(shared_data) -> list[np.ndarray]:
    return [np.asarray(Image.open(shared_data / "ckplus48" / "happy" / name)) for name in HAPPY_CKPLUS]


@pytest.fixture(scope="session")
def ckplus_faces(shared_data) -> list[np.ndarray]:
    """One 48x48 grey crop per CK+ class folder."""
    folders = sorted(p for p in (shared_data / "ckplus48").iterdir() if p.is_dir())
    return [np.asarray(Image.open(sorted(f.glob("*.png"))[0])) for f in folders]
