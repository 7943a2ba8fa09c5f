"""Load every speech model once, in the background, before the first turn needs it."""

from __future__ import annotations

import logging
import time

import numpy as np

from speech.audio import SAMPLE_RATE
from speech.stt import WhisperSource, default_model
from speech.tts import available_voices, load_espeak, load_piper

__all__ = ["warmup"]

log = logging.getLogger(__name__)


def _load_whisper(source: WhisperSource) -> None:
    """Whisper and the Silero VAD the live microphone runs on every chunk."""
    from faster_whisper.vad import get_vad_model

    default_model(source).detect_language(audio=np.zeros(SAMPLE_RATE, np.float32))
    get_vad_model()


def warmup(source: WhisperSource = WhisperSource()) -> dict[str, float]:
    """Join/load Whisper and the offline voices; returns milliseconds per part.

    A part that fails is logged and left out: the app still starts, and the same
    error reappears, with its message, when that part is really used.
    """
    offline = {v.engine for v in available_voices(online=False)}
    steps = {"whisper": lambda: _load_whisper(source)}
    if "piper" in offline:
        steps["piper"] = lambda: next(iter(load_piper().synthesize("Hi.")))
    if "espeak" in offline:
        steps["espeak"] = lambda: load_espeak().speak("안녕", "ko")
    timings: dict[str, float] = {}
    for name, step in steps.items():
        t0 = time.perf_counter()
        try:
            step()
        except Exception:  # noqa: BLE001 - warm-up must never stop the app from starting
            log.exception("speech warm-up of %s failed", name)
            continue
        timings[name] = (time.perf_counter() - t0) * 1000
    log.info("speech warm-up: %s", {k: round(v) for k, v in timings.items()})
    return timings
