"""Diary speed: calendar + statistics for a user with five years of daily entries, and save latency.

Runs the real store (``diary.open_store``) on a SQLite file in a temporary folder.
"""

from __future__ import annotations

import random
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.common import Row, p50, p95, timeit
from diary import LABELS, EntryDraft, open_store

YEARS = 5
GOAL_MS = 50


def _seed(store, user_id: int, days: int) -> list[float]:
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


def run(quick: bool = False) -> list[Row]:
    repeat = 10 if quick else 50
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'bench.db'}")
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
            "mood_report month (no LLM)": lambda: store.mood_report(user.id, "month", "ko"),
        }
        page_ms = timeit(page, repeat=repeat, warmup=2)
        note = f"SQLite, {YEARS} years of daily entries ({len(saves)} rows)"
        rows = [Row("diary", "calendar + stats page p50", p50(page_ms), "ms", f"< {GOAL_MS} ms", note),
                Row("diary", "calendar + stats page p95", p95(page_ms), "ms", f"< {GOAL_MS} ms", note)]
        for name, fn in parts.items():
            rows.append(Row("diary", f"{name} p50", p50(timeit(fn, repeat=repeat, warmup=1)), "ms", "", note))
        plot_ms = timeit(lambda: store.mood_plot(user.id, 365), repeat=max(3, repeat // 10), warmup=1)
        rows.append(Row("diary", "mood_plot 365 d p50", p50(plot_ms), "ms", "", "matplotlib Figure, not rendered"))
        rows += [Row("diary", "save_entry p50", p50(saves), "ms", "", "one transaction, synchronous=FULL"),
                 Row("diary", "save_entry p95", p95(saves), "ms", "", "one transaction, synchronous=FULL")]
        login_ms = timeit(lambda: store.authenticate("bench", "bench password"), repeat=max(3, repeat // 10))
        rows.append(Row("diary", "authenticate p50", p50(login_ms), "ms", "", "argon2id default parameters"))
        store.engine.dispose()
        open_store.cache_clear()
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row.metric:<32} {row.value:10.2f} {row.unit:<3} {row.goal:<10} {row.note}")
