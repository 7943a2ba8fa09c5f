"""The short encoder window and the shared encoder pass use faster-whisper internals (no public API does
either): these tests fail loudly when the pinned version or any internal that speech/stt.py relies on changes.

On a failure: read speech/stt.py (``_first_window``, ``_encoded_frames``, ``_reusing``, ``_pick_language``)
against the new faster-whisper, fix what moved, then move ``FASTER_WHISPER_VERSION`` and requirements.txt.
"""

from __future__ import annotations

import inspect
import logging
import re
from pathlib import Path

import ctranslate2
import faster_whisper
import numpy as np
import pytest
from faster_whisper import WhisperModel
from faster_whisper.audio import pad_or_trim
from faster_whisper.feature_extractor import FeatureExtractor
from faster_whisper.transcribe import restore_speech_timestamps
from faster_whisper.vad import VadOptions, collect_chunks, get_speech_timestamps, get_vad_model

import speech
from speech import stt
from testkit.speech import spoken_pcm
from tests.speech_fixtures import whisper_model  # noqa: F401  (fixture)
from training.speech.evaluate import wer

REQUIREMENTS = Path(__file__).resolve().parents[1] / "requirements.txt"


def _params(fn) -> list[str]:
    return list(inspect.signature(fn).parameters)


def test_the_pin_is_requirements_pin():
    pins = re.findall(r"^faster-whisper==(\S+)", REQUIREMENTS.read_text(), re.MULTILINE)
    assert pins == [stt.FASTER_WHISPER_VERSION], "requirements.txt and speech.stt.FASTER_WHISPER_VERSION disagree"


def test_the_installed_faster_whisper_is_the_pinned_one():
    assert faster_whisper.__version__ == stt.FASTER_WHISPER_VERSION, (
        f"faster-whisper {faster_whisper.__version__} is installed, speech/stt.py is checked against "
        f"{stt.FASTER_WHISPER_VERSION}: the app falls back to the whole window until this is resolved")
    stt.internals_pinned.cache_clear()
    assert stt.internals_pinned()


def test_the_encoder_internals_the_short_window_uses():
    # _first_window cuts mel features as generate_segments does, with the model's own feature extractor.
    assert "self.feature_extractor = FeatureExtractor(" in inspect.getsource(WhisperModel.__init__)
    assert "self.nb_max_frames" in inspect.getsource(FeatureExtractor.__init__)
    assert _params(pad_or_trim)[:1] == ["array"]
    # _reusing answers the first encode() of generate_segments: it must still encode through self.encode.
    assert _params(WhisperModel.encode) == ["self", "features"]
    assert "self.encode(" in inspect.getsource(WhisperModel.generate_segments)
    # _pick_language scores ko/en on the shared encoder output through CTranslate2's model.
    assert "self.model = ctranslate2.models.Whisper(" in inspect.getsource(WhisperModel.__init__)
    assert callable(getattr(ctranslate2.models.Whisper, "detect_language", None))


def test_the_vad_and_timestamp_helpers():
    assert "threshold" in _params(VadOptions)
    assert _params(get_speech_timestamps)[:2] == ["audio", "vad_options"]
    assert _params(collect_chunks)[:2] == ["audio", "chunks"]
    assert _params(restore_speech_timestamps) == ["segments", "speech_chunks", "sampling_rate"]
    assert callable(get_vad_model)


def test_the_public_calls_take_the_arguments_we_pass():
    transcribe = set(_params(WhisperModel.transcribe))
    assert {"language", "beam_size", "vad_filter", "condition_on_previous_text", "temperature",
            "no_repeat_ngram_size", "initial_prompt"} <= transcribe
    assert {"audio", "features"} <= set(_params(WhisperModel.detect_language))


@pytest.mark.slow
def test_another_version_says_so_and_hears_the_same_words_with_the_whole_window(whisper_model, monkeypatch,
                                                                                caplog):
    said = "Thank you for listening to me today."
    clip = 48_000, np.concatenate([np.zeros(24_000, np.int16), spoken_pcm(said, "en")])
    pinned = speech.transcribe(clip, model=whisper_model)
    monkeypatch.setattr(faster_whisper, "__version__", "0.0.0")
    stt.internals_pinned.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="speech.stt"):
            fallback = speech.transcribe(clip, model=whisper_model)
    finally:
        stt.internals_pinned.cache_clear()
    assert "faster-whisper 0.0.0 is installed" in caplog.text and stt.FASTER_WHISPER_VERSION in caplog.text
    assert "encode" not in fallback.timings_ms
    assert fallback.language == pinned.language == "en"
    assert wer(pinned.text, fallback.text) == 0                  # punctuation may differ
