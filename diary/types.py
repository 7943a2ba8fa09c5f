from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from core.errors import ErrorCategory, HaruError


@dataclass(frozen=True)
class User:
    id: int
    username: str
    name: str
    intro: str = ""
    settings: dict = field(default_factory=dict)   # UI/companion settings, persisted per user
    created_at: datetime | None = None


@dataclass(frozen=True)
class EntryDraft:
    """Everything one turn produced; saved in one transaction."""
    mode: str = "conversation"                     # "conversation" | "diary"
    text: str = ""                                 # typed text
    transcript: str = ""                           # speech transcript
    face_label: str | None = None
    face_probs: dict[str, float] = field(default_factory=dict)
    text_emotion: str | None = None
    reply: str = ""                                # Anna's reply
    songs: list[dict] = field(default_factory=list)
    settings: dict = field(default_factory=dict)   # settings and models that produced the turn
    face_thumbnail: bytes | None = None            # only when the user opted in
    created_at: datetime | None = None             # None = now (UTC)


@dataclass(frozen=True)
class Entry:
    id: int
    user_id: int
    created_at: datetime
    mode: str
    text: str
    transcript: str
    face_label: str | None
    face_probs: dict[str, float]
    text_emotion: str | None
    reply: str
    songs: list[dict]
    settings: dict
    has_thumbnail: bool = False

    @property
    def mood(self) -> str | None:
        """The emotion the calendar shows for this entry: the face if seen, else the words."""
        return self.face_label or self.text_emotion


@dataclass(frozen=True)
class DayCell:
    day: date
    entries: int
    mood: str | None          # dominant emotion of the day
    emoji: str
    colour: str               # CSS colour


class DiaryUnavailableError(HaruError):
    def __init__(self, detail_en: str = "", detail_ko: str = "") -> None:
        super().__init__(
            ("The diary is unavailable right now; your text is kept and will be saved when it is back. " + detail_en).strip(),
            ("지금 일기장에 연결할 수 없어요. 글은 보관했다가 다시 연결되면 저장할게요. " + detail_ko).strip(),
            category=ErrorCategory.UNAVAILABLE)


class AuthError(HaruError):
    category = ErrorCategory.AUTH


@dataclass(frozen=True)
class MoodSeries:
    """Plot-ready mood per local day, oldest first; days without a mood have score None."""
    days: tuple[date, ...]
    score: tuple[float | None, ...]     # mean valence of the day's entries, -1 (unpleasant) .. 1
    entries: tuple[int, ...]            # entries written that day
    mood: tuple[str | None, ...]        # dominant emotion of the day


@dataclass(frozen=True)
class ReportFacts:
    """A weekly/monthly mood report's plain facts (``DiaryStore.report_facts``), before any LLM note."""
    period: str                          # "week" | "month"
    text: str                            # the counts, trend and brightest/hardest days, in one language
    entries: int                         # entries in the period; 0: nothing to write a note about
    name: str                            # the person's name, for the note

    def with_note(self, note: str) -> str:
        """The report as shown: the facts first (the counts must be the real ones), then the note if any."""
        note = (note or "").strip()
        return f"{self.text}\n\n{note}" if note else self.text
