"""Transcribe while the user is still speaking.

A :class:`Listener` takes microphone chunks as they arrive. Whisper's cost per call is
mostly fixed (it encodes a window of at least 10 s), so waiting for the whole recording puts
all of it after the user stops. Instead, whenever the user pauses, the speech since the
last pause is transcribed in a background thread; when the recording ends, usually
only the wait for that last piece remains.

Pieces are cut only at pauses (trailing silence of ``pause_s`` after speech), so a
finished piece stays valid whatever is said next: the final transcript is the pieces
joined, plus the speech after the last pause if there was any.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from typing import Any

import numpy as np

from core.errors import HaruError
from speech.audio import MAX_SECONDS, SAMPLE_RATE, Resampler, empty_error, to_mono_float, too_long_error
from speech.stt import DECODING, Decoding, WhisperSource, check_language, recognise
from speech.types import NothingHeardError, Segment, Transcript

__all__ = ["Listener", "PAUSE_S"]

log = logging.getLogger(__name__)

PAUSE_S = 0.3                 # silence after speech that counts as a pause worth transcribing at
_FRAME = 512                  # Silero VAD's window at 16 kHz (32 ms)
# Silero keeps state across windows: re-reading the last 0.5 s before new audio keeps its decisions those
# of one pass over the whole recording (docs/speech.md).
_VAD_CONTEXT = 16 * _FRAME


class Listener:
    """Speech-to-text for a live microphone: :meth:`feed` chunks, then :meth:`finish`.

    ``language``, ``model``, ``source`` and ``decoding`` mean what they mean for
    :func:`speech.transcribe`. Thread-safe: chunks may arrive on one thread and
    ``finish`` be called on another. Memory holds only the audio not yet transcribed
    (at most :data:`MAX_SECONDS`). Single use: chunks fed after ``finish`` are ignored.
    """

    def __init__(self, language: str | None = None, *, model: Any = None, source: WhisperSource = WhisperSource(),
                 decoding: Decoding = DECODING, pause_s: float = PAUSE_S) -> None:
        check_language(language)
        self.language = language
        self._model = model
        self._source = source
        self._decoding = decoding
        self._pause = int(pause_s * SAMPLE_RATE)
        self._lock = threading.Condition()
        self._resampler: Resampler | None = None
        # Absolute sample positions (16 kHz) since the first chunk.
        self._audio: list[np.ndarray] = []      # not yet transcribed, starting at _start
        self._start = 0
        self._total = 0
        self._vad_rest = np.zeros(0, np.float32)
        self._vad_context = np.zeros(0, np.float32)
        self._vad_pos = 0
        self._speech_end = 0                    # end of the last frame that held speech
        self._pieces: list[tuple[int, Transcript]] = []
        self._busy_until: int | None = None     # end of the piece being transcribed in the background
        self._wanted = 0                        # newest pause point to transcribe up to
        self._background = True                 # off after a background failure: finish() retries in line
        self._error: HaruError | None = None
        self._closed = False                    # finish() was called: no more chunks, no new pieces
        self._result: Transcript | HaruError | None = None

    # ------------------------------------------------------------------ input
    def feed(self, sample_rate: int, chunk: np.ndarray) -> None:
        """One chunk of microphone audio: int or float PCM, mono ``(n,)`` or ``(n, channels)``."""
        mono = to_mono_float(np.asarray(chunk))
        with self._lock:
            if self._closed or self._error is not None or mono.size == 0:
                return
            self._append(self._resample(int(sample_rate), mono))
            self._maybe_start()

    def _resample(self, rate: int, mono: np.ndarray | None) -> np.ndarray:
        if rate == SAMPLE_RATE:
            return np.zeros(0, np.float32) if mono is None else mono
        if self._resampler is None or self._resampler.rate != rate:
            tail = self._resampler(None) if self._resampler is not None else np.zeros(0, np.float32)
            self._resampler = Resampler(rate)
            return np.concatenate([tail, self._resampler(mono)]) if mono is not None else tail
        return self._resampler(mono)

    def _append(self, samples: np.ndarray) -> None:
        if samples.size == 0:
            return
        if (self._total + len(samples)) / SAMPLE_RATE > MAX_SECONDS:
            self._error = too_long_error(MAX_SECONDS)
            self._audio.clear()                 # nothing more will be transcribed
            return
        self._audio.append(samples)
        self._total += len(samples)
        self._listen(samples)

    def _listen(self, samples: np.ndarray) -> None:
        """Run Silero VAD over the new whole frames and note where speech last ended."""
        from faster_whisper.vad import get_vad_model

        buf = np.concatenate([self._vad_rest, samples])
        whole = len(buf) // _FRAME * _FRAME
        self._vad_rest = buf[whole:]
        if not whole:
            return
        window = np.concatenate([self._vad_context, buf[:whole]])
        probs = get_vad_model()(window).reshape(-1)[len(self._vad_context) // _FRAME:]
        self._vad_context = window[-_VAD_CONTEXT:]
        spoken = np.flatnonzero(probs >= self._decoding.vad_threshold)
        if spoken.size:
            self._speech_end = self._vad_pos + (int(spoken[-1]) + 1) * _FRAME
        self._vad_pos += whole

    # ------------------------------------------------------------- background
    def _maybe_start(self) -> None:
        """At a pause after new speech, transcribe up to here; while busy, remember only the newest pause."""
        done_upto = self._busy_until if self._busy_until is not None else self._start
        if self._speech_end > done_upto and self._total - self._speech_end >= self._pause:
            self._wanted = self._total
        if self._busy_until is None and self._background and self._wanted > self._start:
            self._busy_until = self._wanted
            audio = self._take(self._wanted)
            threading.Thread(target=self._transcribe_piece, args=(self._start, self._wanted, audio),
                             name="haru-listen", daemon=True).start()

    def _untranscribed(self) -> np.ndarray:
        """The audio from ``_start`` on, kept afterwards as one array."""
        audio = np.concatenate(self._audio) if self._audio else np.zeros(0, np.float32)
        self._audio = [audio]
        return audio

    def _take(self, end: int) -> np.ndarray:
        """The untranscribed audio from ``_start`` up to ``end`` (a copy: the worker reads it unlocked)."""
        return self._untranscribed()[:end - self._start].copy()

    def _transcribe_piece(self, start: int, end: int, audio: np.ndarray) -> None:
        piece = None
        failed = False
        try:
            piece = self._recognise(audio, self._piece_language())
        except NothingHeardError:
            pass                                   # a cough or a breath: nothing to keep
        except Exception:  # noqa: BLE001 - finish() transcribes in line and reports the error itself
            log.exception("background transcription failed")
            failed = True
        with self._lock:
            self._busy_until = None
            if failed:
                self._background = False
            else:
                if piece is not None:
                    self._pieces.append((start, piece))
                self._commit(end)
            if not self._closed:
                self._maybe_start()
            self._lock.notify_all()

    def _commit(self, end: int) -> None:
        self._audio = [self._untranscribed()[end - self._start:]]
        self._start = end

    def _piece_language(self) -> str | None:
        # One language per turn: later pieces follow the first piece that had words.
        with self._lock:
            return self.language or next((p.language for _, p in self._pieces), None)

    def _recognise(self, audio: np.ndarray, language: str | None) -> Transcript:
        return recognise(audio, language=language, model=self._model, source=self._source,
                         decoding=self._decoding)

    # ----------------------------------------------------------------- output
    def finish(self) -> Transcript:
        """The transcript of everything fed; waits for a background piece, transcribes what is left.

        Raises :class:`NothingHeardError` when nothing was said and :class:`BadAudioError`
        when nothing was fed or the recording passed :data:`MAX_SECONDS`. Calling it again
        gives the same answer.
        """
        t0 = time.perf_counter()
        with self._lock:
            first = self._result is None
            if first:
                self._result = self._finish()
            result = self._result
        if isinstance(result, HaruError):
            raise result
        waited = (time.perf_counter() - t0) * 1000
        if first:
            log.info("streamed transcript of %.1f s in %d piece(s), ready %.0f ms after finish()",
                     result.duration_s, result.timings_ms["pieces"], waited)
        return replace(result, timings_ms={**result.timings_ms, "finish": waited})

    def _finish(self) -> Transcript | HaruError:
        self._closed = True
        if self._error is not None:
            return self._error
        if self._resampler is not None:
            self._append(self._resampler(None))
            if self._error is not None:
                return self._error
        if self._total == 0:
            return empty_error()
        while self._busy_until is not None:
            self._lock.wait()
        heard_after = self._speech_end > self._start
        pieces = list(self._pieces)
        if heard_after or not pieces:
            start, audio = self._start, self._take(self._total)
            try:
                # Unlocked so late chunks are turned away at once rather than queue behind Whisper.
                self._lock.release()
                try:
                    pieces.append((start, self._recognise(audio, self._piece_language())))
                finally:
                    self._lock.acquire()
            except NothingHeardError as e:
                if not pieces:
                    return e
            except HaruError as e:
                return e
        return self._joined(pieces)

    def _joined(self, pieces: list[tuple[int, Transcript]]) -> Transcript:
        first = pieces[0][1]
        segments = tuple(Segment(round(s.start + start / SAMPLE_RATE, 2), round(s.end + start / SAMPLE_RATE, 2),
                                 s.text) for start, piece in pieces for s in piece.segments)
        return Transcript(text=" ".join(p.text for _, p in pieces), language=first.language,
                          duration_s=round(self._total / SAMPLE_RATE, 3), segments=segments, model=first.model,
                          timings_ms={"asr": sum(p.timings_ms.get("total", 0.0) for _, p in pieces),
                                      "pieces": float(len(pieces))})
