"""What a person chooses in Settings, as one frozen model from the form to the LLM call.

Each setting has one name, ``<part>_<field>`` (``songs_language``, ``voice_online``...): the form's
widgets, the ``/save_settings`` API parameters and the saved dict all use it, and the turn reads the
same field (``turn.prefs.songs.language``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, fields, replace
from typing import Any

from core.config import LLM_BACKENDS
from music.types import STRATEGIES, SUBMOODS
from prompts.render import reply_target_chars
from prompts.types import (
    ATTITUDES,
    COMPOSITIONS,
    INTENSITIES,
    LENGTHS,
    MODES,
    REPLY_LANGUAGES,
    CompanionSettings,
)

log = logging.getLogger(__name__)

LANGUAGES = ("ko", "en")
# The values each setting with a fixed set may take ("": the setting is not chosen).
CHOICES: dict[str, tuple[str, ...]] = {
    "reply_attitude": ATTITUDES, "reply_composition": COMPOSITIONS, "reply_intensity": tuple(INTENSITIES),
    "reply_length": tuple(LENGTHS), "reply_language": REPLY_LANGUAGES, "voice_speech_language": ("",) + LANGUAGES,
    "songs_strategy": STRATEGIES, "songs_language": ("any",) + LANGUAGES, "songs_submood": ("",) + SUBMOODS,
    "backend_kind": ("",) + LLM_BACKENDS, "ui_language": ("",) + LANGUAGES,
}


def _check(name: str, value: Any) -> None:
    if value not in CHOICES[name]:
        raise ValueError(f"{name} must be one of {CHOICES[name]}, got {value!r}")


def reply_lengths(length: str, language: str) -> dict[str, int]:
    """The characters a reply of ``length`` aims at in ``language``, per mode: what the prompt asks for."""
    settings = CompanionSettings(length=length, language=language)
    return {mode: reply_target_chars(settings, mode) for mode in MODES}


@dataclass(frozen=True)
class VoicePrefs:
    on: bool = True                  # Anna's replies spoken aloud
    online: bool = True              # False: offline voices only, so no reply text leaves the machine
    speech_language: str = ""        # empty: Whisper tells Korean from English by itself

    def __post_init__(self) -> None:
        _check("voice_speech_language", self.speech_language)


@dataclass(frozen=True)
class SongPrefs:
    strategy: str = "match"
    language: str = "any"
    submood: str = ""                # empty: none; for neutral moods

    def __post_init__(self) -> None:
        _check("songs_strategy", self.strategy)
        _check("songs_language", self.language)
        _check("songs_submood", self.submood)


@dataclass(frozen=True)
class BackendPrefs:
    """The LLM for this person; all empty means the server's configured backend as it is."""
    kind: str = ""
    model: str = ""
    api_key: str = field(default="", repr=False)   # typed in Settings, lives only in the session
    base_url: str = ""

    def __post_init__(self) -> None:
        _check("backend_kind", self.kind)

    def chosen(self, server_kind: str = "") -> bool:
        """Whether this differs from the server's own backend ``server_kind`` (by default: anything set)."""
        return self.kind not in ("", server_kind) or bool(self.model or self.api_key or self.base_url)


# The reply fields a person sets; persona_name and default_language are the app's, set per turn.
REPLY_FIELDS = ("attitude", "composition", "intensity", "length", "language")
PARTS = {"reply": REPLY_FIELDS, "voice": tuple(f.name for f in fields(VoicePrefs)),
         "songs": tuple(f.name for f in fields(SongPrefs)), "backend": tuple(f.name for f in fields(BackendPrefs))}
NOT_SAVED = ("backend_api_key",)
# Keys of the flat dict saved before the parts existed.
LEGACY_NAMES = {"attitude": "reply_attitude", "composition": "reply_composition", "intensity": "reply_intensity",
                "length": "reply_length", "voice": "voice_on", "speech_language": "voice_speech_language",
                "song_strategy": "songs_strategy", "song_language": "songs_language", "submood": "songs_submood",
                "llm_backend": "backend_kind", "llm_model": "backend_model", "base_url": "backend_base_url"}


@dataclass(frozen=True)
class Preferences:
    reply: CompanionSettings = field(default_factory=CompanionSettings)
    voice: VoicePrefs = field(default_factory=VoicePrefs)
    songs: SongPrefs = field(default_factory=SongPrefs)
    backend: BackendPrefs = field(default_factory=BackendPrefs)
    ui_language: str = ""            # empty: follow the browser

    def __post_init__(self) -> None:
        _check("ui_language", self.ui_language)

    @staticmethod
    def names() -> tuple[str, ...]:
        """Every setting's one name, in form order."""
        return tuple(f"{part}_{name}" for part, names in PARTS.items() for name in names) + ("ui_language",)

    def values(self) -> dict[str, Any]:
        """``{name: value}`` for every setting; composition as a sorted list."""
        out: dict[str, Any] = {}
        for part, names in PARTS.items():
            for name in names:
                value = getattr(getattr(self, part), name)
                out[f"{part}_{name}"] = sorted(value) if isinstance(value, frozenset) else value
        out["ui_language"] = self.ui_language
        return out

    def updated(self, **values: Any) -> Preferences:
        """These preferences with the named settings changed; raises ValueError on an invalid value."""
        unknown = set(values) - set(self.names())
        if unknown:
            raise TypeError(f"unknown settings: {sorted(unknown)}")
        changes: dict[str, Any] = {}
        for part, names in PARTS.items():
            part_values = {n: values[f"{part}_{n}"] for n in names if f"{part}_{n}" in values}
            if part_values:
                changes[part] = replace(getattr(self, part), **part_values)
        if "ui_language" in values:
            changes["ui_language"] = values["ui_language"]
        return replace(self, **changes)

    def saved(self) -> dict[str, Any]:
        """The dict kept in the diary (``DiaryStore.save_settings``): everything but the API key."""
        return {k: v for k, v in self.values().items() if k not in NOT_SAVED}

    @classmethod
    def from_saved(cls, saved: dict | None, defaults: Preferences) -> Preferences:
        """Saved values over ``defaults``; keys an older or newer version wrote are ignored, and a saved
        dict that no longer validates gives ``defaults``."""
        known = set(cls.names()) - set(NOT_SAVED)
        values = {LEGACY_NAMES.get(k, k): v for k, v in (saved or {}).items()}
        values = {k: v for k, v in values.items() if k in known}
        try:
            return defaults.updated(**values)
        except (TypeError, ValueError):
            log.warning("ignoring saved settings that no longer validate")
            return defaults
