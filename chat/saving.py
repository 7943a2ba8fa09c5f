"""Saving a turn to the diary, and keeping the turns whose save failed until the diary answers again."""

from __future__ import annotations

import threading
from typing import Any, Iterator

from chat.types import ErrorEvent, NoticeEvent, ReplyEvent, SavedEvent
from core.errors import HaruError
from diary.types import DiaryUnavailableError, EntryDraft


class PendingSavedNotice(HaruError):
    def __init__(self, count: int) -> None:
        super().__init__(f"The diary is back: {count} earlier entr{'y' if count == 1 else 'ies'} saved.",
                         f"일기장이 다시 연결됐어요. 보관해 둔 글 {count}개를 저장했어요.")


class SaveQueue:
    """The drafts a diary outage kept back, oldest first; shared by every turn of one companion."""

    def __init__(self) -> None:
        self._waiting: list[tuple[int, EntryDraft]] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._waiting)

    def save(self, store: Any, user_id: int, draft: EntryDraft) -> Iterator[ReplyEvent]:
        """Save ``draft`` after any drafts kept back; if the diary is unreachable, keep it and say so."""
        flushed = self._flush(store)
        if flushed:
            yield NoticeEvent(PendingSavedNotice(flushed))
        try:
            entry = store.save_entry(user_id, draft)
        except DiaryUnavailableError as e:
            # Keep the turn; it is written as soon as the database answers again.
            with self._lock:
                self._waiting.append((user_id, draft))
            yield ErrorEvent(e)
            return
        yield SavedEvent(entry)

    def _flush(self, store: Any) -> int:
        with self._lock:
            waiting, self._waiting = self._waiting, []
        saved = 0
        for i, (user_id, draft) in enumerate(waiting):
            try:
                store.save_entry(user_id, draft)
                saved += 1
            except DiaryUnavailableError:
                with self._lock:
                    self._waiting[:0] = waiting[i:]
                break
        return saved
