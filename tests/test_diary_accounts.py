"""Diary accounts against real SQLite (and PostgreSQL when DATABASE_URL is set): sign-up, login and its limits,
password hashing, profile and settings (diary/accounts.py)."""

from __future__ import annotations

from functools import partial

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text

from core.errors import ErrorCategory, HaruError
from diary import AuthError, DiaryStore, LoginLimiter, SharedLoginLimiter
from diary.db import make_engine, migrate
from tests.diary_fixtures import FAST_HASHER, draft, new_store, store, store_url  # noqa: F401  (fixtures)


def test_sign_up_then_log_in_with_the_hashed_password(store):
    user = store.create_user("Minji", "correct horse", "민지", intro="I like rainy days")
    assert (user.username, user.name, user.intro) == ("minji", "민지", "I like rainy days")
    assert store.authenticate("minji", "correct horse") == user
    with store.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT password_hash FROM users").scalar_one()
    assert stored.startswith("$argon2") and "correct horse" not in stored
    with pytest.raises(AuthError) as wrong:
        store.authenticate("minji", "wrong horse")
    with pytest.raises(AuthError) as unknown:
        store.authenticate("nobody", "correct horse")
    assert wrong.value.en == unknown.value.en   # the two failures look the same


@pytest.mark.parametrize("username, password, name, intro", [
    ("ab", "long enough", "A", ""),                 # username too short
    ("has space", "long enough", "A", ""),
    ("fine_name", "short", "A", ""),                # password too short
    ("fine_name", "long enough", "   ", ""),        # name required
    ("fine_name", "long enough", "A", "x" * 1001),  # intro too long
])
def test_bad_sign_up_input_is_refused_in_both_languages(store, username, password, name, intro):
    with pytest.raises(HaruError) as err:
        store.create_user(username, password, name, intro)
    assert err.value.category is ErrorCategory.BAD_INPUT and err.value.en and err.value.ko


def test_duplicate_username_is_refused(store):
    store.create_user("minji", "password1", "Minji")
    with pytest.raises(HaruError, match="taken"):
        store.create_user("MINJI", "password2", "Other")


@pytest.mark.parametrize("kind", ["in-process", "in-database"])
def test_failed_logins_are_rate_limited_per_username(store_url, kind):
    now = [0.0]
    engine = make_engine(store_url)
    migrate(engine)
    limiter = (LoginLimiter if kind == "in-process" else partial(SharedLoginLimiter, engine))(
        max_failures=3, window_s=60, clock=lambda: now[0])
    limited = DiaryStore(engine, hasher=FAST_HASHER, limiter=limiter)
    limited.create_user("minji", "password1", "Minji")
    limited.create_user("jun", "password2", "Jun")
    for _ in range(3):
        with pytest.raises(AuthError) as err:
            limited.authenticate("minji", "guess")
        assert err.value.category is ErrorCategory.AUTH
    with pytest.raises(AuthError) as blocked:
        limited.authenticate("minji", "password1")      # even the right password waits
    assert blocked.value.category is ErrorCategory.RATE_LIMIT
    assert limited.authenticate("jun", "password2").name == "Jun"
    now[0] += 61
    assert limited.authenticate("minji", "password1").name == "Minji"
    limited.engine.dispose()


def test_the_login_limit_is_shared_by_every_store_on_one_database(store_url):
    """Two app replicas on one database: failures on either count together, a success on either clears them."""
    a, b = new_store(store_url), new_store(store_url)
    a.create_user("minji", "password1", "Minji")
    for store in (a, b, a, b, a):
        with pytest.raises(AuthError):
            store.authenticate("minji", "guess")
    with pytest.raises(AuthError, match="Too many failed logins") as blocked:
        b.authenticate("minji", "password1")
    assert blocked.value.category is ErrorCategory.RATE_LIMIT
    with a.engine.begin() as conn:   # the window has passed
        conn.execute(text("UPDATE login_failures SET failed_at = failed_at - 301"))
    assert b.authenticate("minji", "password1").name == "Minji"
    with a.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM login_failures")).scalar() == 0
    for store in (a, b):
        store.engine.dispose()


def test_login_rehashes_a_password_hashed_with_old_parameters(store_url):
    old = new_store(store_url, hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    old.create_user("minji", "password1", "Minji")
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    new = DiaryStore(old.engine, hasher=stronger)
    new.authenticate("minji", "password1")
    with old.engine.connect() as conn:
        assert not stronger.check_needs_rehash(conn.exec_driver_sql("SELECT password_hash FROM users").scalar_one())
    assert new.authenticate("minji", "password1").username == "minji"
    old.engine.dispose()


def test_profile_edit_keeps_entries_and_changes_password(store):
    user = store.create_user("minji", "password1", "Minji")
    saved = [store.save_entry(user.id, draft(f"day {i}", face="happy")) for i in range(3)]
    edited = store.update_profile(user.id, name="Minji Kim", intro="new intro", password="password2")
    assert (edited.name, edited.intro) == ("Minji Kim", "new intro")
    assert store.get_user(user.id) == edited
    assert [e.id for e in store.list_entries(user.id)] == [e.id for e in saved]
    with pytest.raises(AuthError):
        store.authenticate("minji", "password1")
    assert store.authenticate("minji", "password2").id == user.id


def test_settings_are_saved_per_user(store):
    user = store.create_user("minji", "password1", "Minji")
    store.save_settings(user.id, {"voice": False, "language": "ko", "keep_face_thumbnail": True})
    assert store.get_user(user.id).settings == {"voice": False, "language": "ko", "keep_face_thumbnail": True}
    with pytest.raises(HaruError):
        store.save_settings(user.id, {"bad": object()})
