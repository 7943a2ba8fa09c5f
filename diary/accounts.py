"""Accounts: sign-up, login with the shared failure limit, profile, settings and account deletion."""

from __future__ import annotations

import logging
import time
from typing import Callable

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import HaruError
from diary import auth
from diary.convert import json_safe, naive_utc, not_found, to_user
from diary.db import transaction
from diary.schema import EntryRow, LoginFailureRow, MessageRow, UserRow
from diary.types import User

log = logging.getLogger(__name__)


class SharedLoginLimiter:
    """:class:`diary.auth.LoginLimiter`'s rule, counted in the diary database: every app process on the
    same database shares the count, and a restart does not reset it."""

    def __init__(self, engine: Engine, max_failures: int = 5, window_s: float = 300.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.max_failures = max_failures
        self.window_s = window_s
        self._clock = clock

    def check(self, username: str) -> None:
        since = self._clock() - self.window_s
        with transaction(self.engine) as s:
            times = s.scalars(select(LoginFailureRow.failed_at).where(
                LoginFailureRow.username == username, LoginFailureRow.failed_at > since)
                .order_by(LoginFailureRow.failed_at)).all()
        if len(times) >= self.max_failures:
            raise auth.too_many_failures(times[-self.max_failures] + self.window_s - self._clock())

    def failed(self, username: str) -> None:
        now = self._clock()
        with transaction(self.engine, write=True) as s:
            # Old rows go on the way, so names tried once and never again do not pile up.
            s.execute(delete(LoginFailureRow).where(LoginFailureRow.failed_at <= now - self.window_s))
            s.add(LoginFailureRow(username=username, failed_at=now))

    def succeeded(self, username: str) -> None:
        with transaction(self.engine, write=True) as s:
            s.execute(delete(LoginFailureRow).where(LoginFailureRow.username == username))


def user_row(s: Session, user_id: int) -> UserRow:
    row = s.get(UserRow, user_id)
    if row is None:
        raise not_found("Account", "계정")
    return row


class AccountsMixin:
    """:class:`diary.DiaryStore`'s account methods; the store supplies ``_tx``, ``_clock``, ``_hasher``,
    ``_limiter`` and ``_dummy_hash``."""

    def create_user(self, username: str, password: str, name: str, intro: str = "") -> User:
        row = UserRow(username=auth.clean_username(username), name=auth.clean_name(name),
                      intro=auth.clean_intro(intro), settings={},
                      created_at=naive_utc(self._clock()))
        auth.check_password(password)
        row.password_hash = self._hasher.hash(password)
        try:
            with self._tx(write=True) as s:
                s.add(row)
        except HaruError as e:
            if isinstance(e.__cause__, IntegrityError):
                raise HaruError("That username is taken; please choose another.",
                                "이미 있는 아이디예요. 다른 아이디를 골라 주세요.") from e
            raise
        return to_user(row)

    def authenticate(self, username: str, password: str) -> User:
        key = (username or "").strip().lower()
        self._limiter.check(key)
        with self._tx() as s:
            row = s.scalar(select(UserRow).where(UserRow.username == key))
        try:
            # verify against a dummy hash for unknown names too, so timing does not tell them apart
            self._hasher.verify(row.password_hash if row else self._dummy(), password or "")
        except (VerificationError, InvalidHashError):
            self._limiter.failed(key)
            raise auth.bad_login() from None
        if row is None:
            self._limiter.failed(key)
            raise auth.bad_login()
        self._limiter.succeeded(key)
        if self._hasher.check_needs_rehash(row.password_hash):
            self._set_password(row.id, password)
        return to_user(row)

    def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = self._hasher.hash("not a real password")
        return self._dummy_hash

    def get_user(self, user_id: int) -> User:
        with self._tx() as s:
            return to_user(user_row(s, user_id))

    def update_profile(self, user_id: int, *, name: str | None = None, intro: str | None = None,
                       password: str | None = None) -> User:
        values: dict = {}
        if name is not None:
            values["name"] = auth.clean_name(name)
        if intro is not None:
            values["intro"] = auth.clean_intro(intro)
        if password is not None:
            auth.check_password(password)
            values["password_hash"] = self._hasher.hash(password)
        with self._tx(write=True) as s:
            row = user_row(s, user_id)
            for key, value in values.items():
                setattr(row, key, value)
            return to_user(row)

    def _set_password(self, user_id: int, password: str) -> None:
        with self._tx(write=True) as s:
            user_row(s, user_id).password_hash = self._hasher.hash(password)

    def save_settings(self, user_id: int, settings: dict) -> User:
        if not isinstance(settings, dict):
            raise HaruError("Settings must be a mapping.", "설정 값 형식이 올바르지 않아요.")
        clean = json_safe(settings, "settings")
        with self._tx(write=True) as s:
            row = user_row(s, user_id)
            row.settings = clean
            return to_user(row)

    def delete_user(self, user_id: int) -> None:
        """Delete the account and every row that belongs to it, in one transaction."""
        with self._tx(write=True) as s:
            user_row(s, user_id)
            s.execute(delete(MessageRow).where(MessageRow.user_id == user_id))
            s.execute(delete(EntryRow).where(EntryRow.user_id == user_id))
            s.execute(delete(UserRow).where(UserRow.id == user_id))
        log.info("deleted user %s and all their rows", user_id)
