"""Test support shared by ``tests/`` and ``bench/``: the real app started the README way, a fake LLM server,
the load simulation, real media and spoken clips made on the spot, fresh PostgreSQL schemas.

``tests/`` keeps its pytest fixtures and imports these helpers; ``bench/`` imports them too, never ``tests``.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("HARU_SHARED_DATA", REPO.parent / "shared" / "data"))


def require(condition: bool, reason: str) -> None:
    """Skip when an optional system part is missing; in CI (HARU_REQUIRE_ALL=1) fail instead."""
    if condition:
        return
    import pytest   # only here: the benchmarks import testkit without pytest's machinery

    if os.environ.get("HARU_REQUIRE_ALL") == "1":
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)
