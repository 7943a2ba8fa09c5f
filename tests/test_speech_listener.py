"""speech.Listener: microphone chunks in (0.1 s, 48 kHz int16, as Gradio's live microphone sends them),
the same transcript out as speech.transcribe on the whole recording, mostly ready when the user stops."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import speech
from speech import BadAudioError, Listener, NothingHeardError
from testkit.speech import spoken_pcm
from tests.speech_fixtures import counting_encoder, whisper_model  # noqa: F401
from training.speech.evaluate import wer

pytestmark = pytest.mark.slow

RATE = 48_000
FIRST = "I went for a long walk in the park this morning, and it made me feel much better."
SECOND = "Then I had lunch with my sister."


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), np.int16)


def feed(listener: Listener, pcm: np.ndarray, *, real_time: bool = False, chunk_s: float = 0.1) -> None:
    step = int(chunk_s * RATE)
    start = time.perf_counter()
    for i in range(0, len(pcm), step):
        listener.feed(RATE, pcm[i:i + step])
        if real_time:
            time.sleep(max(0.0, start + (i + step) / RATE - time.perf_counter()))


@pytest.fixture(scope="module")
def first():
    return spoken_pcm(FIRST, "en", RATE)


def test_streamed_words_match_the_whole_clip(whisper_model, first):
    clip = np.concatenate([silence(0.3), first, silence(0.3)])
    listener = Listener(model=whisper_model)
    feed(listener, clip)
    streamed = listener.finish()
    whole = speech.transcribe((RATE, clip), model=whisper_model)
    assert streamed.language == whole.language == "en"
    assert wer(whole.text, streamed.text) == 0, (whole.text, streamed.text)
    assert streamed.duration_s == pytest.approx(whole.duration_s, abs=0.01)
    assert streamed.model == "whisper-base" and "finish" in streamed.timings_ms


def test_a_pause_then_more_speech_keeps_both_parts(whisper_model, first):
    clip = np.concatenate([silence(0.3), first, silence(1.0), spoken_pcm(SECOND, "en", RATE), silence(0.3)])
    listener = Listener("en", model=whisper_model)
    feed(listener, clip, real_time=True)
    result = listener.finish()
    assert wer(f"{FIRST} {SECOND}", result.text) <= 0.2, result.text
    assert result.timings_ms["pieces"] >= 2, "the first part was not transcribed during the pause"
    starts = [s.start for s in result.segments]
    assert starts == sorted(starts) and result.segments[-1].end <= result.duration_s + 0.5
    assert result.segments[-1].start > len(first) / RATE        # times count from the start of the recording


def test_a_result_ready_at_the_pause_is_returned_without_transcribing_again(whisper_model, first):
    model = counting_encoder(whisper_model)
    listener = Listener("en", model=model)
    feed(listener, np.concatenate([silence(0.3), first, silence(1.5)]), real_time=True)
    passes = model.model.encodes
    assert passes >= 1, "nothing was transcribed during the pause"
    result = listener.finish()
    assert model.model.encodes == passes
    assert wer(FIRST, result.text) <= 0.2, result.text


def test_silence_and_noise_are_nothing_heard(whisper_model):
    for pcm in (silence(2), (np.random.default_rng(3).standard_normal(2 * RATE) * 3000).astype(np.int16)):
        listener = Listener(model=whisper_model)
        feed(listener, pcm)
        with pytest.raises(NothingHeardError):
            listener.finish()


def test_nothing_fed_is_an_empty_recording(whisper_model):
    with pytest.raises(BadAudioError, match="empty"):
        Listener(model=whisper_model).finish()


def test_more_than_five_minutes_is_refused_and_not_kept(whisper_model):
    listener = Listener(model=whisper_model)
    chunk = np.zeros(60 * 8000, np.int16)
    for _ in range(6):
        listener.feed(8000, chunk)
    with pytest.raises(BadAudioError) as caught:
        listener.finish()
    assert "longer than 5 minutes" in caught.value.message("en")


def test_finish_is_final_and_repeatable_and_late_chunks_are_ignored(whisper_model, first):
    listener = Listener(model=whisper_model)
    feed(listener, np.concatenate([silence(0.3), first, silence(0.3)]))
    text = listener.finish().text
    listener.feed(RATE, spoken_pcm(SECOND, "en", RATE))
    assert listener.finish().text == text


def test_finish_while_chunks_still_arrive_from_another_thread(whisper_model, first):
    listener = Listener(model=whisper_model)
    clip = np.concatenate([silence(0.3), first, silence(1.5)])
    feeder = threading.Thread(target=feed, args=(listener, clip), kwargs={"real_time": True})
    feeder.start()
    time.sleep(len(clip) / RATE - 1.0)           # the user clicks stop; the browser still sends a chunk or two
    result = listener.finish()
    feeder.join(timeout=30)
    assert not feeder.is_alive(), "the feeding thread never finished"
    assert wer(FIRST, result.text) <= 0.2, result.text


def test_stereo_float_chunks_at_another_rate(whisper_model):
    mono = spoken_pcm("Good night and sleep well.", "en", 44_100).astype(np.float32) / 32768
    stereo = np.stack([mono, mono * 0.5], axis=1)
    listener = Listener(model=whisper_model)
    for i in range(0, len(stereo), 4410):
        listener.feed(44_100, stereo[i:i + 4410])
    assert wer("Good night and sleep well.", listener.finish().text) <= 0.2


def test_language_outside_ko_en_is_a_programming_error():
    with pytest.raises(ValueError, match="ko"):
        Listener("fr")
