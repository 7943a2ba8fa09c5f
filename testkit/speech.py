"""Real spoken audio, made on the spot with the offline voices, e.g. for the browser's fake microphone::

    from testkit.speech import spoken_wav
    spoken_wav("I feel a bit tired today.", "en", tmp_path / "mic.wav")   # 48 kHz mono 16-bit
"""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np

from speech.audio import to_mono_float

# Container extension -> (PyAV format, codec, sample rate): what browsers and phones upload.
CONTAINERS = {
    "webm": ("webm", "libopus", 48_000),
    "ogg": ("ogg", "libopus", 48_000),
    "mp3": ("mp3", "libmp3lame", 44_100),
    "m4a": ("ipod", "aac", 44_100),
    "wav": ("wav", "pcm_s16le", 48_000),
}


def spoken_pcm(text: str, language: str, sample_rate: int = 48_000) -> np.ndarray:
    """``text`` spoken by the offline voice for ``language``, as mono int16 at ``sample_rate``."""
    from speech import synthesize

    clip = synthesize(text, language, online=False)
    with wave.open(io.BytesIO(clip.data)) as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
        rate = w.getframerate()
    if rate == sample_rate:
        return pcm.copy()
    return _resample(to_mono_float(pcm), rate, sample_rate)


def _resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    import av

    frame = av.AudioFrame.from_ndarray(samples[np.newaxis, :].astype(np.float32), format="flt", layout="mono")
    frame.sample_rate = rate
    resampler = av.AudioResampler(format="s16", layout="mono", rate=target)
    frames = list(resampler.resample(frame)) + list(resampler.resample(None))
    return np.concatenate([f.to_ndarray().reshape(-1) for f in frames]).astype(np.int16)


def spoken_wav(text: str, language: str, path: Path, *, sample_rate: int = 48_000,
               lead_silence_s: float = 0.3) -> Path:
    """Write ``text`` as a mono 16-bit WAV (48 kHz by default, as Chromium's fake mic wants).

    A little leading silence makes it sound like a real recording and gives VAD an edge to find.
    """
    pcm = spoken_pcm(text, language, sample_rate)
    pad = np.zeros(int(lead_silence_s * sample_rate), np.int16)
    path = Path(path)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(np.concatenate([pad, pcm, pad]).tobytes())
    return path


def encode(pcm: np.ndarray, sample_rate: int, extension: str) -> bytes:
    """Mono int16 ``pcm`` encoded as a real ``extension`` file (see :data:`CONTAINERS`)."""
    import av

    fmt, codec, rate = CONTAINERS[extension]
    samples = pcm if sample_rate == rate else _resample(to_mono_float(pcm), sample_rate, rate)
    buf = io.BytesIO()
    with av.open(buf, mode="w", format=fmt) as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        frame_size = stream.codec_context.frame_size or 1024
        resampler = av.AudioResampler(format=stream.codec_context.format.name, layout="mono", rate=rate)
        for start in range(0, len(samples), frame_size):
            frame = av.AudioFrame.from_ndarray(samples[np.newaxis, start:start + frame_size],
                                               format="s16", layout="mono")
            frame.sample_rate = rate
            for converted in resampler.resample(frame):
                out.mux(stream.encode(converted))
        out.mux(stream.encode(None))
    return buf.getvalue()
