"""A short load run as a test: 20 people each send one turn at the same moment to the real app.

No timing is asserted (bench/bench_load.py measures that); what must hold is that every turn is
answered without an error, every saved entry is in its author's export, and no one sees another's.
"""

from __future__ import annotations

import pytest

from testkit.fake_llm_server import FakeLLMServer
from testkit.load import USERS, fake_llm_reply, simulate, start_load_app

pytestmark = pytest.mark.slow


def test_twenty_people_at_once_lose_nothing(tmp_path):
    with FakeLLMServer(default=fake_llm_reply()) as llm:
        server = start_load_app(tmp_path / "app", llm.openai_url)
        try:
            result = simulate(server.url, USERS, duration_s=600, max_turns=1)
        finally:
            server.stop()
    assert result.turns == USERS and len(result.latencies_s) == USERS
    assert not result.errors, result.errors
    assert result.lost_rows == 0 and result.foreign_rows == 0
    assert "Traceback" not in server.log_tail(100_000)
