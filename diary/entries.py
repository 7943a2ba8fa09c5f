"""Diary entries: saving one with its chat messages, and reading entries, thumbnails and messages back."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import defer

from diary import stats
from diary.accounts import user_row
from diary.convert import entry_row, naive_utc, not_found, to_entry
from diary.schema import EntryRow, MessageRow
from diary.types import Entry, EntryDraft


class EntriesMixin:
    """:class:`diary.DiaryStore`'s entry methods; the store supplies ``_tx`` and ``_clock``."""

    def save_entry(self, user_id: int, draft: EntryDraft) -> Entry:
        """Store the entry and its chat messages in one transaction."""
        row = entry_row(user_id, draft, naive_utc(draft.created_at or self._clock()))
        said = [text for text in (draft.text, draft.transcript) if text.strip()]
        with self._tx(write=True) as s:
            user_row(s, user_id)
            s.add(row)
            s.flush()
            turns = [("user", t) for t in said] + ([("assistant", draft.reply)] if draft.reply.strip() else [])
            s.add_all(MessageRow(entry_id=row.id, user_id=user_id, position=i, role=role, content=content)
                      for i, (role, content) in enumerate(turns))
        return to_entry(row, row.face_thumbnail is not None)

    def get_entry(self, user_id: int, entry_id: int) -> Entry:
        with self._tx() as s:
            found = s.execute(self._entries(user_id).where(EntryRow.id == entry_id)).first()
        if found is None:
            raise not_found("Diary entry", "일기")
        return to_entry(*found)

    def get_thumbnail(self, user_id: int, entry_id: int) -> bytes | None:
        with self._tx() as s:
            found = s.execute(select(EntryRow.face_thumbnail)
                              .where(EntryRow.user_id == user_id, EntryRow.id == entry_id)).first()
        if found is None:
            raise not_found("Diary entry", "일기")
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
        return [to_entry(*f) for f in reversed(found)]

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
