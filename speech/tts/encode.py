"""Voice clips as files a browser plays: 16-bit WAV, and several clips joined into one."""

from __future__ import annotations

import io
import wave

import numpy as np

from speech.audio import MAX_SECONDS, decode, empty_error, to_mono_float
from speech.types import AudioClip

__all__ = ["join_clips", "wav_bytes"]


def wav_bytes(samples: np.ndarray, sample_rate: int) -> bytes:
    """16-bit mono WAV, which every browser plays."""
    pcm = samples
    if pcm.dtype != np.int16:
        pcm = (np.clip(to_mono_float(samples), -1.0, 1.0) * 32767).astype(np.int16)
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


def join_clips(clips, max_seconds: float = MAX_SECONDS):
    """Several voice clips (WAV or MP3, any rate) as one WAV at the first clip's rate.

    For a player that cannot stream. PyAV decodes MP3 itself, so no ffmpeg binary is needed.
    """
    if not clips:
        raise empty_error()
    rate = clips[0].sample_rate
    samples = np.concatenate([decode(io.BytesIO(c.data), max_seconds, rate) for c in clips])
    return AudioClip(data=wav_bytes(samples, rate), format="wav", sample_rate=rate,
                     voice="+".join(dict.fromkeys(c.voice for c in clips)), text=" ".join(c.text for c in clips))
