"""Everything a microphone or an upload can get wrong ends in a message, in English and Korean."""

from __future__ import annotations

import numpy as np
import pytest

import speech
from speech import BadAudioError, NothingHeardError
from speech.tts import wav_bytes
from testkit.speech import encode
from tests.speech_fixtures import whisper_model  # noqa: F401

RATE = 48_000


def _wav(samples: np.ndarray, rate: int = RATE) -> bytes:
    return wav_bytes(samples.astype(np.int16), rate)


def _noise(seconds: float, level: float) -> np.ndarray:
    return (np.random.default_rng(7).standard_normal(int(seconds * RATE)) * level).astype(np.int16)


def _over_long_file(tmp_path):
    path = tmp_path / "long.wav"
    path.write_bytes(_wav(np.zeros(int((speech.MAX_SECONDS + 5) * 8000), np.int16), 8000))
    return path


def _zero_byte_file(tmp_path):
    path = tmp_path / "empty.webm"
    path.touch()
    return path


# input maker -> (error type, words the English message must contain)
CASES = {
    "silence wav": (lambda tmp: _wav(np.zeros(3 * RATE)), NothingHeardError, "didn't hear"),
    "silence mic array": (lambda tmp: (RATE, np.zeros((3 * RATE, 2), np.int16)), NothingHeardError, "didn't hear"),
    "white noise": (lambda tmp: _wav(_noise(3, 3000)), NothingHeardError, "didn't hear"),
    "quiet hum": (lambda tmp: (RATE, _noise(3, 20)), NothingHeardError, "didn't hear"),
    "corrupt bytes": (lambda tmp: np.random.default_rng(1).bytes(6000), BadAudioError, "couldn't read"),
    "truncated mp3": (lambda tmp: encode(_noise(2, 3000), RATE, "mp3")[:40], BadAudioError, "couldn't read"),
    "0-byte bytes": (lambda tmp: b"", BadAudioError, "empty"),
    "wav header, no samples": (lambda tmp: _wav(np.zeros(0)), BadAudioError, "empty"),
    "0-byte file": (_zero_byte_file, BadAudioError, "empty"),
    "empty mic array": (lambda tmp: (RATE, np.zeros(0, np.int16)), BadAudioError, "empty"),
    "over-long file": (_over_long_file, BadAudioError, "longer than 5 minutes"),
    "over-long mic array": (lambda tmp: (8000, np.zeros(int(301 * 8000), np.int16)), BadAudioError,
                            "longer than 5 minutes"),
    "missing file": (lambda tmp: tmp / "nope.wav", BadAudioError, "not found"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_audio_gives_its_message(name, tmp_path, whisper_model):
    make, error, words = CASES[name]
    with pytest.raises(error) as caught:
        speech.transcribe(make(tmp_path), model=whisper_model)
    assert words in caught.value.message("en")
    assert caught.value.message("ko") != caught.value.message("en") and caught.value.message("ko")


def test_upload_bigger_than_the_limit(tmp_path, whisper_model):
    with pytest.raises(BadAudioError) as caught:
        speech.transcribe(_wav(_noise(15, 3000)), model=whisper_model, max_upload_mb=1)
    assert "larger than 1 MB" in caught.value.message("en")


def test_language_outside_ko_en_is_a_programming_error(whisper_model):
    with pytest.raises(ValueError, match="ko"):
        speech.transcribe(_wav(_noise(1, 3000)), language="fr", model=whisper_model)


def test_errors_survive_pickling_for_gradio_workers():
    import pickle

    err = pickle.loads(pickle.dumps(NothingHeardError()))
    assert isinstance(err, NothingHeardError) and "마이크" in err.message("ko")
