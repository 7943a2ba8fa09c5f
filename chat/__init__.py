"""The conversation stage: the orchestrator and the LLM backends.

``build_companion(config)`` wires the real stages; tests build a
:class:`Companion` directly with the stage callables they want. A UI keeps one
:class:`Conversation` per conversation and sends every turn through it, and
one :class:`Mirror` per webcam stream. ``Message``, ``Profile`` and ``join_clips``
are re-exported so a UI needs no other stage.
"""

from __future__ import annotations

import importlib
import logging
from functools import partial
from typing import Callable

from chat.companion import (
    MAX_TEXT_CHARS,
    Companion,
    EmptyTurnError,
    TextTooLongError,
    emotion_probs,
)
from chat.conversation import MAX_RECORDING_SECONDS, Conversation, ListeningOffError
from chat.mirror import Mirror
from chat.prefs import BackendPrefs, Preferences, SongPrefs, VoicePrefs
from chat.types import (
    AudioEvent,
    CheckInEvent,
    DoneEvent,
    EmotionEvent,
    ErrorEvent,
    NoticeEvent,
    ReplyEvent,
    SavedEvent,
    SongsEvent,
    TextDelta,
    TranscriptEvent,
    Turn,
)
from core.config import LLM_BACKENDS as BACKENDS
from core.config import AppConfig
from prompts.types import Message, Profile
from speech.tts import join_clips

__all__ = [
    "AudioEvent", "BACKENDS", "BackendPrefs", "CheckInEvent", "Companion", "Conversation", "DoneEvent",
    "EmotionEvent", "EmptyTurnError", "ErrorEvent", "ListeningOffError", "MAX_RECORDING_SECONDS", "MAX_TEXT_CHARS",
    "Message", "Mirror", "NoticeEvent", "Preferences", "Profile", "ReplyEvent", "SavedEvent", "SongPrefs",
    "SongsEvent", "TextDelta", "TextTooLongError", "TranscriptEvent", "Turn", "VoicePrefs", "build_companion",
    "emotion_probs", "join_clips", "warmup",
]

log = logging.getLogger(__name__)


def _deferred(module: str, name: str) -> Callable:
    """A callable that imports its target on first call: building the app loads no model library."""
    def call(*args, **kwargs):
        return getattr(importlib.import_module(module), name)(*args, **kwargs)
    return call


def _backend_from_choice(config: AppConfig, choice: BackendPrefs):
    from chat.backends import get_backend
    return get_backend(choice.kind or config.llm_backend, config, api_key=choice.api_key or None,
                       model=choice.model or None, base_url=choice.base_url or None)


def build_companion(config: AppConfig, **overrides) -> Companion:
    """The production wiring. Nothing heavy loads here: each stage loads on first use or in warmup()."""
    import diary
    import music
    import speech
    import vision
    from chat.backends import get_backend
    from vision.thumbnail import face_thumbnail

    backend = get_backend(config.llm_backend, config)
    whisper = speech.WhisperSource.from_config(config)
    catalogue = music.load_catalogue(config.music_catalogue or None)
    parts = dict(
        backend=backend,
        fallback=None if config.llm_backend == "local" else get_backend("local", config),
        read_emotion=partial(_deferred("vision.api", "read_emotion"),
                             choice=vision.ClassifierChoice.from_config(config), max_upload_mb=config.max_upload_mb),
        transcribe=partial(speech.transcribe, source=whisper,
                           max_upload_mb=config.max_upload_mb),
        synthesize_stream=speech.synthesize_stream if config.voice else None,
        recommend=partial(music.recommend, catalogue=catalogue),
        song_session=partial(music.SongSession, catalogue),
        listener=partial(speech.Listener, source=whisper),
        store=diary.open_store(config.resolved_database_url),
        backend_factory=partial(_backend_from_choice, config),
        online_tts=config.online_tts,
        face_thumbnail=face_thumbnail if config.keep_face_thumbnail else None,
    )
    parts.update(overrides)
    return Companion(**parts)


def warmup(config: AppConfig, on_progress: Callable[[str, str], None] | None = None) -> dict[str, str]:
    """Load every offline model once, slowest last; report ("vision", "ready"|"failed: ...") as each ends.

    Meant for a background thread at app start, so the first turn does not pay the loading cost.
    """
    import speech
    import vision
    from chat.backends import get_backend

    # The local model is warmed even with a cloud backend: it is the fallback when the cloud fails.
    local = get_backend("local", config)
    steps = [("vision", partial(vision.warmup, vision.ClassifierChoice.from_config(config))),
             ("speech", partial(speech.warmup, speech.WhisperSource.from_config(config))),
             ("llm", getattr(local, "warmup", lambda: None))]
    status: dict[str, str] = {}
    for name, step in steps:
        if on_progress:
            on_progress(name, "loading")
        try:
            step()
            status[name] = "ready"
        except Exception as e:  # warmup must never kill the app; the turn will report the real error
            log.exception("warmup of %s failed", name)
            status[name] = f"failed: {e}"
        if on_progress:
            on_progress(name, status[name])
    return status
