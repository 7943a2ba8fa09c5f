"""Diary speed: calendar + statistics for a user with five years of daily entries, and save latency.

Runs the real store (``diary.open_store``) on a SQLite file in a temporary folder, and also on
PostgreSQL (in a throwaway schema) when ``DATABASE_URL`` names one, e.g. from ``.ci/postgres.sh``.
"""

from __future__ import annotations

import os
import random
import tempfile
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

from sqlalchemy import create_engine, text

from bench.common import Row, p50, p95, timeit
from diary import LABELS, DiaryStore, EntryDraft, open_store

YEARS = 5
GOAL_MS = 50


def _seed(store: DiaryStore, user_id: int, days: int) -> list[float]:
    """One entry a day for ``days`` days ending now; returns each save's latency in ms."""
    rng = random.Random(0)
    now = datetime.now(timezone.utc)
    latencies = []
    for d in range(days, 0, -1):
        entry = EntryDraft(text="오늘 하루는 " + "그럭저럭 " * rng.randint(5, 40), face_label=rng.choice(LABELS),
                           face_probs={label: round(rng.random(), 3) for label in LABELS},
                           reply="그랬군요. " * 20, songs=[{"title": "song", "artist": "artist"}] * 3,
                           settings={"llm": "local", "voice": True}, created_at=now - timedelta(days=d))
        latencies += timeit(lambda e=entry: store.save_entry(user_id, e), repeat=1, warmup=0)
    return latencies


def _measure(store: DiaryStore, backend: str, repeat: int) -> list[Row]:
    user = store.create_user("bench", "bench password", "Bench")
    saves = _seed(store, user.id, YEARS * 365)
    today = datetime.now(timezone.utc)

    def page() -> None:
        # what the diary tab asks for on open: this month, all-time counts, the three mood ranges
        store.month_calendar(user.id, today.year, today.month, tz="Asia/Seoul")
        store.emotion_counts(user.id)
        for days in (7, 30, 365):
            store.mood_series(user.id, days, tz="Asia/Seoul")

    parts = {
        "month_calendar": lambda: store.month_calendar(user.id, today.year, today.month, tz="Asia/Seoul"),
        "emotion_counts (all time)": lambda: store.emotion_counts(user.id),
        "mood_series 365 d": lambda: store.mood_series(user.id, 365, tz="Asia/Seoul"),
        "mood_summary 7 d": lambda: store.mood_summary(user.id, 7, "ko"),
        "report_facts month (no LLM)": lambda: store.report_facts(user.id, "month", "ko"),
    }
    note = f"{backend}, {YEARS} years of daily entries ({len(saves)} rows)"
    page_ms = timeit(page, repeat=repeat, warmup=2)
    goal = f"< {GOAL_MS} ms" if backend == "SQLite" else ""
    rows = [Row("diary", f"{backend} calendar + stats page p50", p50(page_ms), "ms", goal, note),
            Row("diary", f"{backend} calendar + stats page p95", p95(page_ms), "ms", goal, note)]
    for name, fn in parts.items():
        rows.append(Row("diary", f"{backend} {name} p50", p50(timeit(fn, repeat=repeat, warmup=1)), "ms", "", note))
    rows += [Row("diary", f"{backend} save_entry p50", p50(saves), "ms", "", "one transaction"),
             Row("diary", f"{backend} save_entry p95", p95(saves), "ms", "", "one transaction")]
    return rows


@contextmanager
def _postgres_schema(url: str) -> Iterator[str]:
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{url}{'&' if '?' in url else '?'}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def run(quick: bool = False) -> list[Row]:
    repeat = 10 if quick else 50
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        rows = _measure(store, "SQLite", repeat)
        login_ms = timeit(lambda: store.authenticate("bench", "bench password"), repeat=max(3, repeat // 10))
        rows.append(Row("diary", "authenticate p50", p50(login_ms), "ms", "", "argon2id default parameters"))
        user = store.authenticate("bench", "bench password")
        plot_ms = timeit(lambda: store.mood_plot(user.id, 365), repeat=max(3, repeat // 10), warmup=1)
        rows.append(Row("diary", "mood_plot 365 d p50", p50(plot_ms), "ms", "", "matplotlib Figure, not rendered"))
        store.engine.dispose()
    pg_url = os.environ.get("DATABASE_URL", "")
    if pg_url.startswith("postgresql"):
        with _postgres_schema(pg_url) as url:
            store = open_store(url)
            rows += _measure(store, "PostgreSQL", repeat)
            store.engine.dispose()
    open_store.cache_clear()
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row.metric:<44} {row.value:10.2f} {row.unit:<3} {row.goal:<10} {row.note}")
