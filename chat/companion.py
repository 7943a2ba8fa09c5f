"""The orchestrator: the only place that knows the order of the stages.

A :class:`Turn` goes in, a stream of typed events comes out. Face reading and
speech recognition run in parallel; the LLM's text is forwarded as it arrives
and, at the same time, fed to sentence-level speech synthesis so the first
sentence can play while later ones are still being written.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Callable, Collection, Iterator

from chat import safety
from chat.backends import Backend
from chat.check import BackendCheck, check_backend
from chat.prefs import BackendPrefs
from chat.types import (AudioEvent, CheckInEvent, DoneEvent, EmotionEvent, ErrorEvent, NoticeEvent,
                        ReplyEvent, SavedEvent, SongsEvent, TextDelta, TranscriptEvent, Turn)
from core.errors import ErrorCategory, HaruError
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
_FINISHED = object()      # a worker of the turn is done


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


class FallbackNotice(HaruError):
    def __init__(self, failed: str, cause: HaruError) -> None:
        super().__init__(f"{failed} is not answering ({cause.en}) — Anna answers with the offline model instead.",
                         f"{failed} 응답이 없어요({cause.ko}). 오프라인 모델로 대신 답할게요.",
                         category=cause.category)


class VoiceUnavailableNotice(HaruError):
    def __init__(self) -> None:
        super().__init__("Anna's voice is unavailable right now; the reply is shown as text.",
                         "지금은 음성을 만들 수 없어 글로만 답해요.", category=ErrorCategory.UNAVAILABLE)


class SongsOffError(NoSongsError):
    def __init__(self) -> None:
        super().__init__("Song suggestions are turned off.", "노래 추천이 꺼져 있어요.")


class PendingSavedNotice(HaruError):
    def __init__(self, count: int) -> None:
        super().__init__(f"The diary is back: {count} earlier entr{'y' if count == 1 else 'ies'} saved.",
                         f"일기장이 다시 연결됐어요. 보관해 둔 글 {count}개를 저장했어요.")


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
    _pending: list[tuple[int, EntryDraft]] = field(default_factory=list, repr=False)
    _pending_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
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
        text_emotion = feeling.label if feeling else None
        songs = yield from self._songs(turn, reading, feeling, shown_songs)
        context = TurnContext(
            user_text=typed, transcript=spoken, mode=turn.mode,
            face_label=reading.label if reading else None,
            face_confidence=reading.confidence if reading else 0.0,
            text_feeling=feeling,
            songs=tuple(f"{t.title} — {t.artist}" for t in songs),
            mood_summary=self._mood_summary(turn),
        )
        prompt = build(turn.prefs.reply, turn.profile, context, turn.history)

        backend = self._backend_for(turn)
        reply_parts: list[str] = []
        for event in self._speak_while_streaming(turn, backend, prompt, reply_parts):
            if isinstance(event, NoticeEvent) and isinstance(event.notice, FallbackNotice):
                backend = self.fallback   # the diary must record the model that really answered
            yield event
        reply = "".join(reply_parts).strip()

        draft = EntryDraft(
            mode=turn.mode, text=typed, transcript=spoken,
            face_label=reading.label if reading else None,
            face_probs=dict(reading.probs) if reading else {},
            text_emotion=text_emotion, reply=reply,
            songs=[_song_record(t) for t in songs],
            settings=self._settings_record(turn, prompt, backend, reading, transcript),
            face_thumbnail=self._thumbnail(turn, reading),
            created_at=datetime.now(timezone.utc),   # the turn's time, even if the save is retried later
        )
        yield from self._save(turn, draft)
        yield DoneEvent(reply)

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
            for item in self._stream_with_fallback(self.backend, prompt, parts):
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

    def _speak_while_streaming(self, turn: Turn, backend: Backend, prompt: Prompt,
                               reply_parts: list[str]) -> Iterator[ReplyEvent]:
        """Text deltas and voice clips, each as soon as it exists.

        The reply streams in one thread and finished sentences are voiced in another; this generator
        yields from both. (Yielding audio only between text deltas held the first clip back until the
        next delta: with the offline model, the next sentence, a second or more later.)
        """
        voice = turn.prefs.voice.on and self.synthesize_stream is not None
        events: queue.Queue = queue.Queue()
        text_in: queue.Queue | None = queue.Queue() if voice else None
        stop = threading.Event()
        workers = [threading.Thread(target=self._reply_worker, name="haru-reply", daemon=True,
                                    args=(backend, prompt, reply_parts, events, text_in, stop))]
        if text_in is not None:
            workers.append(threading.Thread(target=self._voice_worker, name="haru-tts", daemon=True,
                                            args=(text_in, events, turn.prefs.reply.language, self._online(turn))))
        for worker in workers:
            worker.start()
        running = len(workers)
        try:
            while running:
                item = events.get()
                if item is _FINISHED:
                    running -= 1
                elif isinstance(item, BaseException):
                    raise item
                else:
                    yield item
        finally:
            stop.set()    # if the consumer went away, the reply worker stops the model at its next delta

    def _reply_worker(self, backend: Backend, prompt: Prompt, reply_parts: list[str], events: queue.Queue,
                      text_in: queue.Queue | None, stop: threading.Event) -> None:
        stream = self._stream_with_fallback(backend, prompt, reply_parts)
        try:
            for item in stream:
                if stop.is_set():
                    break
                if isinstance(item, NoticeEvent | ErrorEvent):
                    events.put(item)
                    continue
                events.put(TextDelta(item))
                if text_in is not None:
                    text_in.put(item)
        except BaseException as e:    # re-raised in the consumer's thread, as if nothing ran elsewhere
            events.put(e)
        finally:
            stream.close()
            if text_in is not None:
                text_in.put(None)
            events.put(_FINISHED)

    def _stream_with_fallback(self, backend: Backend, prompt: Prompt, reply_parts: list[str]):
        """Text deltas from ``backend``; if it fails before any text, a notice and then the fallback's."""
        current = backend
        while True:
            try:
                for delta in current.stream(prompt):
                    reply_parts.append(delta)
                    yield delta
                return
            except HaruError as e:
                if reply_parts or self.fallback is None or current is self.fallback \
                        or e.category == ErrorCategory.BAD_INPUT:
                    yield ErrorEvent(e)
                    return
                log.warning("backend %s failed (%s); falling back to %s", current.name, e.category.value,
                            self.fallback.name)
                yield NoticeEvent(FallbackNotice(current.name, e))
                current = self.fallback

    def _online(self, turn: Turn) -> bool:
        return self.online_tts and turn.prefs.voice.online

    def _voice_worker(self, text_in: queue.Queue, events: queue.Queue, language: str, online: bool) -> None:
        def deltas():
            while (item := text_in.get()) is not None:
                yield item
        try:
            for clip in self.synthesize_stream(deltas(), language, online=online):
                events.put(AudioEvent(clip))
        except HaruError as e:
            events.put(NoticeEvent(e))
        except Exception:
            log.exception("speech synthesis failed")
            events.put(NoticeEvent(VoiceUnavailableNotice()))
        finally:
            events.put(_FINISHED)

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
        flushed = self._flush_pending()
        if flushed:
            yield NoticeEvent(PendingSavedNotice(flushed))
        try:
            entry = self.store.save_entry(turn.user_id, draft)
        except DiaryUnavailableError as e:
            # Keep the turn; it is written as soon as the database answers again.
            with self._pending_lock:
                self._pending.append((turn.user_id, draft))
            yield ErrorEvent(e)
            return
        yield SavedEvent(entry)

    def _flush_pending(self) -> int:
        with self._pending_lock:
            waiting, self._pending = self._pending, []
        saved = 0
        for i, (user_id, draft) in enumerate(waiting):
            try:
                self.store.save_entry(user_id, draft)
                saved += 1
            except DiaryUnavailableError:
                with self._pending_lock:
                    self._pending[:0] = waiting[i:]
                break
        return saved

    @property
    def pending_entries(self) -> int:
        with self._pending_lock:
            return len(self._pending)

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
