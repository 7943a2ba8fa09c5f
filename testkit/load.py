"""Simulated people talking to the real app at once, through its HTTP API: the core of the load test and of
``python -m bench.bench_load``.

The app runs as ``python app.py`` on loopback with a throwaway data dir; its LLM is the OpenAI-compatible
backend aimed at a loopback fake that streams like a cloud model, so what is exercised is the app (queue,
diary, songs, sessions), not a model. Each simulated user signs up, then sends typed turns back to back;
afterwards every user's export must hold exactly the entries that user was told were saved: none lost,
none foreign.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from testkit.app_server import PASSWORD, AppServer, exported_json, start_app
from testkit.fake_llm_server import Reply

USERS = 20
QUICK_S = 20.0
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


def fake_llm_reply() -> Reply:
    return Reply(chunks=tuple(re.findall(r".{1,4}", REPLY_TEXT, flags=re.S)), first_delay_s=0.3,
                 tokens_per_s=200)


def start_load_app(data_dir: Path, llm_url: str, **env: str) -> AppServer:
    """The real app, its LLM aimed at ``llm_url``, voices off (speech has its own benchmarks); ``env`` adds
    settings (a replica's DATABASE_URL and HARU_SESSION_SECRET)."""
    from chat.backends._model_files import MODEL_FILE
    from core.config import AppConfig

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
