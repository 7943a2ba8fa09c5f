"""The diary store: accounts, entries and the views built on them, over SQLite or PostgreSQL.

Every public method takes the acting ``user_id`` and every query filters on it, so one user can
never reach another's rows. Every write is one transaction. The methods live by concern in
:mod:`diary.accounts`, :mod:`diary.entries` and :mod:`diary.views`; export and the integrity check
read every table, so they stay here.
"""

from __future__ import annotations

import base64
import csv
import io
import json
from datetime import datetime
from functools import lru_cache
from typing import Callable

from argon2 import PasswordHasher
from sqlalchemy import Engine, func, select, text

from core.errors import HaruError
from diary import auth
from diary.accounts import AccountsMixin, SharedLoginLimiter, user_row
from diary.convert import plain, utcnow
from diary.db import make_engine, migrate, transaction
from diary.entries import EntriesMixin
from diary.schema import EntryRow, MessageRow
from diary.views import MoodViewsMixin

EXPORT_COLUMNS = ("id", "created_at", "mode", "text", "transcript", "face_label", "face_probs",
                  "text_emotion", "mood", "reply", "songs", "settings")


class DiaryStore(AccountsMixin, EntriesMixin, MoodViewsMixin):
    """Construct with a migrated engine (see :func:`open_store`); holds no per-user state."""

    def __init__(self, engine: Engine, *, hasher: PasswordHasher | None = None,
                 limiter: auth.LoginLimiter | SharedLoginLimiter | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self._hasher = hasher or PasswordHasher()
        self._limiter = limiter or SharedLoginLimiter(engine)
        self._clock = clock
        self._dummy_hash: str | None = None

    def _tx(self, write: bool = False):   # a context manager, see diary.db.transaction
        return transaction(self.engine, write)

    def export_user(self, user_id: int, fmt: str = "json") -> str:
        """Everything stored about the user: JSON (profile, entries, messages) or CSV (entries)."""
        if fmt not in ("json", "csv"):
            raise HaruError("Export as json or csv.", "내보내기 형식은 json 또는 csv예요.")
        with self._tx() as s:
            user = user_row(s, user_id)
            entries = s.scalars(select(EntryRow).where(EntryRow.user_id == user_id)
                                .order_by(EntryRow.created_at, EntryRow.id)).all()
            said = s.execute(select(MessageRow.entry_id, MessageRow.role, MessageRow.content)
                             .where(MessageRow.user_id == user_id).order_by(MessageRow.entry_id,
                                                                            MessageRow.position)).all()
        records = [{c: plain(getattr(e, c)) for c in EXPORT_COLUMNS} for e in entries]
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
                   "settings": user.settings, "created_at": plain(user.created_at)}
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
