from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Union

from chat.prefs import Preferences
from core.errors import HaruError
from diary.types import Entry
from music.types import Track
from prompts.types import Message, Profile
from speech.types import AudioClip, Transcript
from vision.types import EmotionReading


@dataclass(frozen=True)
class Turn:
    """One thing the user did: spoke, typed, or wrote a diary entry, maybe with a face."""
    profile: Profile
    prefs: Preferences = field(default_factory=Preferences)   # reply, voice, songs and LLM choices
    user_id: int | None = None           # None: not logged in, nothing is saved
    text: str = ""
    image: Any = None                    # path, PIL image or RGB ndarray
    audio: Any = None                    # path, bytes or (sample_rate, ndarray)
    mode: str = "conversation"           # "conversation" | "diary"
    history: tuple[Message, ...] = ()    # earlier turns of this conversation (chat.Conversation fills it in)


@dataclass(frozen=True)
class EmotionEvent:
    reading: EmotionReading


@dataclass(frozen=True)
class TranscriptEvent:
    transcript: Transcript


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class AudioEvent:
    clip: AudioClip


@dataclass(frozen=True)
class SongsEvent:
    tracks: tuple[Track, ...]
    language: str = "ko"                 # the reply's language: the songs' reasons are shown in it
    mood: Mapping[str, float] = field(default_factory=dict)   # the emotion probabilities they were chosen for


@dataclass(frozen=True)
class NoticeEvent:
    """Something the user should know that did not stop the turn (fallback used, several faces...)."""
    notice: HaruError


@dataclass(frozen=True)
class CheckInEvent:
    """The words may speak of danger, though not surely enough for the crisis reply: the helplines are
    shown beside Anna's ordinary reply (``chat.safety.needs_check_in``)."""
    message: HaruError


@dataclass(frozen=True)
class SavedEvent:
    entry: Entry


@dataclass(frozen=True)
class ErrorEvent:
    error: HaruError


@dataclass(frozen=True)
class DoneEvent:
    reply: str
    crisis: bool = False


ReplyEvent = Union[EmotionEvent, TranscriptEvent, TextDelta, AudioEvent, SongsEvent,
                   NoticeEvent, CheckInEvent, SavedEvent, ErrorEvent, DoneEvent]
