"""The orchestrator: the only place that knows the order of the stages.

A :class:`Turn` goes in, a stream of typed events comes out. Face reading and
speech recognition run in parallel; the LLM's text is forwarded as it arrives
and, at the same time, fed to sentence-level speech synthesis so the first
sentence can play while later ones are still being written.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Callable, Collection, Iterator

from chat import safety
from chat.backends import Backend
from chat.check import BackendCheck, check_backend
from chat.prefs import BackendPrefs
from chat.saving import SaveQueue
from chat.streaming import FallbackNotice, speak_while_streaming, stream_with_fallback
from chat.types import (AudioEvent, CheckInEvent, DoneEvent, EmotionEvent, ErrorEvent, NoticeEvent,
                        ReplyEvent, SongsEvent, TextDelta, TranscriptEvent, Turn)
from core.errors import HaruError
from diary.types import DiaryUnavailableError, EntryDraft, ReportFacts
from music.session import SongSession
from music.types import NoSongsError, SongsExhaustedError, Track
from prompts import TurnContext, build, build_report
from prompts.types import CompanionSettings, Profile, Prompt
from speech.listen import Listener
from speech.types import AudioClip, NothingHeardError, Transcript
from vision.types import LABELS, EmotionReading
from words import Feeling, read_feeling

log = logging.getLogger(__name__)

# Long enough for a full diary page; beyond it the prompt would crowd out Anna's rules.
MAX_TEXT_CHARS = 8000
SONGS_PER_TURN = 3
REPORT_LANGUAGE_ENTRIES = 20   # the recent entries whose language an "auto" report follows


class EmptyTurnError(HaruError):
    def __init__(self) -> None:
        super().__init__("Say something or type a few words first.",
                         "먼저 말을 하거나 몇 마디 적어 주세요.")


class TextTooLongError(HaruError):
    def __init__(self, length: int) -> None:
        super().__init__(
            f"That text is {length:,} characters; please keep one entry under {MAX_TEXT_CHARS:,}.",
            f"글이 {length:,}자예요. 한 번에 {MAX_TEXT_CHARS:,}자 이내로 나눠 적어 주세요.")


class SeveralFacesNotice(HaruError):
    def __init__(self, count: int) -> None:
        super().__init__(f"I see {count} faces; I read the largest one.",
                         f"얼굴이 {count}개 보여요. 가장 큰 얼굴로 감정을 읽었어요.")


class SongsOffError(NoSongsError):
    def __init__(self) -> None:
        super().__init__("Song suggestions are turned off.", "노래 추천이 꺼져 있어요.")


@dataclass
class Companion:
    """Wires injected stage callables; constructing it loads nothing.

    Every stage is optional so a deployment (or a test) can run with a subset:
    without ``store`` nothing is saved, without ``synthesize_stream`` Anna only
    writes, and so on.
    """
    backend: Backend
    fallback: Backend | None = None
    read_emotion: Callable[[Any], EmotionReading] | None = None
    transcribe: Callable[..., Transcript] | None = None
    synthesize_stream: Callable[..., Iterator[AudioClip]] | None = None
    recommend: Callable[..., list[Track]] | None = None
    store: Any = None                          # diary.DiaryStore
    backend_factory: Callable[[BackendPrefs], Backend] | None = None
    online_tts: bool = True
    face_thumbnail: Callable[[Any, tuple[int, int, int, int]], bytes] | None = None   # set only on opt-in
    listener: Callable[[str | None], Listener] | None = None        # speech.Listener for a live microphone
    song_session: Callable[[], SongSession] | None = None           # one song memory per conversation
    _saves: SaveQueue = field(default_factory=SaveQueue, repr=False)
    _pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(8, "haru-turn"), repr=False)

    # ----------------------------------------------------------------- the turn
    def respond(self, turn: Turn, *, heard: Transcript | None = None,
                shown_songs: Collection[str] = ()) -> Iterator[ReplyEvent]:
        """The events of one turn. ``heard``: what a live microphone already heard (no STT then);
        ``shown_songs``: track keys this conversation has shown, not suggested again until they run out."""
        typed = turn.text.strip()
        if not typed and turn.audio is None and heard is None:
            yield ErrorEvent(EmptyTurnError())
            return
        if len(typed) > MAX_TEXT_CHARS:
            yield ErrorEvent(TextTooLongError(len(typed)))
            return

        perceived = yield from self._perceive(turn, heard, typed)
        if perceived is None:
            return
        reading, transcript = perceived
        spoken = transcript.text.strip() if transcript else ""
        words = "\n".join(part for part in (spoken, typed) if part)
        if not words:
            yield ErrorEvent(NothingHeardError())
            return
        # "auto": the reply, its voice, the crisis message and the saved record use the language of this turn.
        settings = turn.prefs.reply.for_words(words, transcript.language if spoken else None)
        turn = replace(turn, prefs=replace(turn.prefs, reply=settings))

        if safety.detect_crisis(words):
            yield from self._crisis_turn(turn, reading, spoken, typed)
            return
        if safety.needs_check_in(words):
            yield CheckInEvent(safety.CheckIn())

        feeling = read_feeling(words)
        songs = yield from self._songs(turn, reading, feeling, shown_songs)
        prompt = self._prompt(turn, typed, spoken, reading, feeling, songs)

        backend = self._backend_for(turn)
        reply_parts: list[str] = []
        voice = self.synthesize_stream if turn.prefs.voice.on else None
        stream = stream_with_fallback(backend, self.fallback, prompt, reply_parts)
        for event in speak_while_streaming(stream, voice, turn.prefs.reply.language, self._online(turn)):
            if isinstance(event, NoticeEvent) and isinstance(event.notice, FallbackNotice):
                backend = self.fallback   # the diary must record the model that really answered
            yield event
        reply = "".join(reply_parts).strip()

        draft = EntryDraft(
            mode=turn.mode, text=typed, transcript=spoken,
            face_label=reading.label if reading else None,
            face_probs=dict(reading.probs) if reading else {},
            text_emotion=feeling.label if feeling else None, reply=reply,
            songs=[_song_record(t) for t in songs],
            settings=self._settings_record(turn, prompt, backend, reading, transcript),
            face_thumbnail=self._thumbnail(turn, reading),
            created_at=datetime.now(timezone.utc),   # the turn's time, even if the save is retried later
        )
        yield from self._save(turn, draft)
        yield DoneEvent(reply)

    def _perceive(self, turn: Turn, heard: Transcript | None, typed: str):
        """The face and the speech of the turn, ``(reading, transcript)`` (None if neither was there), with
        their events; None when the turn cannot go on (nothing heard and nothing typed)."""
        # Face and speech are independent: run them side by side, never in series.
        face_job = (self._pool.submit(self.read_emotion, turn.image)
                    if turn.image is not None and self.read_emotion is not None else None)
        stt_job = (self._pool.submit(self._transcribe, turn.audio, turn.prefs.voice.speech_language or None)
                   if heard is None and turn.audio is not None and self.transcribe is not None else None)

        reading: EmotionReading | None = None
        if face_job is not None:
            try:
                reading = face_job.result()
            except HaruError as e:
                yield NoticeEvent(e)
            else:
                yield EmotionEvent(reading)
                if reading.faces_found > 1:
                    yield NoticeEvent(SeveralFacesNotice(reading.faces_found))

        transcript = heard
        if transcript is not None:
            yield TranscriptEvent(transcript)
        elif stt_job is not None:
            try:
                transcript = stt_job.result()
            except HaruError as e:     # nothing heard, unreadable audio...: fatal only without typed words
                if not typed:
                    yield ErrorEvent(e)
                    return
                yield NoticeEvent(e)
            else:
                yield TranscriptEvent(transcript)
        return reading, transcript

    def _prompt(self, turn: Turn, typed: str, spoken: str, reading: EmotionReading | None,
                feeling: Feeling | None, songs: list[Track]) -> Prompt:
        context = TurnContext(
            user_text=typed, transcript=spoken, mode=turn.mode,
            face_label=reading.label if reading else None,
            face_confidence=reading.confidence if reading else 0.0,
            text_feeling=feeling,
            songs=tuple(f"{t.title} — {t.artist}" for t in songs),
            mood_summary=self._mood_summary(turn),
        )
        return build(turn.prefs.reply, turn.profile, context, turn.history)

    def prime(self, profile: Profile, settings: CompanionSettings) -> None:
        """Let a backend that can (the embedded one) read this person's fixed prompt ahead of time."""
        prime = getattr(self.backend, "prime", None)
        if prime is None:
            return
        try:
            prime(build(settings, profile, TurnContext(user_text="…"), ()))
        except HaruError as e:
            log.info("priming skipped: %s", e.en)

    def report(self, user_id: int, period: str, settings: CompanionSettings, tz: str = "UTC") -> str:
        """The weekly/monthly mood report: the diary's facts, then Anna's short note on them.

        With "auto" it is written in the language of the person's recent entries (as replies follow
        the language of the turn); when no backend answers, the facts alone.
        """
        if self.store is None:
            raise DiaryUnavailableError()
        recent = self.store.list_entries(user_id, tz=tz, limit=REPORT_LANGUAGE_ENTRIES)
        settings = settings.for_words(" ".join(f"{e.text} {e.transcript}" for e in recent))
        facts = self.store.report_facts(user_id, period, settings.language, tz)
        return facts.with_note(self._report_note(facts, settings) if facts.entries else "")

    def _report_note(self, facts: ReportFacts, settings: CompanionSettings) -> str:
        """Anna's note on the facts, or "" when no backend can answer (the facts are shown alone)."""
        prompt = build_report(settings, facts.name, facts.period, facts.text)
        parts: list[str] = []
        try:
            for item in stream_with_fallback(self.backend, self.fallback, prompt, parts):
                if isinstance(item, ErrorEvent):
                    log.warning("report writing failed: %s", item.error.en)
                    return ""
        except Exception:   # any backend failure: the person still gets the plain report
            log.warning("report writing failed", exc_info=True)
            return ""
        return "".join(parts).strip()

    def _recommend(self, probs, strategy, language, exclude, k, submood) -> list[Track]:
        try:
            return self.recommend(probs, strategy, language, tuple(exclude), k, submood=submood)
        except SongsExhaustedError:
            # Every fitting song was shown this session: start the pool over rather than show nothing.
            return self.recommend(probs, strategy, language, (), k, submood=submood)

    # ------------------------------------------------------------------ stages
    def _transcribe(self, audio: Any, language: str | None) -> Transcript:
        # A known language skips detection: faster, and safer for Korean on the base model.
        return self.transcribe(audio, language=language) if language else self.transcribe(audio)

    def _songs(self, turn: Turn, reading: EmotionReading | None, feeling: Feeling | None, shown: Collection[str]):
        if self.recommend is None:
            return []
        probs = emotion_probs(reading, feeling.label if feeling else None, feeling.probs if feeling else None)
        try:
            songs = self._recommend(probs, turn.prefs.songs.strategy, turn.prefs.songs.language, shown,
                                    SONGS_PER_TURN, turn.prefs.songs.submood or None)
        except HaruError as e:
            yield NoticeEvent(e)
            return []
        yield SongsEvent(tuple(songs), turn.prefs.reply.language, probs)
        return songs

    def _thumbnail(self, turn: Turn, reading: EmotionReading | None) -> bytes | None:
        if self.face_thumbnail is None or reading is None or reading.box is None:
            return None
        try:
            return self.face_thumbnail(turn.image, reading.box)
        except HaruError as e:     # a missing thumbnail must never cost the entry
            log.warning("face thumbnail skipped: %s", e.en)
            return None

    def _mood_summary(self, turn: Turn) -> str:
        if self.store is None or turn.user_id is None:
            return ""
        try:
            return self.store.mood_summary(turn.user_id, days=7, language=turn.prefs.reply.language)
        except HaruError as e:
            log.warning("mood summary skipped: %s", e.en)
            return ""

    def check_backend(self, choice: BackendPrefs | None) -> BackendCheck:
        """What Settings' "Test connection" reports for ``choice`` (None: the app's configured backend)."""
        try:
            backend = self.backend if choice is None or self.backend_factory is None else self.backend_factory(choice)
        except HaruError as e:
            return BackendCheck(choice.kind if choice else "?", choice.model if choice else "", 0.0, error=e)
        return check_backend(backend)

    def _backend_for(self, turn: Turn) -> Backend:
        if not turn.prefs.backend.chosen() or self.backend_factory is None:
            return self.backend
        return self.backend_factory(turn.prefs.backend)

    def _online(self, turn: Turn) -> bool:
        return self.online_tts and turn.prefs.voice.online

    def _crisis_turn(self, turn: Turn, reading: EmotionReading | None, spoken: str, typed: str):
        reply = safety.crisis_reply(turn.prefs.reply.language, turn.profile.name)
        yield TextDelta(reply)
        if turn.prefs.voice.on and self.synthesize_stream is not None:
            try:
                for clip in self.synthesize_stream([reply], turn.prefs.reply.language, online=self._online(turn)):
                    yield AudioEvent(clip)
            except HaruError as e:
                yield NoticeEvent(e)
        draft = EntryDraft(mode=turn.mode, text=typed, transcript=spoken,
                           face_label=reading.label if reading else None,
                           face_probs=dict(reading.probs) if reading else {},
                           text_emotion="sad", reply=reply, settings={"crisis": True},
                           created_at=datetime.now(timezone.utc))
        yield from self._save(turn, draft)
        yield DoneEvent(reply, crisis=True)

    # ------------------------------------------------------------------- diary
    def _save(self, turn: Turn, draft: EntryDraft) -> Iterator[ReplyEvent]:
        if self.store is None or turn.user_id is None:
            return
        yield from self._saves.save(self.store, turn.user_id, draft)

    @property
    def pending_entries(self) -> int:
        """Turns kept back while the diary was unreachable, saved before the next turn's entry."""
        return len(self._saves)

    def _settings_record(self, turn: Turn, prompt: Prompt, backend: Backend,
                         reading: EmotionReading | None, transcript: Transcript | None) -> dict:
        s = turn.prefs.reply
        return {
            "attitude": s.attitude, "composition": sorted(s.effective_composition),
            "intensity": s.intensity, "temperature": prompt.temperature, "length": s.length,
            "language": s.language, "persona": s.persona_name, "song_strategy": turn.prefs.songs.strategy,
            "llm": f"{backend.name}:{backend.model}", "notes": list(prompt.notes),
            "vision_model": reading.model if reading else None,
            "stt_model": transcript.model if transcript else None,
        }


def emotion_probs(reading: EmotionReading | None, text_emotion: str | None,
                  text_probs: dict[str, float] | None = None) -> dict[str, float]:
    """The mood the songs should fit: the face when seen, else the words' feelings (or label), else neutral."""
    if reading is not None:
        return dict(reading.probs)
    if text_probs:
        return {name: float(text_probs.get(name, 0.0)) for name in LABELS}
    label = text_emotion if text_emotion in LABELS else "neutral"
    return {name: (1.0 if name == label else 0.0) for name in LABELS}


def _song_record(track: Track) -> dict:
    record = asdict(track)
    record.pop("links", None)   # links are rebuilt from title + artist when shown
    return record
