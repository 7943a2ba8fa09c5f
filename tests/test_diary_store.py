"""Diary store against real SQLite (and PostgreSQL when DATABASE_URL is set): schema, entries, views, export,
isolation between users and failures (accounts: tests/test_diary_accounts.py)."""

from __future__ import annotations

import csv
import inspect
import io
import json
import subprocess
import sys
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from core.errors import ErrorCategory, HaruError
from diary import (COLOUR, EMOJI, LABELS, AuthError, DiaryStore, DiaryUnavailableError, EntryDraft)
from diary.schema import Base
from tests.diary_fixtures import FAST_HASHER, draft, new_store, store, store_url, utc  # noqa: F401  (fixtures)

NOW = utc(2026, 11, 20, 12, 0)


def test_import_has_no_side_effects():
    probe = ("import logging, sys; import diary; "
             "assert 'matplotlib' not in sys.modules, 'matplotlib imported eagerly'; "
             "assert not logging.getLogger().handlers, 'logging configured at import'")
    done = subprocess.run([sys.executable, "-c", probe], cwd=Path(__file__).resolve().parents[1],
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_schema_from_migrations_matches_the_models(store):
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_entry_round_trip_with_chat_messages_and_thumbnail(store):
    user = store.create_user("minji", "password1", "Minji")
    songs = [{"title": "Spring Day", "artist": "BTS", "url": "https://example.org/s"}]
    full = EntryDraft(mode="diary", text="오늘은 비가 왔다", transcript="it rained today",
                      face_label="sad", face_probs={"sad": 0.7, "neutral": 0.3}, text_emotion="neutral",
                      reply="비 오는 날엔 따뜻한 차 한 잔 어때요?", songs=songs,
                      settings={"llm": "local", "vision_model": "vit-tiny"}, face_thumbnail=b"\x89PNG small",
                      created_at=datetime(2026, 11, 20, 21, 30, tzinfo=timezone(timedelta(hours=9))))
    saved = store.save_entry(user.id, full)
    got = store.get_entry(user.id, saved.id)
    assert got == saved
    assert got.created_at == utc(2026, 11, 20, 12, 30)
    assert (got.mood, got.songs, got.face_probs, got.has_thumbnail) == ("sad", songs, full.face_probs, True)
    assert store.get_thumbnail(user.id, saved.id) == b"\x89PNG small"
    assert store.messages(user.id, saved.id) == [("user", full.text), ("user", full.transcript),
                                                 ("assistant", full.reply)]
    plain = store.save_entry(user.id, draft("no face", words="happy"))
    assert (plain.mood, plain.has_thumbnail, store.get_thumbnail(user.id, plain.id)) == ("happy", False, None)


@pytest.mark.parametrize("bad", [
    EntryDraft(mode="poem"),
    EntryDraft(face_label="joy"),
    EntryDraft(text_emotion="contempt"),
    EntryDraft(face_thumbnail=bytes(65 * 1024)),
    EntryDraft(songs=[{"title": object()}]),
    EntryDraft(face_label="sad", face_probs={"sad": "very"}),
])
def test_bad_entries_are_refused_and_nothing_is_written(store, bad):
    user = store.create_user("minji", "password1", "Minji")
    with pytest.raises(HaruError) as err:
        store.save_entry(user.id, bad)
    assert err.value.category is ErrorCategory.BAD_INPUT
    assert store.list_entries(user.id) == []


def test_list_entries_by_local_day_and_range(store):
    user = store.create_user("minji", "password1", "Minji")
    times = [utc(2026, 11, 1, 14, 0), utc(2026, 11, 1, 16, 0), utc(2026, 11, 3, 9, 0), utc(2026, 11, 9, 9, 0)]
    ids = [store.save_entry(user.id, draft(str(t), at=t)).id for t in times]
    # 16:00 UTC on Nov 1 is already Nov 2 in Seoul
    assert [e.id for e in store.list_entries(user.id, date(2026, 11, 1), tz="Asia/Seoul")] == ids[:1]
    assert [e.id for e in store.list_entries(user.id, date(2026, 11, 1))] == ids[:2]
    assert [e.id for e in store.list_entries(user.id, start=date(2026, 11, 2), end=date(2026, 11, 3))] == ids[2:3]
    assert [e.id for e in store.list_entries(user.id, limit=2)] == ids[2:]


def test_month_calendar_dominant_mood_and_counts(store_url):
    store = new_store(store_url, clock=lambda: NOW)
    user = store.create_user("minji", "password1", "Minji")
    plan = {3: ["sad", "sad", "happy"], 4: ["happy", "angry"], 10: [None], 30: ["fear"]}
    for day, felt in plan.items():
        for i, mood in enumerate(felt):
            store.save_entry(user.id, draft(f"{day}-{i}", face=mood, at=utc(2026, 11, day, 8 + i)))
    store.save_entry(user.id, draft("december", face="happy", at=utc(2026, 12, 1, 1)))
    cells = store.month_calendar(user.id, 2026, 11)
    assert [c.day for c in cells] == [date(2026, 11, d) for d in range(1, 31)]
    by_day = {c.day.day: c for c in cells}
    assert sum(c.entries for c in cells) == sum(len(v) for v in plan.values())
    assert (by_day[3].mood, by_day[3].entries, by_day[3].emoji, by_day[3].colour) == ("sad", 3, EMOJI["sad"], COLOUR["sad"])
    assert by_day[4].mood == "angry"                     # a tie goes to the later feeling
    assert (by_day[10].entries, by_day[10].mood, by_day[10].emoji) == (1, None, "")
    assert by_day[2].entries == 0
    # in Seoul the Dec 1 01:00 UTC entry still falls on Dec 1, and Nov 30 08:00 UTC on Nov 30
    seoul = {c.day.day: c for c in store.month_calendar(user.id, 2026, 11, tz="Asia/Seoul")}
    assert seoul[30].entries == 1
    with pytest.raises(HaruError):
        store.month_calendar(user.id, 2026, 13)
    with pytest.raises(HaruError):
        store.month_calendar(user.id, 2026, 11, tz="Mars/Olympus")
    store.engine.dispose()


def _seed_week(store, user_id):
    """Six entries over the last seven days ending at NOW: mostly sad, brightening at the end."""
    plan = [(6, "sad"), (5, "sad"), (4, "sad"), (2, None), (1, "happy"), (0, "happy"), (0, "sad")]
    for days_ago, mood in plan:
        store.save_entry(user_id, draft(f"{days_ago} days ago", face=mood, at=NOW - timedelta(days=days_ago)))
    return plan


def test_counts_series_summary_and_plot(store_url):
    store = new_store(store_url, clock=lambda: NOW)
    user = store.create_user("minji", "password1", "Minji")
    plan = _seed_week(store, user.id)
    store.save_entry(user.id, draft("long ago", face="angry", at=NOW - timedelta(days=200)))
    expected = Counter(m for _, m in plan if m) + Counter(angry=1)
    assert store.emotion_counts(user.id) == {label: expected[label] for label in LABELS}
    assert store.emotion_counts(user.id, days=7)["angry"] == 0

    series = store.mood_series(user.id, 7)
    assert series.days == tuple(NOW.date() - timedelta(days=6 - i) for i in range(7))
    assert series.entries == (1, 1, 1, 0, 1, 1, 2)
    assert series.score[0] < 0 < series.score[5] and series.score[3] is None and series.score[4] is None
    assert series.mood[-1] == "sad"                       # the later of the tied moods on the last day
    assert len(store.mood_series(user.id, 365).days) == 365

    assert store.mood_summary(user.id, 7, "en") == "last 7 days: mostly sad (4 of 7 entries), also happy (2)"
    assert store.mood_summary(user.id, 7, "ko") == "최근 7일: 주로 슬픔 (7개 중 4개), 그 밖에 기쁨 2개"
    other = store.create_user("jun", "password1", "Jun")
    assert store.mood_summary(other.id, 30, "en") == "last 30 days: no entries"

    figure = store.mood_plot(user.id, 30)
    line = figure.axes[0].lines[0]
    assert len(line.get_xdata()) == 30
    png = io.BytesIO()
    figure.savefig(png, format="png")
    assert png.getvalue().startswith(b"\x89PNG")
    store.engine.dispose()


def test_report_facts_plain_and_with_a_note(store_url):
    store = new_store(store_url, clock=lambda: NOW)
    user = store.create_user("minji", "password1", "민지")
    _seed_week(store, user.id)
    plain = store.report_facts(user.id, "week", "en").text
    assert plain.startswith("Your week (Nov 14 – Nov 20): 7 entries on 6 of 7 days.")
    assert "Mostly sad (4 of 7 entries)" in plain and "rose" in plain
    assert store.report_facts(user.id, "week", "en").text == plain      # deterministic
    assert "이번 주" in store.report_facts(user.id, "week", "ko").text
    assert store.report_facts(user.id, "month", "en").text.startswith("Your month (Oct 22 – Nov 20)")

    facts = store.report_facts(user.id, "week", "ko")
    assert (facts.period, facts.entries, facts.name) == ("week", 7, "민지")
    assert facts.with_note("  이번 주는 조금씩 밝아졌어요.  ") == facts.text + "\n\n이번 주는 조금씩 밝아졌어요."
    assert facts.with_note("") == facts.text
    with pytest.raises(HaruError):
        store.report_facts(user.id, "year", "en")
    store.engine.dispose()


def test_export_json_and_csv_hold_all_my_data(store):
    user = store.create_user("minji", "password1", "Minji", intro="hi")
    store.save_settings(user.id, {"voice": True})
    store.save_entry(user.id, EntryDraft(text="첫 일기, with a comma", face_label="happy", reply="좋아요",
                                         songs=[{"title": "a"}], face_thumbnail=b"thumb"))
    store.save_entry(user.id, draft("second", words="sad"))
    data = json.loads(store.export_user(user.id, "json"))
    assert data["user"] == {"username": "minji", "name": "Minji", "intro": "hi", "settings": {"voice": True},
                            "created_at": data["user"]["created_at"]}
    assert [e["text"] for e in data["entries"]] == ["첫 일기, with a comma", "second"]
    assert data["entries"][0]["messages"] == [{"role": "user", "content": "첫 일기, with a comma"},
                                              {"role": "assistant", "content": "좋아요"}]
    assert data["entries"][0]["face_thumbnail_base64"] == "dGh1bWI="
    assert "password" not in json.dumps(data)
    rows = list(csv.DictReader(io.StringIO(store.export_user(user.id, "csv"))))
    assert [(r["text"], r["mood"]) for r in rows] == [("첫 일기, with a comma", "happy"), ("second", "sad")]
    assert json.loads(rows[0]["songs"]) == [{"title": "a"}]
    with pytest.raises(HaruError):
        store.export_user(user.id, "xml")


def test_delete_account_removes_every_row(store):
    keep = store.create_user("jun", "password1", "Jun")
    kept = store.save_entry(keep.id, draft("stays", face="happy", reply="ok"))
    gone = store.create_user("minji", "password1", "Minji")
    for i in range(3):
        store.save_entry(gone.id, draft(f"entry {i}", face="sad", reply="there there"))
    store.delete_user(gone.id)
    with store.engine.connect() as conn:
        for table in ("users", "entries", "chat_messages"):
            n = conn.exec_driver_sql(f"SELECT count(*) FROM {table} WHERE {'id' if table == 'users' else 'user_id'} = {gone.id}").scalar_one()
            assert n == 0, table
    with pytest.raises(AuthError):
        store.authenticate("minji", "password1")
    assert store.get_entry(keep.id, kept.id) == kept
    assert store.check_integrity() == []
    with pytest.raises(HaruError) as err:
        store.delete_user(gone.id)
    assert err.value.category is ErrorCategory.NOT_FOUND


# Every public method that takes a user id, called as user B on a store holding only A's entries.
AS_B = {
    "get_user": lambda s, b, a_entry: s.get_user(b),
    "update_profile": lambda s, b, a_entry: s.update_profile(b, intro="B's intro"),
    "save_settings": lambda s, b, a_entry: s.save_settings(b, {"x": 1}),
    "save_entry": lambda s, b, a_entry: s.save_entry(b, draft("B's own")),
    "get_entry": lambda s, b, a_entry: s.get_entry(b, a_entry),
    "get_thumbnail": lambda s, b, a_entry: s.get_thumbnail(b, a_entry),
    "messages": lambda s, b, a_entry: s.messages(b, a_entry),
    "list_entries": lambda s, b, a_entry: s.list_entries(b),
    "month_calendar": lambda s, b, a_entry: s.month_calendar(b, NOW.year, NOW.month),
    "emotion_counts": lambda s, b, a_entry: s.emotion_counts(b),
    "mood_series": lambda s, b, a_entry: s.mood_series(b, 30),
    "mood_plot": lambda s, b, a_entry: [y == y for y in s.mood_plot(b, 7).axes[0].lines[0].get_ydata()],
    "mood_summary": lambda s, b, a_entry: s.mood_summary(b, 30, "en"),
    "report_facts": lambda s, b, a_entry: s.report_facts(b, "month", "en").text,
    "export_user": lambda s, b, a_entry: s.export_user(b, "json") + s.export_user(b, "csv"),
    "delete_user": lambda s, b, a_entry: s.delete_user(b),
}
# Views whose answer for B must be exactly the answer for a user who has never written anything.
SAME_AS_EMPTY = {"messages", "list_entries", "month_calendar", "emotion_counts", "mood_series", "mood_plot",
                 "mood_summary", "report_facts"}


def test_isolation_table_covers_every_public_method():
    public = {name for name, fn in inspect.getmembers(DiaryStore, inspect.isfunction)
              if not name.startswith("_") and "user_id" in inspect.signature(fn).parameters}
    assert public == set(AS_B)


@pytest.mark.parametrize("method", sorted(AS_B))
def test_user_b_never_reads_user_a_entries(store_url, method):
    store = new_store(store_url, clock=lambda: NOW)
    a = store.create_user("alice", "password1", "Alice")
    secret = store.save_entry(a.id, EntryDraft(text="A-SECRET-TEXT", face_label="sad", reply="A-SECRET-REPLY",
                                               face_thumbnail=b"A-SECRET-THUMB", created_at=NOW))
    b = store.create_user("bob", "password2", "Bob")
    newcomer = store.create_user("carol", "password3", "Carol")
    try:
        seen = AS_B[method](store, b.id, secret.id)
    except HaruError as e:
        assert e.category is ErrorCategory.NOT_FOUND
        seen = None
    assert "A-SECRET" not in repr(seen)
    if method in SAME_AS_EMPTY:
        assert seen == AS_B[method](store, newcomer.id, secret.id)
    assert store.get_entry(a.id, secret.id) == secret          # and A's entry is untouched
    store.engine.dispose()


def test_store_errors_reach_the_caller_as_diary_unavailable(tmp_path):
    from diary.db import make_engine
    import sqlite3

    path = tmp_path / "locked.db"
    store = new_store(f"sqlite:///{path}")
    user = store.create_user("minji", "password1", "Minji")
    impatient = DiaryStore(make_engine(f"sqlite:///{path}", busy_timeout_s=0.2))
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")       # another writer holds the lock
    try:
        with pytest.raises(DiaryUnavailableError) as err:
            impatient.save_entry(user.id, draft("blocked"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert err.value.category is ErrorCategory.UNAVAILABLE and err.value.ko
    assert impatient.save_entry(user.id, draft("after")).text == "after"


def test_unreachable_postgres_is_diary_unavailable():
    from diary import open_store
    with pytest.raises(DiaryUnavailableError):
        open_store("postgresql+psycopg://nobody:pw@127.0.0.1:1/none?connect_timeout=2")


@pytest.mark.parametrize("url", ["not a url", "sqlite://", "sqlite:///:memory:"])
def test_bad_database_url_is_a_config_error(url):
    from diary.db import make_engine
    with pytest.raises(HaruError) as err:
        make_engine(url)
    assert err.value.category is ErrorCategory.CONFIG


def test_open_store_is_cached_per_url_and_uses_wal(tmp_path):
    from diary import open_store
    url = f"sqlite:///{tmp_path / 'sub' / 'haru.db'}"
    first = open_store(url)
    assert open_store(url) is first
    with first.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    first.engine.dispose()
