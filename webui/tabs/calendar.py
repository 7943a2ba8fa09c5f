"""The Calendar tab: the month's moods, a day's entries, the emotion charts and the mood report."""

from __future__ import annotations

import gradio as gr
import pandas as pd

import diary
from core import HaruError
from diary.moods import name as mood_name
from webui import render
from webui.common import HandlersBase, guarded, parse_day, parse_month
from webui.session import Session, today
from webui.strings import t

STATS_DAYS = (7, 30, 90, 365)


class CalendarHandlers(HandlersBase):
    @guarded
    def calendar(self, session: Session, month: str, selected: str = ""):
        year, mon = parse_month(month)
        cells = self.store.month_calendar(session.user(), year, mon, tz=session.tz)
        chosen = parse_day(selected) if selected else None
        return render.calendar_html(year, mon, cells, session.language, chosen)

    def shift_month(self, session: Session, month: str, step: int) -> str:
        try:
            year, mon = parse_month(month)
        except HaruError:
            year, mon = today(session).year, today(session).month
        index = year * 12 + (mon - 1) + step
        return f"{index // 12:04d}-{index % 12 + 1:02d}"

    def pick_day(self, session: Session, evt: gr.EventData):
        return getattr(evt, "day", "") or gr.update()

    @guarded
    def day(self, session: Session, day: str):
        chosen = parse_day(day)
        entries = self.store.list_entries(session.user(), chosen, tz=session.tz)
        return render.entries_html(entries, session.language, session.persona, empty_day=chosen, tz=session.tz)

    @guarded
    def entry(self, session: Session, entry_id: float):
        found = self.store.get_entry(session.user(), int(entry_id or 0))
        return render.entries_html([found], session.language, session.persona, tz=session.tz)

    @guarded
    def stats(self, session: Session, days: int):
        user_id, days = session.user(), int(days)
        counts = self.store.emotion_counts(user_id, days=days, tz=session.tz)
        table = {"emotion": [f"{diary.EMOJI[k]} {mood_name(k, session.language)}" for k in counts],
                 "entries": list(counts.values())}
        return pd.DataFrame(table), self.store.mood_plot(user_id, days=days, tz=session.tz)

    @guarded
    def report(self, session: Session, period: str, progress=gr.Progress()):
        progress(0.1, desc=t("stats.report_working", session.language))
        # "auto" follows the person's recent entries, else the screen language (as a reply does).
        return self.companion.report(session.user(), period, session.turn_prefs(self.config).reply, session.tz)
