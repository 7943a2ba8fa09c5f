from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("HARU_SHARED_DATA", REPO.parent / "shared" / "data"))

# Keep every test process off the network and out of the user's real data dir.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def require(condition: bool, reason: str) -> None:
    """Skip when an optional system part is missing; in CI (HARU_REQUIRE_ALL=1) fail instead."""
    if condition:
        return
    if os.environ.get("HARU_REQUIRE_ALL") == "1":
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    require(SHARED_DATA.is_dir(), f"shared data folder not found at {SHARED_DATA}")
    return SHARED_DATA
