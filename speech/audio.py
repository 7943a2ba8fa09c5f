"""Turn whatever the browser sent into 16 kHz mono float32, or say clearly why not.

PyAV (bundled with faster-whisper) decodes wav, webm/opus, ogg, mp3 and m4a
without an ffmpeg binary. Limits are checked while decoding, so an hour-long
upload is refused after reading five minutes of it, not after decoding it all.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

import numpy as np

from speech.types import BadAudioError

__all__ = ["SAMPLE_RATE", "MAX_SECONDS", "Resampler", "decode", "empty_error", "is_silent", "load_audio",
           "to_mono_float", "too_long_error"]

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000          # what Whisper and Silero VAD expect
MAX_SECONDS = 300.0           # one spoken turn; longer belongs in a typed diary entry
# -60 dBFS RMS: a muted or unplugged microphone, as opposed to a quiet voice (~ -35 dBFS).
_SILENCE_RMS = 1e-3


def empty_error() -> BadAudioError:
    return BadAudioError("The recording is empty — please record again.",
                         "녹음된 내용이 비어 있어요. 다시 녹음해 주세요.")


def _unreadable() -> BadAudioError:
    return BadAudioError(
        "I couldn't read that audio file. Please use wav, mp3, m4a, ogg or webm.",
        "오디오 파일을 읽을 수 없어요. wav, mp3, m4a, ogg, webm 형식으로 올려 주세요.")


def too_long_error(max_seconds: float) -> BadAudioError:
    minutes = max_seconds / 60
    return BadAudioError(
        f"That recording is longer than {minutes:g} minutes. Please keep one message under "
        f"{minutes:g} minutes, or type longer diary entries.",
        f"녹음이 {minutes:g}분보다 길어요. 한 번에 {minutes:g}분 이내로 말씀해 주시거나, "
        "긴 일기는 글로 적어 주세요.")


def _too_big(max_bytes: int) -> BadAudioError:
    mb = max_bytes / 1_000_000
    return BadAudioError(f"That audio file is larger than {mb:g} MB.",
                         f"오디오 파일이 {mb:g}MB보다 커요.")


def load_audio(audio: Any, *, max_seconds: float = MAX_SECONDS,
               max_bytes: int | None = None) -> np.ndarray:
    """Decode ``audio`` to 16 kHz mono float32 in [-1, 1].

    ``audio`` is a file path, the file's bytes, or ``(sample_rate, array)`` as
    Gradio's numpy audio gives it (int16 or float, mono or stereo, any rate).
    Raises :class:`BadAudioError` for empty, unreadable, too big or too long input.
    """
    if isinstance(audio, tuple) and len(audio) == 2:
        rate, samples = audio
        return _from_array(int(rate), np.asarray(samples), max_seconds)
    if isinstance(audio, (bytes, bytearray, memoryview)):
        data = bytes(audio)
        if not data:
            raise empty_error()
        if max_bytes is not None and len(data) > max_bytes:
            raise _too_big(max_bytes)
        return decode(io.BytesIO(data), max_seconds)
    if isinstance(audio, (str, Path)):
        path = Path(audio)
        if not path.is_file():
            raise BadAudioError(f"The audio file {path.name!r} was not found.",
                                f"오디오 파일 {path.name!r}을(를) 찾을 수 없어요.")
        size = path.stat().st_size
        if size == 0:
            raise empty_error()
        if max_bytes is not None and size > max_bytes:
            raise _too_big(max_bytes)
        return decode(str(path), max_seconds)
    raise TypeError(f"audio must be a path, bytes or (sample_rate, ndarray), not {type(audio).__name__}")


def to_mono_float(samples: np.ndarray) -> np.ndarray:
    """Any integer or float PCM array, (n,) or (n, channels), to mono float32 in [-1, 1]."""
    x = np.asarray(samples)
    if x.ndim == 2:
        # Gradio gives (n, channels); some callers give (channels, n). Channels are the short side.
        x = x.mean(axis=1 if x.shape[1] <= x.shape[0] else 0)
    elif x.ndim != 1:
        raise BadAudioError(f"Audio array has an unexpected shape {x.shape}.",
                            f"오디오 배열의 형태 {x.shape}가 올바르지 않아요.")
    if x.dtype.kind == "u":
        half = float(2 ** (8 * x.dtype.itemsize - 1))
        return ((x.astype(np.float32) - half) / half).astype(np.float32)
    if x.dtype.kind == "i":
        return (x.astype(np.float32) / float(2 ** (8 * x.dtype.itemsize - 1))).astype(np.float32)
    if x.dtype.kind == "f":
        return np.clip(np.nan_to_num(x.astype(np.float32)), -1.0, 1.0)
    raise BadAudioError(f"Audio samples of type {x.dtype} are not supported.",
                        f"{x.dtype} 형식의 오디오 샘플은 지원하지 않아요.")


def _from_array(rate: int, samples: np.ndarray, max_seconds: float) -> np.ndarray:
    if samples.size == 0:
        raise empty_error()
    if rate <= 0:
        raise BadAudioError(f"Invalid sample rate {rate}.", f"샘플링 레이트 {rate}가 올바르지 않아요.")
    mono = to_mono_float(samples)
    if len(mono) / rate > max_seconds:
        raise too_long_error(max_seconds)
    if rate == SAMPLE_RATE:
        return mono
    resample = Resampler(rate)
    return np.concatenate([resample(mono), resample(None)])


class Resampler:
    """Mono float32 at ``rate`` to 16 kHz, chunk after chunk.

    One filter across all chunks of a stream: resampling each chunk alone would put a
    click at every chunk edge. Call with ``None`` at the end to get the last samples.
    """

    def __init__(self, rate: int) -> None:
        import av  # deferred: only needed once audio really arrives

        self.rate = rate
        self._av = av
        self._resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)

    def __call__(self, mono: np.ndarray | None) -> np.ndarray:
        frame = None
        if mono is not None:
            frame = self._av.AudioFrame.from_ndarray(np.ascontiguousarray(mono[np.newaxis, :]), format="flt",
                                                     layout="mono")
            frame.sample_rate = self.rate
        out = [f.to_ndarray().reshape(-1) for f in self._resampler.resample(frame)]
        return np.concatenate(out).astype(np.float32) if out else np.zeros(0, np.float32)


def decode(source, max_seconds: float, rate: int = SAMPLE_RATE) -> np.ndarray:
    """Any audio file PyAV reads (a path or a file object) as mono float32 at ``rate``, up to ``max_seconds``."""
    import av

    limit = int(max_seconds * rate)
    chunks: list[np.ndarray] = []
    total = 0
    bad_frames = 0
    try:
        with av.open(source, mode="r", metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise BadAudioError("That file has no sound track.", "파일에 소리가 없어요.")
            # Container duration is in microseconds; trust it only to refuse early.
            if container.duration is not None and container.duration / 1e6 > max_seconds + 1:
                raise too_long_error(max_seconds)
            resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
            frames = container.decode(audio=0)
            while True:
                try:
                    frame = next(frames)
                except StopIteration:
                    frame = None
                except av.error.InvalidDataError:
                    # Browser recordings sometimes end with a truncated packet: skip it.
                    bad_frames += 1
                    continue
                for out in resampler.resample(frame):
                    arr = out.to_ndarray().reshape(-1)
                    chunks.append(arr)
                    total += len(arr)
                if total > limit:
                    raise too_long_error(max_seconds)
                if frame is None:
                    break
    except av.FFmpegError as e:
        log.info("undecodable audio: %s", e)
        raise _unreadable() from e
    if bad_frames:
        log.info("skipped %d undecodable audio frames", bad_frames)
    if total == 0:
        raise _unreadable() if bad_frames else empty_error()
    return np.concatenate(chunks).astype(np.float32)


def is_silent(samples: np.ndarray) -> bool:
    return samples.size == 0 or float(np.sqrt(np.mean(np.square(samples)))) < _SILENCE_RMS
