"""Round trip through the real models: offline voice -> WAV -> Whisper base -> the same words."""

from __future__ import annotations

import numpy as np
import pytest

import speech
from testkit.speech import CONTAINERS, encode, spoken_pcm, spoken_wav
from tests.speech_fixtures import whisper_model  # noqa: F401
from training.speech.evaluate import cer, wer

pytestmark = pytest.mark.slow

EN = "I went for a long walk in the park this morning, and it made me feel much better."
KO = ["오늘은 날씨가 정말 좋아서 기분이 좋아요.", "저는 친구와 함께 공원에 갔어요.",
      "요즘 잠을 잘 못 자서 조금 피곤해요.", "안녕하세요, 만나서 반갑습니다.",
      "밥은 잘 챙겨 먹었어요?", "내일은 더 좋은 하루가 될 거예요."]


def test_english_round_trip_detects_language_and_words(whisper_model, tmp_path):
    wav = spoken_wav(EN, "en", tmp_path / "en.wav")
    result = speech.transcribe(wav, model=whisper_model)
    assert result.language == "en"
    assert wer(EN, result.text) <= 0.2, result.text
    assert result.model == "whisper-base"
    assert result.duration_s == pytest.approx(3.9, abs=1.0)
    assert result.segments and result.segments[0].start < result.segments[-1].end <= result.duration_s + 0.5
    assert {"decode", "vad", "language", "asr", "total"} <= set(result.timings_ms)


def _heard(sentence: str, model) -> str:
    try:
        return speech.transcribe((48_000, spoken_pcm(sentence, "ko")), language="ko", model=model).text
    except speech.NothingHeardError:
        return ""        # Whisper judged the robotic audio not speech: every character lost


def test_korean_offline_voice_round_trip_smoke(whisper_model, record_property):
    """Smoke test of the offline Korean voice and the Korean path, not an accuracy measure: eSpeak NG's
    Korean is robotic. Korean accuracy is measured on recorded voices (test_speech_real_voices.py)."""
    heard = [_heard(s, whisper_model) for s in KO]
    hangul = [any("\uac00" <= ch <= "\ud7a3" for ch in text) for text in heard]
    assert sum(hangul) >= len(KO) // 2, heard
    rates = [min(1.0, cer(s, text)) for s, text in zip(KO, heard)]
    mean = float(np.mean(rates))
    record_property("korean_cer_espeak", round(mean, 3))
    print(f"Korean CER with espeak-ko voice: {mean:.3f} per sentence {np.round(rates, 3).tolist()}")
    # A broken pipeline (wrong language, unreadable audio) gives ~1; the robotic voice alone 0.55-0.77.
    assert mean <= 0.8, heard


@pytest.mark.parametrize("extension", sorted(CONTAINERS))
def test_every_upload_format_decodes_and_transcribes(whisper_model, extension):
    data = encode(spoken_pcm("Thank you for listening to me today.", "en"), 48_000, extension)
    result = speech.transcribe(data, language="en", model=whisper_model)
    assert wer("Thank you for listening to me today.", result.text) <= 0.2, result.text


def test_gradio_stereo_float_microphone_array(whisper_model):
    mono = spoken_pcm("Good night and sleep well.", "en", 44_100).astype(np.float32) / 32768
    stereo = np.stack([mono, mono * 0.5], axis=1)          # (n, 2) as Gradio hands it over
    result = speech.transcribe((44_100, stereo), model=whisper_model)
    assert result.language == "en"
    assert wer("Good night and sleep well.", result.text) <= 0.2, result.text
