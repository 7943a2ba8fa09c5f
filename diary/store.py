"""The diary store: accounts, entries and the views built on them, over SQLite or PostgreSQL.

Every public method takes the acting ``user_id`` and every query filters on it, so one user can
never reach another's rows. Every write is one transaction.
"""

from __future__ import annotations

import base64
import calendar
import csv
import io
import json
import logging
import time
from collections import Counter
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import TYPE_CHECKING, Callable, Iterator

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from core.errors import ErrorCategory, HaruError
from diary import auth, moods, stats
from diary.db import make_engine, migrate, unavailable
from diary.schema import EntryRow, LoginFailureRow, MessageRow, UserRow
from diary.types import DayCell, Entry, EntryDraft, MoodSeries, ReportFacts, User

if TYPE_CHECKING:
    from matplotlib.figure import Figure

log = logging.getLogger(__name__)

MODES = ("conversation", "diary")
PERIODS = {"week": 7, "month": 30}
THUMBNAIL_MAX_BYTES = 64 * 1024
SERIES_MAX_DAYS = 3660
EXPORT_COLUMNS = ("id", "created_at", "mode", "text", "transcript", "face_label", "face_probs",
                  "text_emotion", "mood", "reply", "songs", "settings")


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


def _not_found(what_en: str, what_ko: str) -> HaruError:
    return HaruError(f"{what_en} not found.", f"{what_ko}을(를) 찾을 수 없어요.", category=ErrorCategory.NOT_FOUND)


def _json_safe(value, what: str):
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError) as e:
        raise HaruError(f"{what} must be plain JSON data: {e}", f"{what} 값은 JSON으로 저장할 수 있어야 해요.") from e


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
        with _transaction(self.engine) as s:
            times = s.scalars(select(LoginFailureRow.failed_at).where(
                LoginFailureRow.username == username, LoginFailureRow.failed_at > since)
                .order_by(LoginFailureRow.failed_at)).all()
        if len(times) >= self.max_failures:
            raise auth.too_many_failures(times[-self.max_failures] + self.window_s - self._clock())

    def failed(self, username: str) -> None:
        now = self._clock()
        with _transaction(self.engine, write=True) as s:
            # Old rows go on the way, so names tried once and never again do not pile up.
            s.execute(delete(LoginFailureRow).where(LoginFailureRow.failed_at <= now - self.window_s))
            s.add(LoginFailureRow(username=username, failed_at=now))

    def succeeded(self, username: str) -> None:
        with _transaction(self.engine, write=True) as s:
            s.execute(delete(LoginFailureRow).where(LoginFailureRow.username == username))


@contextmanager
def _transaction(engine: Engine, write: bool = False) -> Iterator[Session]:
    with unavailable(), Session(engine, expire_on_commit=False,
                                execution_options={"diary_write": write}) as session, session.begin():
        yield session


class DiaryStore:
    """Construct with a migrated engine (see :func:`open_store`); holds no per-user state."""

    def __init__(self, engine: Engine, *, hasher: PasswordHasher | None = None,
                 limiter: auth.LoginLimiter | SharedLoginLimiter | None = None,
                 clock: Callable[[], datetime] = _utcnow) -> None:
        self.engine = engine
        self._hasher = hasher or PasswordHasher()
        self._limiter = limiter or SharedLoginLimiter(engine)
        self._clock = clock
        self._dummy_hash: str | None = None

    def _tx(self, write: bool = False):   # a context manager, see _transaction
        return _transaction(self.engine, write)

    # ---- accounts -------------------------------------------------------------------------

    def create_user(self, username: str, password: str, name: str, intro: str = "") -> User:
        row = UserRow(username=auth.clean_username(username), name=auth.clean_name(name),
                      intro=auth.clean_intro(intro), settings={},
                      created_at=_naive_utc(self._clock()))
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
        return _user(row)

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
        return _user(row)

    def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = self._hasher.hash("not a real password")
        return self._dummy_hash

    def get_user(self, user_id: int) -> User:
        with self._tx() as s:
            return _user(self._user_row(s, user_id))

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
            row = self._user_row(s, user_id)
            for key, value in values.items():
                setattr(row, key, value)
            return _user(row)

    def _set_password(self, user_id: int, password: str) -> None:
        with self._tx(write=True) as s:
            self._user_row(s, user_id).password_hash = self._hasher.hash(password)

    def save_settings(self, user_id: int, settings: dict) -> User:
        if not isinstance(settings, dict):
            raise HaruError("Settings must be a mapping.", "설정 값 형식이 올바르지 않아요.")
        clean = _json_safe(settings, "settings")
        with self._tx(write=True) as s:
            row = self._user_row(s, user_id)
            row.settings = clean
            return _user(row)

    def delete_user(self, user_id: int) -> None:
        """Delete the account and every row that belongs to it, in one transaction."""
        with self._tx(write=True) as s:
            self._user_row(s, user_id)
            s.execute(delete(MessageRow).where(MessageRow.user_id == user_id))
            s.execute(delete(EntryRow).where(EntryRow.user_id == user_id))
            s.execute(delete(UserRow).where(UserRow.id == user_id))
        log.info("deleted user %s and all their rows", user_id)

    @staticmethod
    def _user_row(s: Session, user_id: int) -> UserRow:
        row = s.get(UserRow, user_id)
        if row is None:
            raise _not_found("Account", "계정")
        return row

    # ---- entries --------------------------------------------------------------------------

    def save_entry(self, user_id: int, draft: EntryDraft) -> Entry:
        """Store the entry and its chat messages in one transaction."""
        row = _entry_row(user_id, draft, _naive_utc(draft.created_at or self._clock()))
        said = [text for text in (draft.text, draft.transcript) if text.strip()]
        with self._tx(write=True) as s:
            self._user_row(s, user_id)
            s.add(row)
            s.flush()
            turns = [("user", t) for t in said] + ([("assistant", draft.reply)] if draft.reply.strip() else [])
            s.add_all(MessageRow(entry_id=row.id, user_id=user_id, position=i, role=role, content=content)
                      for i, (role, content) in enumerate(turns))
        return _entry(row, row.face_thumbnail is not None)

    def get_entry(self, user_id: int, entry_id: int) -> Entry:
        with self._tx() as s:
            found = s.execute(self._entries(user_id).where(EntryRow.id == entry_id)).first()
        if found is None:
            raise _not_found("Diary entry", "일기")
        return _entry(*found)

    def get_thumbnail(self, user_id: int, entry_id: int) -> bytes | None:
        with self._tx() as s:
            found = s.execute(select(EntryRow.face_thumbnail)
                              .where(EntryRow.user_id == user_id, EntryRow.id == entry_id)).first()
        if found is None:
            raise _not_found("Diary entry", "일기")
        return found[0]

    def list_entries(self, user_id: int, day: date | None = None, *, start: date | None = None,
                     end: date | None = None, tz: str = "UTC", limit: int | None = None) -> list[Entry]:
        """Entries oldest first; ``day`` or ``start``..``end`` (inclusive local days); ``limit`` keeps the newest."""
        query = self._entries(user_id)
        zone = stats.zone(tz)
        if day is not None:
            start = end = day
        if start is not None:
            query = query.where(EntryRow.created_at >= stats.utc_bounds(start, start, zone)[0])
        if end is not None:
            query = query.where(EntryRow.created_at < stats.utc_bounds(end, end, zone)[1])
        query = query.order_by(EntryRow.created_at.desc(), EntryRow.id.desc())
        if limit is not None:
            query = query.limit(limit)
        with self._tx() as s:
            found = s.execute(query).all()
        return [_entry(*f) for f in reversed(found)]

    @staticmethod
    def _entries(user_id: int):
        # the thumbnail bytes stay in the database unless get_thumbnail asks for them
        return (select(EntryRow, EntryRow.face_thumbnail.is_not(None))
                .options(defer(EntryRow.face_thumbnail)).where(EntryRow.user_id == user_id))

    def messages(self, user_id: int, entry_id: int) -> list[tuple[str, str]]:
        """The (role, text) chat messages saved with an entry."""
        with self._tx() as s:
            found = s.execute(select(MessageRow.role, MessageRow.content)
                              .where(MessageRow.user_id == user_id, MessageRow.entry_id == entry_id)
                              .order_by(MessageRow.position)).all()
        return [tuple(f) for f in found]

    # ---- views ----------------------------------------------------------------------------

    def _moods(self, user_id: int, lo: datetime, hi: datetime) -> list[stats.Row]:
        with self._tx() as s:
            return [tuple(r) for r in s.execute(
                select(EntryRow.created_at, EntryRow.mood)
                .where(EntryRow.user_id == user_id, EntryRow.created_at >= lo, EntryRow.created_at < hi)
                .order_by(EntryRow.created_at, EntryRow.id))]

    def month_calendar(self, user_id: int, year: int, month: int, tz: str = "UTC") -> list[DayCell]:
        """One :class:`DayCell` per day of the month: entry count and dominant emotion."""
        if not 1 <= month <= 12 or not 1 <= year <= 9998:
            raise HaruError(f"No such month: {year}-{month}.", f"없는 달이에요: {year}-{month}")
        zone = stats.zone(tz)
        last = date(year, month, calendar.monthrange(year, month)[1])
        rows = self._moods(user_id, *stats.utc_bounds(date(year, month, 1), last, zone))
        return stats.month_cells(rows, year, month, zone)

    def emotion_counts(self, user_id: int, days: int | None = None, tz: str = "UTC") -> dict[str, int]:
        """Entries per emotion, every label present, all time or over the last ``days`` local days."""
        query = (select(EntryRow.mood, func.count()).where(EntryRow.user_id == user_id, EntryRow.mood.is_not(None))
                 .group_by(EntryRow.mood))
        if days is not None:
            query = query.where(EntryRow.created_at >= self._window(days, tz)[0])
        with self._tx() as s:
            found = dict(s.execute(query).all())
        return {label: found.get(label, 0) for label in moods.LABELS}

    def _window(self, days: int, tz: str) -> tuple[datetime, datetime]:
        if not 1 <= days <= SERIES_MAX_DAYS:
            raise HaruError(f"Choose between 1 and {SERIES_MAX_DAYS} days.", f"1~{SERIES_MAX_DAYS}일 사이로 골라 주세요.")
        today = self._clock().astimezone(stats.zone(tz)).date()
        return stats.utc_bounds(today - timedelta(days=days - 1), today, stats.zone(tz))

    def mood_series(self, user_id: int, days: int = 30, tz: str = "UTC") -> MoodSeries:
        """Plot-ready daily mood over the last ``days`` local days, today included."""
        lo, hi = self._window(days, tz)
        zone = stats.zone(tz)
        return stats.series(self._moods(user_id, lo, hi), stats.local_day(lo, zone), days, zone)

    def mood_plot(self, user_id: int, days: int = 30, tz: str = "UTC") -> "Figure":
        return stats.figure(self.mood_series(user_id, days, tz), f"Mood over the last {days} days")

    def mood_summary(self, user_id: int, days: int = 7, language: str = "ko", tz: str = "UTC") -> str:
        """One line for the companion's prompt, e.g. 'last 7 days: mostly sad (4 of 6 entries), ...'."""
        counts, entries = self._period_counts(user_id, days, tz)
        return stats.summary_text(counts, entries, days, language)

    def _period_counts(self, user_id: int, days: int, tz: str) -> tuple[Counter, int]:
        lo, hi = self._window(days, tz)
        rows = self._moods(user_id, lo, hi)
        return Counter(m for _, m in rows if m), len(rows)

    def report_facts(self, user_id: int, period: str = "week", language: str = "ko",
                     tz: str = "UTC") -> ReportFacts:
        """The plain facts of a weekly/monthly mood report, deterministic and in ``language``."""
        if period not in PERIODS:
            raise HaruError(f"A report covers a week or a month, not {period!r}.", "리포트는 주간 또는 월간만 있어요.")
        days = PERIODS[period]
        lo, hi = self._window(days, tz)
        zone = stats.zone(tz)
        rows = self._moods(user_id, lo, hi)
        series = stats.series(rows, stats.local_day(lo, zone), days, zone)
        text = stats.report_facts(series, Counter(m for _, m in rows if m), period, language)
        return ReportFacts(period, text, len(rows), self.get_user(user_id).name)

    # ---- export and maintenance -----------------------------------------------------------

    def export_user(self, user_id: int, fmt: str = "json") -> str:
        """Everything stored about the user: JSON (profile, entries, messages) or CSV (entries)."""
        if fmt not in ("json", "csv"):
            raise HaruError("Export as json or csv.", "내보내기 형식은 json 또는 csv예요.")
        with self._tx() as s:
            user = self._user_row(s, user_id)
            entries = s.scalars(select(EntryRow).where(EntryRow.user_id == user_id)
                                .order_by(EntryRow.created_at, EntryRow.id)).all()
            said = s.execute(select(MessageRow.entry_id, MessageRow.role, MessageRow.content)
                             .where(MessageRow.user_id == user_id).order_by(MessageRow.entry_id,
                                                                            MessageRow.position)).all()
        records = [{c: _plain(getattr(e, c)) for c in EXPORT_COLUMNS} for e in entries]
        if fmt == "csv":
            out = io.StringIO()
            writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS)
            writer.writeheader()
            writer.writerows({k: json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v
                              for k, v in r.items()} for r in records)
            return out.getvalue()
        by_entry: dict[int, list] = {}
        for entry_id, role, content in said:
            by_entry.setdefault(entry_id, []).append({"role": role, "content": content})
        for record, row in zip(records, entries):
            record["messages"] = by_entry.get(row.id, [])
            record["face_thumbnail_base64"] = (base64.b64encode(row.face_thumbnail).decode()
                                               if row.face_thumbnail is not None else None)
        profile = {"username": user.username, "name": user.name, "intro": user.intro,
                   "settings": user.settings, "created_at": _plain(user.created_at)}
        return json.dumps({"format": "haru-diary-export", "version": 1, "user": profile,
                           "entries": records}, ensure_ascii=False, indent=1)

    def check_integrity(self) -> list[str]:
        """Problems found in the database; empty when it is sound."""
        problems: list[str] = []
        with self._tx() as s:
            if self.engine.dialect.name == "sqlite":
                problems += [r[0] for r in s.execute(text("PRAGMA integrity_check")) if r[0] != "ok"]
                problems += [f"foreign key: {tuple(r)}" for r in s.execute(text("PRAGMA foreign_key_check"))]
            orphans = s.scalar(select(func.count()).select_from(MessageRow).outerjoin(
                EntryRow, EntryRow.id == MessageRow.entry_id).where(
                (EntryRow.id.is_(None)) | (EntryRow.user_id != MessageRow.user_id)))
            if orphans:
                problems.append(f"{orphans} chat messages without their entry")
        return problems


def _plain(value):
    return value.replace(tzinfo=timezone.utc).isoformat() if isinstance(value, datetime) else value


def _user(row: UserRow) -> User:
    return User(id=row.id, username=row.username, name=row.name, intro=row.intro,
                settings=dict(row.settings or {}), created_at=row.created_at.replace(tzinfo=timezone.utc))


def _entry_row(user_id: int, draft: EntryDraft, created_at: datetime) -> EntryRow:
    if draft.mode not in MODES:
        raise HaruError(f"Unknown entry mode {draft.mode!r}.", f"알 수 없는 기록 방식이에요: {draft.mode!r}")
    moods.check_label(draft.face_label, "face emotion")
    moods.check_label(draft.text_emotion, "text emotion")
    if draft.face_thumbnail is not None and len(draft.face_thumbnail) > THUMBNAIL_MAX_BYTES:
        raise HaruError(f"The face thumbnail is larger than {THUMBNAIL_MAX_BYTES // 1024} KB.",
                        f"얼굴 썸네일이 {THUMBNAIL_MAX_BYTES // 1024}KB보다 커요.")
    return EntryRow(user_id=user_id, created_at=created_at, mode=draft.mode, text=draft.text,
                    transcript=draft.transcript, face_label=draft.face_label,
                    face_probs=_probs(draft.face_probs),
                    text_emotion=draft.text_emotion, mood=draft.face_label or draft.text_emotion,
                    reply=draft.reply, songs=_json_safe(list(draft.songs), "songs"),
                    settings=_json_safe(dict(draft.settings), "settings"), face_thumbnail=draft.face_thumbnail)


def _probs(probs: dict) -> dict[str, float]:
    try:
        return {str(k): float(v) for k, v in probs.items()}
    except (TypeError, ValueError, AttributeError) as e:
        raise HaruError("Face probabilities must map labels to numbers.", "얼굴 감정 확률 값이 올바르지 않아요.") from e


def _entry(row: EntryRow, has_thumbnail: bool) -> Entry:
    return Entry(id=row.id, user_id=row.user_id, created_at=row.created_at.replace(tzinfo=timezone.utc),
                 mode=row.mode, text=row.text, transcript=row.transcript, face_label=row.face_label,
                 face_probs=dict(row.face_probs or {}), text_emotion=row.text_emotion, reply=row.reply,
                 songs=list(row.songs or []), settings=dict(row.settings or {}), has_thumbnail=bool(has_thumbnail))


@lru_cache(maxsize=None)
def open_store(database_url: str) -> DiaryStore:
    """The store for ``database_url``, created and migrated on first use, then shared."""
    engine = make_engine(database_url)
    try:
        migrate(engine)
    except HaruError:
        engine.dispose()   # not cached: the next call tries again from scratch
        raise
    return DiaryStore(engine)
