"""The server-side state of one browser tab or API client."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import diary
from chat import BackendPrefs, Conversation, Preferences
from core import AppConfig
from webui.strings import t

NOT_LOGGED_IN = diary.AuthError(t("auth.needed", "en"), t("auth.needed", "ko"))


@dataclass(frozen=True)
class Session:
    """One browser tab or API client. Kept server-side in ``gr.State``; never written to disk."""
    user_id: int | None = None
    username: str = ""
    name: str = ""
    intro: str = ""
    language: str = "ko"             # screen language
    tz: str = "UTC"                  # the browser's time zone, for calendar days
    prefs: Preferences = field(default_factory=Preferences)   # the API key lives only here, never saved
    # Set at sign-in. Mutable: every copy of the session (saving a setting makes one, even while a reply
    # streams) goes on with the same conversation and recording.
    conversation: Conversation | None = field(default=None, compare=False, repr=False)

    def user(self) -> int:
        if self.user_id is None:
            raise NOT_LOGGED_IN
        return self.user_id

    @property
    def persona(self) -> str:
        return self.prefs.reply.persona_name

    def turn_prefs(self, config: AppConfig) -> Preferences:
        """The preferences a turn of this session runs with: "auto" replies fall back to the screen language,
        and a backend that is just the server's own stays unset, so the server's fallback still applies."""
        backend = self.prefs.backend if self.prefs.backend.chosen(config.llm_backend) else BackendPrefs()
        return replace(self.prefs, reply=replace(self.prefs.reply, default_language=self.language), backend=backend)

    def signed_in(self, user: diary.User, defaults: Preferences) -> Session:
        prefs = Preferences.from_saved(user.settings, defaults)
        return replace(Session(), user_id=user.id, username=user.username, name=user.name, intro=user.intro,
                       language=prefs.ui_language or self.language, tz=self.tz, prefs=prefs)


def valid_zone(tz: str) -> str:
    try:
        ZoneInfo(tz)
    except (ValueError, KeyError, OSError):
        return "UTC"
    return tz


def today(session: Session) -> date:
    return datetime.now(timezone.utc).astimezone(ZoneInfo(session.tz)).date()
