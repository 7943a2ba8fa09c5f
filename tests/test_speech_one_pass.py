"""Whisper's costly steps run once per utterance: one VAD pass, one encoder pass shared by ko/en
detection and decoding. These pin how speech.stt uses faster-whisper 1.2's internals."""

from __future__ import annotations

from pathlib import Path

import faster_whisper.transcribe
import faster_whisper.vad
import numpy as np
import pytest

import speech
from speech.stt import DECODING, NO_REPEAT_NGRAM, SHORT_WINDOW_MIN_S
from testkit import require
from testkit.speech import spoken_pcm
from tests.speech_fixtures import counting_encoder, whisper_model  # noqa: F401
from training.speech.evaluate import wer

pytestmark = pytest.mark.slow

SAID = "Thank you for listening to me today. I feel a lot better now."
FULL_WINDOW = speech.WhisperSource(short_window=False)


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
    """Shared encoder and our own VAD change nothing in what Whisper decodes (over its whole window)."""
    mine = speech.transcribe(clip, language="en", model=whisper_model, source=FULL_WINDOW)
    samples = speech.load_audio(clip)
    pieces, _ = whisper_model.transcribe(samples, language="en", beam_size=DECODING.beam_size, vad_filter=True,
                                         condition_on_previous_text=False, temperature=DECODING.temperatures,
                                         no_repeat_ngram_size=NO_REPEAT_NGRAM)
    theirs = [(round(s.start, 2), round(s.end, 2), s.text.strip()) for s in pieces]
    assert [(s.start, s.end, s.text) for s in mine.segments] == theirs


def test_detected_language_is_whispers_ko_en_choice_on_the_decoded_window(whisper_model, clip):
    from speech.stt import _first_window, _speech_only

    speech_only, _ = _speech_only(speech.load_audio(clip), DECODING.vad_threshold)
    probs = dict(whisper_model.model.detect_language(whisper_model.encode(_first_window(whisper_model,
                                                                                        speech_only)))[0])
    expected = max(("ko", "en"), key=lambda lang: probs.get(f"<|{lang}|>", 0.0))
    assert speech.transcribe(clip, model=whisper_model).language == expected == "en"


@pytest.mark.parametrize("language", [None, "en"])
def test_a_short_utterance_encodes_part_of_the_window_and_hears_the_same_words(whisper_model, clip, language):
    short_model, full_model = counting_encoder(whisper_model), counting_encoder(whisper_model)
    short = speech.transcribe(clip, language=language, model=short_model)
    full = speech.transcribe(clip, language=language, model=full_model, source=FULL_WINDOW)
    assert full_model.model.frames == [3000]                     # Whisper's 30 s window, 100 frames a second
    speech_s = short.segments[-1].end - short.segments[0].start
    assert short_model.model.frames[0] == pytest.approx(100 * max(SHORT_WINDOW_MIN_S, 2 * speech_s + 2), abs=100)
    assert short_model.model.frames[0] < 3000 and short_model.model.encodes == 1
    assert short.language == full.language == "en"
    assert wer(full.text, short.text) == 0 == wer(SAID, short.text)     # punctuation may differ
    # Whisper's end timestamps move a little with the window (4.18 vs 3.66 s seen); starts stay put.
    assert [s.start for s in short.segments] == pytest.approx([s.start for s in full.segments], abs=0.1)
    assert all(s.end <= short.duration_s for s in short.segments)


def test_a_long_utterance_keeps_the_whole_window(whisper_model):
    said = " ".join([SAID] * 5)                                  # ~17 s of speech: 2 x 17 + 2 > 30 s
    model = counting_encoder(whisper_model)
    result = speech.transcribe((48_000, spoken_pcm(said, "en")), language="en", model=model)
    # Whisper may seek to a second window after an early last timestamp (seen once in CI); none is cut short.
    assert model.model.frames[0] == 3000 and set(model.model.frames) == {3000}
    assert "listening" in result.text.lower()


# Real recorded speech, from Debian's alsa-utils (its speaker-test voice prompts); nothing else
# recorded by a person is available offline here.
RECORDED = Path("/usr/share/sounds/alsa")
PHRASES = ("Front_Center", "Front_Left", "Front_Right", "Rear_Center", "Rear_Left", "Rear_Right", "Side_Left",
           "Side_Right")


@pytest.fixture(scope="module")
def recorded() -> dict[str, np.ndarray]:
    require(all((RECORDED / f"{name}.wav").is_file() for name in PHRASES),
            "Debian's alsa-utils (real recorded speech in /usr/share/sounds/alsa) is not installed")
    return {name.replace("_", " "): speech.load_audio(RECORDED / f"{name}.wav") for name in PHRASES}


def test_real_recorded_speech_is_heard_alike_with_the_short_and_the_whole_window(whisper_model, recorded):
    gap = np.zeros(8_000, np.float32)
    first_four = list(recorded)[:4]
    clips = [(said, (16_000, audio)) for said, audio in recorded.items()]
    clips.append((" ".join(first_four), (16_000, np.concatenate([part for said in first_four
                                                                 for part in (recorded[said], gap)]))))
    for said, audio in clips:
        short = speech.transcribe(audio, model=whisper_model)
        whole = speech.transcribe(audio, model=whisper_model, source=FULL_WINDOW)
        assert short.language == whole.language == "en", said
        assert wer(said, short.text) == 0 == wer(said, whole.text), (said, short.text, whole.text)
