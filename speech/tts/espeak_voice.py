"""eSpeak NG formant synthesis, offline, robotic but intelligible; WAV 22,050 Hz.

The library and its data come from the ``espeakng-loader`` wheel, so no system package is needed.
"""

from __future__ import annotations

import ctypes
import functools
import threading

import numpy as np

from speech.tts.encode import wav_bytes
from speech.types import AudioClip

__all__ = ["load_espeak", "speak"]

_SYNTH_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                                   ctypes.c_void_p)
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_ESPEAK_CHARS_UTF8 = 1
_ESPEAK_RATE = 1
# Words per minute: Korean a little slower than eSpeak's default is understood better (docs/speech.md).
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


def speak(text: str, language: str) -> AudioClip:
    engine = load_espeak()
    samples = engine.speak(text, language)
    return AudioClip(data=wav_bytes(samples, engine.sample_rate), format="wav",
                     sample_rate=engine.sample_rate, voice=f"espeak-{language}", text=text)
