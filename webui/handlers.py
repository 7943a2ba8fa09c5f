"""Every event handler of the app, joined from one class per tab; the first argument of each is the session."""

from __future__ import annotations

from webui.tabs.auth import AuthHandlers
from webui.tabs.calendar import CalendarHandlers
from webui.tabs.diary import DiaryHandlers
from webui.tabs.mirror import MirrorHandlers
from webui.tabs.profile import ProfileHandlers
from webui.tabs.settings import SettingsHandlers
from webui.tabs.talk import TalkHandlers


class Handlers(AuthHandlers, TalkHandlers, DiaryHandlers, CalendarHandlers, MirrorHandlers, ProfileHandlers,
               SettingsHandlers):
    """Built with ``(config, companion, store, warmup, export_dir)`` (:class:`webui.common.HandlersBase`)."""
