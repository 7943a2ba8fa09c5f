"""The mood diary: accounts, durable entries, month calendar, mood statistics and reports."""

from diary.accounts import SharedLoginLimiter
from diary.auth import LoginLimiter
from diary.moods import COLOUR, EMOJI, LABELS, VALENCE
from diary.store import DiaryStore, open_store
from diary.types import (AuthError, DayCell, DiaryUnavailableError, Entry, EntryDraft, MoodSeries, ReportFacts,
                         User)

__all__ = ["AuthError", "COLOUR", "DayCell", "DiaryStore", "DiaryUnavailableError", "EMOJI", "Entry",
           "EntryDraft", "LABELS", "LoginLimiter", "MoodSeries", "ReportFacts", "SharedLoginLimiter", "User",
           "VALENCE", "open_store"]
