"""Whisper's costly steps run once per utterance: one VAD pass, one encoder pass shared by ko/en
detection and decoding. These pin how speech.stt uses faster-whisper 1.2's internals."""

from __future__ import annotations

import faster_whisper.transcribe
import faster_whisper.vad
import numpy as np
import pytest

import speech
from speech.stt import NO_REPEAT_NGRAM, TEMPERATURES
from tests.speech_fixtures import counting_encoder, spoken_pcm, whisper_model  # noqa: F401

pytestmark = pytest.mark.slow

SAID = "Thank you for listening to me today. I feel a lot better now."


@pytest.fixture(scope="module")
def clip():
    pad = np.zeros(24_000, np.int16)
    return 48_000, np.concatenate([pad, spoken_pcm(SAID, "en"), pad])


@pytest.mark.parametrize("language", [None, "en"])
def test_one_encoder_pass_whether_or_not_the_language_is_detected(whisper_model, clip, language):
    model = counting_encoder(whisper_model)
    result = speech.transcribe(clip, language=language, model=model)
    assert result.language == "en"
    assert model.model.encodes == 1


def test_one_vad_pass(whisper_model, clip, monkeypatch):
    calls = []
    real = faster_whisper.vad.get_speech_timestamps

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(faster_whisper.vad, "get_speech_timestamps", counted)
    monkeypatch.setattr(faster_whisper.transcribe, "get_speech_timestamps", counted)
    speech.transcribe(clip, model=whisper_model)
    assert len(calls) == 1


def test_same_words_and_times_as_faster_whisper_alone(whisper_model, clip):
    """Shared encoder and our own VAD change nothing in what Whisper decodes."""
    mine = speech.transcribe(clip, language="en", model=whisper_model)
    samples = speech.load_audio(clip)
    pieces, _ = whisper_model.transcribe(samples, language="en", beam_size=speech.stt.BEAM_SIZE, vad_filter=True,
                                         condition_on_previous_text=False, temperature=TEMPERATURES,
                                         no_repeat_ngram_size=NO_REPEAT_NGRAM)
    theirs = [(round(s.start, 2), round(s.end, 2), s.text.strip()) for s in pieces]
    assert [(s.start, s.end, s.text) for s in mine.segments] == theirs


def test_detected_language_is_whispers_ko_en_choice_on_the_decoded_window(whisper_model, clip):
    from speech.stt import _first_window, _speech_only

    speech_only, _ = _speech_only(speech.load_audio(clip))
    probs = dict(whisper_model.model.detect_language(whisper_model.encode(_first_window(whisper_model,
                                                                                        speech_only)))[0])
    expected = max(("ko", "en"), key=lambda lang: probs.get(f"<|{lang}|>", 0.0))
    assert speech.transcribe(clip, model=whisper_model).language == expected == "en"
