"""One conversation with Anna: its history, its live microphone and its song memory.

The UI makes one :class:`Conversation` per conversation (a new one for "new conversation") and hands it
what the person does; the conversation fills in what earlier turns left behind (history, the songs
already shown, what the microphone heard) and passes each :class:`Turn` to :meth:`Companion.respond`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterable, Iterator

from chat.companion import SONGS_PER_TURN, Companion, SongsOffError, emotion_probs
from chat.types import DoneEvent, ErrorEvent, ReplyEvent, SongsEvent, TranscriptEvent, Turn
from core.errors import ErrorCategory, HaruError
from diary.types import Entry
from music.types import Track
from prompts.types import Message
from speech.audio import MAX_SECONDS
from speech.listen import Listener
from speech.types import NothingHeardError, Transcript

HISTORY_TURNS = 6            # earlier exchanges sent back to Anna; older ones live in the diary
MAX_RECORDING_SECONDS = MAX_SECONDS   # what a listener hears of one recording: a UI stops streaming after it


class ListeningOffError(HaruError):
    def __init__(self) -> None:
        super().__init__("Live listening is not available; record and send the audio instead.",
                         "지금은 실시간 듣기를 쓸 수 없어요. 녹음한 뒤 보내 주세요.", category=ErrorCategory.UNAVAILABLE)


class Conversation:
    """The turns of one conversation, one UI session's: turns come one at a time, and :meth:`hear` may
    run on another thread meanwhile (the listener is thread-safe)."""

    def __init__(self, companion: Companion, history: tuple[Message, ...] = ()) -> None:
        self.companion = companion
        self._history = tuple(history)       # e.g. today's exchanges, when a person signs in again
        self.songs = companion.song_session() if companion.song_session is not None else None
        self._mood = emotion_probs(None, None)   # what the last songs were chosen for; neutral at first
        self._listener: Listener | None = None

    @classmethod
    def resumed(cls, companion: Companion, entries: Iterable[Entry]) -> Conversation:
        """The conversation that earlier entries (e.g. today's) left off, so a person who signs in again
        finds it where it was."""
        kept = [e for e in entries if e.mode == "conversation" and e.reply][-HISTORY_TURNS:]
        return cls(companion, tuple(m for e in kept
                                    for m in (Message("user", _said(e.transcript, e.text)),
                                              Message("assistant", e.reply))))

    @property
    def history(self) -> tuple[Message, ...]:
        """Every exchange of this conversation, oldest first: what the person said, then Anna's reply."""
        return self._history

    # --------------------------------------------------------- live microphone
    def listen(self, language: str | None = None) -> None:
        """Start hearing a recording ("ko" | "en"; None detects): a fresh listener for each recording."""
        if self.companion.listener is None:
            raise ListeningOffError()
        self._listener = self.companion.listener(language)

    def hear(self, chunk: tuple[int, Any] | None) -> None:
        """One microphone chunk, ``(sample_rate, samples)``; ignored when no recording was started."""
        if self._listener is not None and chunk is not None:
            self._listener.feed(*chunk)

    # -------------------------------------------------------------------- turn
    def respond(self, turn: Turn) -> Iterator[ReplyEvent]:
        """:meth:`Companion.respond` for ``turn`` with this conversation's history, shown songs and, after
        :meth:`listen`, what the microphone heard."""
        try:
            heard = self._heard(turn.text)
        except HaruError as e:
            yield ErrorEvent(e)
            return
        turn = replace(turn, history=self._history[-2 * HISTORY_TURNS:])
        spoken = ""
        shown = self.songs.shown if self.songs is not None else frozenset()
        for event in self.companion.respond(turn, heard=heard, shown_songs=shown):
            if isinstance(event, TranscriptEvent):
                spoken = event.transcript.text
            elif isinstance(event, SongsEvent):
                self._mood = dict(event.mood)
                if self.songs is not None:
                    self.songs.remember(event.tracks)
            elif isinstance(event, DoneEvent):
                self._history += (Message("user", _said(spoken, turn.text)), Message("assistant", event.reply))
            yield event

    def _heard(self, typed: str) -> Transcript | None:
        """What the recording heard (the listener is single use); silence is no error when words were typed."""
        listener, self._listener = self._listener, None
        if listener is None:
            return None
        try:
            return listener.finish()
        except NothingHeardError:
            if typed.strip():
                return None
            raise

    # ------------------------------------------------------------------- songs
    def new_songs(self, strategy: str = "match", language: str = "any", submood: str | None = None) -> list[Track]:
        """Other songs for the mood of the last reply, none that this conversation has shown yet (until the
        fitting ones run out)."""
        if self.songs is None or self.companion.recommend is None:
            raise SongsOffError()
        return self.songs.suggest(self._mood, strategy, language, SONGS_PER_TURN, submood=submood)


def _said(spoken: str, typed: str) -> str:
    """What the person said in one turn, as the history keeps it: the words heard, then the words typed."""
    return "\n".join(part for part in (spoken.strip(), typed.strip()) if part)
