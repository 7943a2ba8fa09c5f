"""Read-only mood views over a user's entries: month calendar, emotion counts, series, plot, summary, report."""

from __future__ import annotations

import calendar
from collections import Counter
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from core.errors import HaruError
from diary import moods, stats
from diary.schema import EntryRow
from diary.types import DayCell, MoodSeries, ReportFacts

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PERIODS = {"week": 7, "month": 30}
SERIES_MAX_DAYS = 3660


class MoodViewsMixin:
    """:class:`diary.DiaryStore`'s mood views; the store supplies ``_tx``, ``_clock`` and ``get_user``."""

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
