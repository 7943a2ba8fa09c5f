"""Google Translate's voice through gTTS: needs the network; MP3, 24 kHz mono.

A failed call switches the voice off for a minute, so a reply of ten sentences
waits for at most one timeout before the offline voice takes over.
"""

from __future__ import annotations

import base64
import io
import re
import threading
import time

from speech.types import AudioClip

__all__ = ["GTTS_BACKOFF_S", "GTTS_TIMEOUT_S", "gtts_suspended", "speak", "suspend"]

GTTS_TIMEOUT_S = 3.0
GTTS_BACKOFF_S = 60.0


class _Backoff:
    """Remembers a failed network voice for a while, shared by all threads."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._until = 0.0
        self._lock = threading.Lock()

    def active(self) -> bool:
        with self._lock:
            return time.monotonic() < self._until

    def trip(self) -> None:
        with self._lock:
            self._until = time.monotonic() + self.seconds

    def reset(self) -> None:
        with self._lock:
            self._until = 0.0


_GTTS_BACKOFF = _Backoff(GTTS_BACKOFF_S)


def gtts_suspended() -> bool:
    """True while a recent gTTS failure keeps the online voice switched off."""
    return _GTTS_BACKOFF.active()


def suspend() -> None:
    """Switch the online voice off for :data:`GTTS_BACKOFF_S` after a failure."""
    _GTTS_BACKOFF.trip()


def speak(text: str, language: str) -> AudioClip:
    """Google's voice through gTTS's request builder, sent by us.

    gTTS 2.2 (the newest that fits beside huggingface-hub's click pin) sends with
    TLS verification off and no timeout; the reply is a private diary's words, so
    we send its prepared requests ourselves, verified and with a deadline.
    """
    import requests
    from gtts import gTTS

    audio = bytearray()
    try:
        with requests.Session() as session:
            for prepared in gTTS(text, lang=language)._prepare_requests():
                response = session.send(prepared, timeout=GTTS_TIMEOUT_S, verify=True)
                response.raise_for_status()
                audio += _gtts_audio(response.text)
    except (requests.RequestException, ValueError) as e:
        raise ConnectionError(f"gTTS failed: {type(e).__name__}") from e
    data = bytes(audio)
    if not data:
        raise ConnectionError("gTTS failed: empty answer")
    return AudioClip(data=data, format="mp3", sample_rate=_mp3_rate(data),
                     voice=f"gtts-{language}", text=text)


def _gtts_audio(body: str) -> bytes:
    """The base64 MP3 inside Google's batchexecute answer (the same parsing gTTS does)."""
    for line in body.splitlines():
        if "jQ1olc" in line:
            found = re.search(r'jQ1olc","\[\\"(.*)\\"]', line)
            if not found:
                raise ValueError("no audio in the answer")
            return base64.b64decode(found.group(1))
    raise ValueError("no audio in the answer")


def _mp3_rate(data: bytes) -> int:
    import av

    try:
        with av.open(io.BytesIO(data)) as container:
            return int(container.streams.audio[0].rate)
    except (av.FFmpegError, IndexError):
        return 24_000   # what Google's endpoint has always sent
