"""Load: 20 simulated people talking to one app at once, through its HTTP API, for a bounded time.

``python -m bench.bench_load [--quick]`` prints the rows; ``python -m bench`` collects them.
``python -m bench.bench_load --replicas`` runs the same load through 1 and then 2 app replicas on one
PostgreSQL (DATABASE_URL) and one model server, for the scaling factor in docs/deploy.md.
How the people are simulated and what is checked afterwards: :mod:`testkit.load`.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import Row, p50, p95
from testkit.app_server import wait_for_models
from testkit.fake_llm_server import FakeLLMServer
from testkit.load import QUICK_S, USERS, fake_llm_reply, simulate, start_load_app

FULL_S = 120.0
REPLICAS_S = 60.0          # per configuration of --replicas


def run(quick: bool = False) -> list[Row]:
    duration = QUICK_S if quick else FULL_S
    with FakeLLMServer(default=fake_llm_reply()) as llm, tempfile.TemporaryDirectory(prefix="haru-load-") as tmp:
        server = start_load_app(Path(tmp), llm.openai_url)
        try:
            wait_for_models(server.url)   # measure the app at work, not its start-up
            alone = simulate(server.url, 1, duration, max_turns=5)
            result = simulate(server.url, USERS, duration)
        finally:
            server.stop()
    latencies = list(result.latencies_s) or [float("nan")]
    note = f"{result.users} users, typed turns back to back for {duration:.0f} s, fake cloud LLM, voice off"
    return [
        Row("load", "one user alone: turn latency p50", p50(list(alone.latencies_s)), "s", "",
            "same turn, no one else on the server"),
        Row("load", "turns completed", len(result.latencies_s), "turns", "", note),
        Row("load", "turn latency p50", p50(latencies), "s", "", "queue wait included"),
        Row("load", "turn latency p95", p95(latencies), "s", "", "queue wait included"),
        Row("load", "throughput", len(result.latencies_s) / result.duration_s * 60, "turns/min", "", ""),
        Row("load", "errors", len(result.errors), "count", "0", "; ".join(sorted(set(result.errors)))[:120]),
        Row("load", "diary rows lost", result.lost_rows, "count", "0", "saved per banner, missing from export"),
        Row("load", "diary rows in the wrong account", result.foreign_rows, "count", "0", ""),
    ]


def _replicas(count: int, llm_url: str, database_url: str, tmp: Path) -> list:
    """``count`` apps on one database and one model server, started together, warmed up."""
    env = {"DATABASE_URL": database_url, "HARU_SESSION_SECRET": secrets.token_hex(32)}
    with ThreadPoolExecutor(count) as pool:
        servers = list(pool.map(lambda i: start_load_app(tmp / f"replica-{i}", llm_url, **env), range(count)))
    try:
        with ThreadPoolExecutor(count) as pool:
            list(pool.map(lambda server: wait_for_models(server.url), servers))
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return servers


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024


def run_replicas(duration_s: float = REPLICAS_S, counts: Sequence[int] = (1, 2)) -> list[Row]:
    """The same load through 1, then 2 replicas on one PostgreSQL (DATABASE_URL, a fresh schema each) and
    one fake model server; users are spread over the replicas and stay on theirs."""
    from testkit.postgres import PG_URL, postgres_schema

    if not PG_URL.startswith("postgresql"):
        raise SystemExit("bench_load --replicas needs DATABASE_URL pointing at PostgreSQL (see .ci/postgres.sh)")
    rows, rates = [], {}
    for count in counts:
        with FakeLLMServer(default=fake_llm_reply()) as llm, postgres_schema("bench") as (database_url, _), \
                tempfile.TemporaryDirectory(prefix="haru-replicas-") as tmp:
            servers = _replicas(count, llm.openai_url, database_url, Path(tmp))
            try:
                rss_idle = sum(_rss_mb(s.process.pid) for s in servers)
                cpu0 = sum(_cpu_s(s.process.pid) for s in servers)
                result = simulate([s.url for s in servers], USERS, duration_s)
                cpu = sum(_cpu_s(s.process.pid) for s in servers) - cpu0
                rss = sum(_rss_mb(s.process.pid) for s in servers)
            finally:
                for server in servers:
                    server.stop()
        latencies = list(result.latencies_s) or [float("nan")]
        rates[count] = len(result.latencies_s) / result.duration_s * 60
        note = f"{USERS} users for {duration_s:.0f} s, one PostgreSQL, fake cloud LLM, voice off"
        rows += [Row("replicas", f"{count} replica(s): throughput", rates[count], "turns/min", "", note),
                 Row("replicas", f"{count} replica(s): turn latency p50", p50(latencies), "s", "", "queue wait included"),
                 Row("replicas", f"{count} replica(s): turn latency p95", p95(latencies), "s", "", "queue wait included"),
                 Row("replicas", f"{count} replica(s): errors, lost, foreign rows",
                     len(result.errors) + result.lost_rows + result.foreign_rows, "count", "0",
                     "; ".join(sorted(set(result.errors)))[:120]),
                 Row("replicas", f"{count} replica(s): app CPU per turn", cpu / max(1, len(result.latencies_s)), "CPU-s",
                     "", "user+system time of the app processes; the 20 sign-ups and exports included"),
                 Row("replicas", f"{count} replica(s): app memory, all replicas", rss, "MB",
                     "", f"resident after the run; {rss_idle:.0f} MB warmed up and idle")]
    if len(counts) > 1:
        rows.append(Row("replicas", f"scaling {counts[0]} -> {counts[-1]} replicas", rates[counts[-1]] / rates[counts[0]],
                        "x", "", "throughput ratio; every process shares the same CPU cores"))
    return rows


if __name__ == "__main__":
    from bench.__main__ import table
    args = sys.argv[1:]
    print(table(run_replicas() if "--replicas" in args else run(quick="--quick" in args)))
