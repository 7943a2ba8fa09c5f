"""Which language a person wrote or spoke in, so Anna can answer in it."""

from __future__ import annotations

import re

_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")
_LATIN = re.compile(r"[A-Za-z]")


def words_language(text: str, spoken: str | None = None, default: str = "ko") -> str:
    """"ko" or "en": what Whisper heard when the person spoke, else the script of the typed words,
    else ``default`` (emoji, numbers, nothing)."""
    if spoken in ("ko", "en"):
        return spoken
    hangul, latin = len(_HANGUL.findall(text or "")), len(_LATIN.findall(text or ""))
    if not hangul and not latin:
        return default
    # A Hangul syllable carries about as much as three Latin letters, and Korean sentences often hold an
    # English word ("오늘 meeting 너무 길었어") while English ones rarely hold Korean.
    return "ko" if hangul * 3 >= latin else "en"
