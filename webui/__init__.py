"""Rendering helpers for app.py: UI strings in Korean and English, and small HTML renderers."""

from webui.render import (CSS, TRANSLATE_JS, banner_html, calendar_html, comment_html, emotion_html, entries_html,
                          songs_html)
from webui.strings import LANGUAGES, STRINGS, pick_language, t

__all__ = ["CSS", "TRANSLATE_JS", "LANGUAGES", "STRINGS", "banner_html", "calendar_html", "comment_html", "emotion_html",
           "entries_html", "pick_language", "songs_html", "t"]
