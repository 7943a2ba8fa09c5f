"""Durability and concurrency of the diary store on real databases.

- A child process saving entries is killed with SIGKILL; every entry it reported as saved is there,
  every entry that is there is whole (its chat messages too), and the database passes its checks.
- Twenty threads write and read for twenty users at once; no row is lost and no user's data mixes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.diary_fixtures import draft, store, store_url  # noqa: F401  (fixtures)

REPO = Path(__file__).resolve().parents[1]

WRITER = """
import sys
from diary.db import make_engine
from diary.store import DiaryStore
from diary.types import EntryDraft

store = DiaryStore(make_engine(sys.argv[1]))
user_id = int(sys.argv[2])
n = 0
while True:
    saved = store.save_entry(user_id, EntryDraft(text=f"entry {n}", face_label="happy", reply="r" * 500))
    print(saved.id, saved.text, flush=True)
    n += 1
"""


def _write_until_killed(url: str, user_id: int, reported: int) -> dict[int, str]:
    """Start a writer, kill it with SIGKILL after ``reported`` confirmed saves; all confirmed saves."""
    child = subprocess.Popen([sys.executable, "-c", WRITER, url, str(user_id)], cwd=REPO,
                             env={**os.environ, "PYTHONPATH": str(REPO)},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    confirmed: dict[int, str] = {}
    try:
        for line in child.stdout:
            entry_id, text = line.rstrip("\n").split(" ", 1)
            confirmed[int(entry_id)] = text
            if len(confirmed) >= reported:
                break
        else:
            pytest.fail(f"writer stopped early: {child.stderr.read()}")
    finally:
        child.send_signal(signal.SIGKILL)
    rest, _ = child.communicate(timeout=30)   # lines it printed between our read and the kill
    for line in rest.splitlines():
        entry_id, text = line.split(" ", 1)
        confirmed[int(entry_id)] = text
    assert child.returncode == -signal.SIGKILL
    return confirmed


def test_sigkill_loses_no_confirmed_entry(store, store_url):
    user = store.create_user("minji", "password1", "Minji")
    confirmed: dict[int, str] = {}
    for reported in (40, 25):
        confirmed.update(_write_until_killed(store_url, user.id, reported))
    entries = store.list_entries(user.id)
    found = {e.id: e.text for e in entries}
    assert {i: found.get(i) for i in confirmed} == confirmed
    for entry in entries:   # whatever was committed is whole: the entry with both its messages
        assert store.messages(user.id, entry.id) == [("user", entry.text), ("assistant", "r" * 500)]
    assert store.check_integrity() == []
    assert store.save_entry(user.id, draft("after the crash")).id not in confirmed


def test_twenty_threads_lose_nothing_and_mix_no_users(store):
    threads, per_user = 20, 5
    users = [store.create_user(f"user{i:02d}", "password1", f"User {i}") for i in range(threads)]
    start = threading.Barrier(threads, timeout=60)   # bounded: a thread that never starts fails the test
    failures: list[BaseException] = []

    def work(user):
        try:
            start.wait()
            for n in range(per_user):
                store.save_entry(user.id, draft(f"{user.username} #{n}", face="happy" if n % 2 else "sad",
                                                reply=f"to {user.username}"))
                seen = store.list_entries(user.id)
                assert [e.text for e in seen] == [f"{user.username} #{k}" for k in range(n + 1)]
                assert sum(store.emotion_counts(user.id).values()) == n + 1
        except BaseException as e:   # handed to the main thread, which fails the test with it
            failures.append(e)

    pool = [threading.Thread(target=work, args=(u,)) for u in users]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=120)
    assert not failures, failures[0]
    for user in users:
        entries = store.list_entries(user.id)
        assert [e.text for e in entries] == [f"{user.username} #{k}" for k in range(per_user)]
        assert {e.user_id for e in entries} == {user.id}
        assert all(store.messages(user.id, e.id)[-1] == ("assistant", f"to {user.username}") for e in entries)
    assert store.check_integrity() == []


COUNTED_WRITER = WRITER.replace("while True:", "while n < int(sys.argv[3]):")


def test_processes_write_side_by_side(store, store_url):
    users = [store.create_user(f"proc{i}", "password1", f"Proc {i}") for i in range(3)]
    per_user = 10
    children = [subprocess.Popen([sys.executable, "-c", COUNTED_WRITER, store_url, str(u.id), str(per_user)],
                                 cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for u in users]
    outputs = [child.communicate(timeout=120) for child in children]
    assert [c.returncode for c in children] == [0] * len(children), [err for _, err in outputs]
    for user, (out, _) in zip(users, outputs):
        reported = [int(line.split(" ", 1)[0]) for line in out.splitlines()]
        entries = store.list_entries(user.id)
        assert [e.id for e in entries] == reported
        assert [e.text for e in entries] == [f"entry {n}" for n in range(per_user)]
    assert store.check_integrity() == []
