"""Load: 20 simulated people talking to one app at once, through its HTTP API, for a bounded time.

``python -m bench.bench_load [--quick]`` prints the rows; ``python -m bench`` collects them.
``python -m bench.bench_load --replicas`` runs the same load through 1 and then 2 app replicas on one
PostgreSQL (DATABASE_URL) and one model server, for the scaling factor in docs/deploy.md.
The app runs as ``python app.py`` on loopback with a throwaway data dir; its LLM is the
OpenAI-compatible backend aimed at a loopback fake that streams like a cloud model, so the
measurement is of the app (queue, diary, songs, sessions), not of a model. Each simulated user
signs up, then sends typed turns back to back until the time is up. Afterwards every user's
export must hold exactly the entries that user was told were saved: none lost, none foreign.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import Row, p50, p95

USERS = 20
FULL_S = 120.0
QUICK_S = 20.0
REPLICAS_S = 60.0          # per configuration of --replicas
TURN_TIMEOUT_S = 300.0
SIGNUP_TIMEOUT_S = 120.0     # every user must be signed up by then, or the run fails with the reason
# Typed thoughts a diary user might send, in both languages; each gets a unique tag so rows can be matched.
LINES = ("Work was long today but lunch with Mina was nice.", "오늘은 좀 피곤했지만 산책하니까 기분이 나아졌어.",
         "I finally finished the report I was worried about.", "비가 와서 하루 종일 집에 있었어.",
         "My cat slept on my keyboard again.")
# Like a cloud model: a short wait for the first token, then a steady stream of ~4-character tokens.
REPLY_TEXT = ("That sounds like a full day. I'm glad you took a moment for yourself. "
              "Maybe a calm song tonight would help you rest.")


@dataclass
class UserLog:
    username: str
    latencies_s: list[float] = field(default_factory=list)
    saved_ids: list[int] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    export: dict = field(default_factory=dict)
    started: float = 0.0
    ended: float = 0.0


@dataclass(frozen=True)
class LoadResult:
    users: int
    duration_s: float
    latencies_s: tuple[float, ...]
    errors: tuple[str, ...]
    lost_rows: int           # entries a user was told were saved but that are missing from their export
    foreign_rows: int        # entries in a user's export that another user wrote
    turns: int


def fake_llm_reply():
    from tests.fake_llm_server import Reply
    return Reply(chunks=tuple(re.findall(r".{1,4}", REPLY_TEXT, flags=re.S)), first_delay_s=0.3,
                 tokens_per_s=200)


def start_load_app(data_dir: Path, llm_url: str, **env: str):
    """The real app, its LLM aimed at ``llm_url``, voices off (speech has its own benchmarks); ``env`` adds
    settings (a replica's DATABASE_URL and HARU_SESSION_SECRET)."""
    from chat.backends._model_files import MODEL_FILE
    from core.config import AppConfig
    from tests.app_fixtures import start_app

    # The app warms the offline model (the cloud fallback) in the background; reuse an already joined
    # copy instead of writing another 1.1 GB into the throwaway data dir.
    joined = Path(AppConfig().data_dir) / "models" / MODEL_FILE
    if joined.is_file():
        (data_dir / "models").mkdir(parents=True, exist_ok=True)
        (data_dir / "models" / MODEL_FILE).symlink_to(joined)
    return start_app(data_dir, HARU_LLM="openai-compatible", OPENAI_BASE_URL=llm_url, HARU_LLM_MODEL="fake-model",
                     HARU_VOICE="false", **env)


def _user(url: str, index: int, duration_s: float, max_turns: int | None, barrier: threading.Barrier) -> UserLog:
    from gradio_client import Client

    from tests.app_fixtures import PASSWORD, exported_json

    log = UserLog(f"load-{index}-{time.time_ns() % 10**9}")
    try:
        client = Client(url, verbose=False)
        client.predict(log.username, PASSWORD, f"User {index}", api_name="/signup")
    except Exception:
        barrier.abort()   # the others stop waiting for this user at once
        raise
    # Everyone starts talking at the same moment; sign-ups are not measured. Bounded: a user that never
    # arrives fails the run instead of holding the others forever.
    barrier.wait(timeout=SIGNUP_TIMEOUT_S)
    log.started = time.monotonic()
    deadline = log.started + duration_s
    while time.monotonic() < deadline and (max_turns is None or len(log.sent) < max_turns):
        text = f"{LINES[len(log.sent) % len(LINES)]} [u{index} t{len(log.sent)}]"
        log.sent.append(text)
        t0 = time.perf_counter()
        try:
            job = client.submit(text, None, None, True, api_name="/talk")
            outputs = job.result(timeout=TURN_TIMEOUT_S)
        except Exception as e:  # a failed request is what this benchmark counts, not a crash
            log.errors.append(f"{type(e).__name__}: {e}"[:200])
            continue
        log.latencies_s.append(time.perf_counter() - t0)
        banner = outputs[5]
        saved = re.search(r"#(\d+)", banner or "")
        if "haru-error" in (banner or "") or not saved:
            log.errors.append(re.sub(r"<[^>]+>", " ", banner or "no banner")[:200])
        else:
            log.saved_ids.append(int(saved.group(1)))
    log.ended = time.monotonic()
    log.export = exported_json(client)
    return log


def _rows_of(export: dict) -> list[dict]:
    return export.get("entries", [])


def simulate(url: str | Sequence[str], users: int = USERS, duration_s: float = QUICK_S,
             max_turns: int | None = None) -> LoadResult:
    """``users`` people talking at once until ``duration_s`` has passed (or each sent ``max_turns``).

    Several URLs are replicas: user ``i`` stays on ``url[i % len(url)]``, as a sticky proxy would keep them.
    """
    urls = [url] if isinstance(url, str) else list(url)
    barrier = threading.Barrier(users)
    with ThreadPoolExecutor(users, thread_name_prefix="load-user") as pool:
        jobs = [pool.submit(_user, urls[i % len(urls)], i, duration_s, max_turns, barrier) for i in range(users)]
        bound = SIGNUP_TIMEOUT_S + duration_s + 2 * TURN_TIMEOUT_S
        try:
            logs = [job.result(timeout=bound) for job in jobs]
        except threading.BrokenBarrierError:
            failed = [job.exception() for job in jobs if job.done() and job.exception()
                      and not isinstance(job.exception(), threading.BrokenBarrierError)]
            raise RuntimeError(f"not every simulated user could sign up within {SIGNUP_TIMEOUT_S:.0f} s: "
                               f"{failed[0]!r}" if failed else "a simulated user never reached the start") from None
    lost = foreign = 0
    for log in logs:
        mine = set(log.sent)
        exported = _rows_of(log.export)
        exported_ids = {row["id"] for row in exported}
        lost += sum(1 for entry_id in log.saved_ids if entry_id not in exported_ids)
        lost += max(0, len(log.saved_ids) - len(exported))   # two turns must never share one row
        foreign += sum(1 for row in exported if row.get("text") not in mine)
    return LoadResult(users=users, duration_s=max(log.ended for log in logs) - min(log.started for log in logs),
                      latencies_s=tuple(t for log in logs for t in log.latencies_s),
                      errors=tuple(e for log in logs for e in log.errors), lost_rows=lost, foreign_rows=foreign,
                      turns=sum(len(log.sent) for log in logs))


def run(quick: bool = False) -> list[Row]:
    from tests.app_fixtures import wait_for_models
    from tests.fake_llm_server import FakeLLMServer

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
    from tests.app_fixtures import wait_for_models

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
    from tests.diary_fixtures import PG_URL, postgres_schema
    from tests.fake_llm_server import FakeLLMServer

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
