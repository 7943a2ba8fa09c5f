"""Calendar cells, mood series and the texts built from them: pure functions over (time, mood) rows.

Rows are ``(created_at, mood)`` with ``created_at`` a naive UTC datetime (how the store keeps time),
in chronological order. Days are local days in the caller's time zone.
"""

from __future__ import annotations

import calendar
from collections import Counter
from datetime import date, datetime, time, timedelta, timezone
from statistics import fmean
from typing import TYPE_CHECKING, Iterable, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import HaruError
from diary import moods
from diary.types import DayCell, MoodSeries

if TYPE_CHECKING:
    from matplotlib.figure import Figure

Row = tuple[datetime, "str | None"]

# A change in mean score between the halves of a period smaller than this reads as "steady".
TREND_STEP = 0.2


def zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise HaruError(f"Unknown time zone {tz!r}.", f"알 수 없는 시간대예요: {tz!r}") from e


def utc_bounds(first: date, last: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Naive-UTC [start, end) covering the local days first..last."""
    start = datetime.combine(first, time(), tz).astimezone(timezone.utc).replace(tzinfo=None)
    end = datetime.combine(last + timedelta(days=1), time(), tz).astimezone(timezone.utc).replace(tzinfo=None)
    return start, end


def local_day(created_at: datetime, tz: ZoneInfo) -> date:
    return created_at.replace(tzinfo=timezone.utc).astimezone(tz).date()


def dominant(day_moods: Sequence[str | None]) -> str | None:
    """The most frequent mood; a tie goes to the one felt last."""
    counts = Counter(m for m in day_moods if m)
    if not counts:
        return None
    best = max(counts.values())
    return next(m for m in reversed(day_moods) if m and counts[m] == best)


def _by_day(rows: Iterable[Row], tz: ZoneInfo) -> dict[date, list[str | None]]:
    days: dict[date, list[str | None]] = {}
    for created_at, mood in rows:
        days.setdefault(local_day(created_at, tz), []).append(mood)
    return days


def month_cells(rows: Iterable[Row], year: int, month: int, tz: ZoneInfo) -> list[DayCell]:
    days = _by_day(rows, tz)
    cells = []
    for n in range(1, calendar.monthrange(year, month)[1] + 1):
        day = date(year, month, n)
        felt = days.get(day, [])
        mood = dominant(felt)
        cells.append(DayCell(day=day, entries=len(felt), mood=mood,
                             emoji=moods.EMOJI[mood] if mood else "",
                             colour=moods.COLOUR[mood] if mood else moods.EMPTY_COLOUR))
    return cells


def series(rows: Iterable[Row], first: date, days: int, tz: ZoneInfo) -> MoodSeries:
    by_day = _by_day(rows, tz)
    span = [first + timedelta(days=i) for i in range(days)]
    scores, counts, dominants = [], [], []
    for day in span:
        felt = by_day.get(day, [])
        valences = [moods.VALENCE[m] for m in felt if m]
        scores.append(round(fmean(valences), 3) if valences else None)
        counts.append(len(felt))
        dominants.append(dominant(felt))
    return MoodSeries(days=tuple(span), score=tuple(scores), entries=tuple(counts), mood=tuple(dominants))


def _mix(counts: Counter, entries: int, language: str) -> str:
    """'mostly sad (4 of 6 entries), also happy (2)'."""
    ranked = counts.most_common()
    top, n = ranked[0]
    rest = ", ".join(f"{moods.name(m, language)} {c}개" if language == "ko" else f"{m} ({c})"
                     for m, c in ranked[1:3])
    if language == "ko":
        text = f"주로 {moods.name(top, 'ko')} ({entries}개 중 {n}개)"
        return text + (f", 그 밖에 {rest}" if rest else "")
    text = f"mostly {top} ({n} of {entries} entries)"
    return text + (f", also {rest}" if rest else "")


def summary_text(counts: Counter, entries: int, days: int, language: str) -> str:
    """One line the companion's prompt can carry: 'last 7 days: mostly sad (4 of 6 entries), ...'."""
    head = f"최근 {days}일" if language == "ko" else f"last {days} days"
    if not entries:
        return f"{head}: 기록 없음" if language == "ko" else f"{head}: no entries"
    if not counts:
        return (f"{head}: 기록 {entries}개, 감정 정보 없음" if language == "ko"
                else f"{head}: {entries} entries, no emotion recorded")
    return f"{head}: {_mix(counts, entries, language)}"


def _when(day: date, language: str) -> str:
    return f"{day.month}월 {day.day}일" if language == "ko" else day.strftime("%b %d").replace(" 0", " ")


def report_facts(s: MoodSeries, counts: Counter, period: str, language: str) -> str:
    """A deterministic mood report: what the companion would say, without an LLM."""
    ko = language == "ko"
    span = f"{_when(s.days[0], language)} – {_when(s.days[-1], language)}"
    head = (("이번 주" if period == "week" else "이번 달") + f" ({span})" if ko
            else ("Your week" if period == "week" else "Your month") + f" ({span})")
    entries, written = sum(s.entries), sum(1 for n in s.entries if n)
    if not entries:
        return (f"{head}: 남긴 기록이 없어요. 오늘 한 줄부터 시작해 볼까요?" if ko
                else f"{head}: no entries yet. How about one line today?")
    parts = [f"{head}: {len(s.days)}일 중 {written}일, {entries}개의 기록을 남겼어요." if ko
             else f"{head}: {entries} entries on {written} of {len(s.days)} days."]
    if counts:
        mix = _mix(counts, entries, language)
        parts.append(mix[0].upper() + mix[1:] + ".")
    parts.extend(_trend(s, ko))
    scored = [(score, day, mood) for score, day, mood in zip(s.score, s.days, s.mood) if score is not None]
    if len(scored) > 1:
        high = max(scored, key=lambda x: (x[0], x[1]))
        low = min(scored, key=lambda x: (x[0], x[1]))
        if high[0] > low[0]:
            parts.append(f"가장 밝았던 날: {_when(high[1], language)} ({moods.name(high[2], 'ko')}). "
                         f"가장 힘들었던 날: {_when(low[1], language)} ({moods.name(low[2], 'ko')})." if ko
                         else f"Brightest day: {_when(high[1], language)} ({high[2]}). "
                              f"Hardest day: {_when(low[1], language)} ({low[2]}).")
    return " ".join(parts)


def _trend(s: MoodSeries, ko: bool) -> list[str]:
    half = len(s.score) // 2
    early = [v for v in s.score[:half] if v is not None]
    late = [v for v in s.score[half:] if v is not None]
    if not early or not late:
        return []
    a, b = fmean(early), fmean(late)
    if b - a >= TREND_STEP:
        return [f"기분이 점점 나아졌어요 ({a:+.2f} → {b:+.2f})." if ko
                else f"Your mood rose over the period ({a:+.2f} → {b:+.2f} on a -1..1 scale)."]
    if a - b >= TREND_STEP:
        return [f"후반으로 갈수록 기분이 가라앉았어요 ({a:+.2f} → {b:+.2f})." if ko
                else f"Your mood sank over the period ({a:+.2f} → {b:+.2f} on a -1..1 scale)."]
    return [f"기분은 대체로 비슷하게 유지됐어요 ({b:+.2f})." if ko
            else f"Your mood stayed about the same ({b:+.2f} on a -1..1 scale)."]


def figure(s: MoodSeries, title: str) -> "Figure":
    """A line of daily mood score with entry counts as bars; built without pyplot (no global state)."""
    from matplotlib.figure import Figure   # deferred: matplotlib costs ~0.5 s to import
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(8, 3), layout="constrained")
    ax = fig.add_subplot()
    bars = ax.twinx()
    # one filled step shape, not a bar per day: 365 bar patches made the figure ten times slower
    bars.fill_between(s.days, s.entries, step="mid", color="#cfd8dc", label="entries")
    bars.set_ylabel("entries")
    bars.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_zorder(bars.get_zorder() + 1)
    ax.patch.set_visible(False)
    ax.plot(s.days, [float("nan") if v is None else v for v in s.score],
            marker="o" if len(s.days) <= 31 else None, color="#5e35b1", label="mood")
    ax.axhline(0, color="#9e9e9e", linewidth=0.8)
    ax.set_ylim(-1.05, 1.05)
    ax.set_ylabel("mood (-1 .. 1)")
    ax.set_title(title)
    fig.autofmt_xdate()
    return fig
