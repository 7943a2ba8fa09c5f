from __future__ import annotations

import os
from pathlib import Path

import pytest

from testkit import SHARED_DATA, require

# Keep every test process off the network and out of the user's real data dir.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    require(SHARED_DATA.is_dir(), f"shared data folder not found at {SHARED_DATA}")
    return SHARED_DATA
