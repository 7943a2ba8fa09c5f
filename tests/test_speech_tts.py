"""Text-to-speech with the real voices: what comes out plays in a browser and says the sentence."""

from __future__ import annotations

import io
import wave
from concurrent.futures import ThreadPoolExecutor

import pytest

import speech
from speech import SentenceSplitter, VoiceUnavailableError
from speech.tts import clean_for_speech, gtts_suspended
from speech.tts.gtts_voice import _GTTS_BACKOFF


def _wav_info(data: bytes) -> tuple[int, int, int, float]:
    with wave.open(io.BytesIO(data)) as w:
        return w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes() / w.getframerate()


@pytest.mark.parametrize("language, text, voice", [
    ("en", "It sounds like today was a lot. I'm here with you.", "piper-joe-en"),
    ("ko", "오늘 하루 정말 수고 많았어요. 제가 곁에 있을게요.", "espeak-ko"),
])
def test_offline_voice_gives_playable_wav(language, text, voice):
    clip = speech.synthesize(text, language, online=False)
    assert clip.voice == voice and clip.format == "wav" and clip.mime == "audio/wav"
    channels, width, rate, seconds = _wav_info(clip.data)
    assert (channels, width, rate) == (1, 2, clip.sample_rate) and rate == 22_050
    assert 1.5 < seconds < 15, seconds
    assert clip.text == text


def test_every_offline_voice_is_installed_and_named():
    names = {v.name for v in speech.available_voices(online=False)}
    assert names == {"piper-joe-en", "espeak-ko", "espeak-en"}
    assert {v.name for v in speech.available_voices("ko")} == {"gtts-ko", "espeak-ko"}
    assert all(v.licence for v in speech.VOICES)


def test_gtts_failure_falls_back_and_is_remembered():
    """This machine has no internet: gTTS fails for real, and the offline voice answers."""
    _GTTS_BACKOFF.reset()
    clip = speech.synthesize("잠깐 쉬어 가도 괜찮아요.", "ko", online=True)
    assert clip.voice == "espeak-ko" and clip.data
    assert gtts_suspended()          # the next sentence does not wait for the network again
    assert speech.synthesize("고마워요.", "ko").voice == "espeak-ko"
    with pytest.raises(VoiceUnavailableError) as caught:
        speech.synthesize("hello there", "en", voice="gtts-en")   # forced, and the network is down
    assert "text" in caught.value.message("en") and caught.value.message("ko")
    _GTTS_BACKOFF.reset()


def test_stream_yields_each_sentence_as_it_completes():
    deltas = iter(["Hello the", "re. I hear", "d you. 😊 ", "Take a deep", " breath"])
    pulled = []

    def tracked():
        for d in deltas:
            pulled.append(d)
            yield d

    stream = speech.synthesize_stream(tracked(), "en", online=False)
    first = next(stream)
    assert first.text == "Hello there."
    assert len(pulled) == 2          # spoken before the rest of the reply was even read
    rest = list(stream)
    assert [c.text for c in rest] == ["I heard you.", "Take a deep breath"]   # the emoji is not read
    assert all(c.voice == "piper-joe-en" for c in rest)


def test_stream_of_korean_deltas():
    clips = list(speech.synthesize_stream(["오늘은 ", "어땠어요? 저는", " 궁금해요!"], "ko", online=False))
    assert [c.text for c in clips] == ["오늘은 어땠어요?", "저는 궁금해요!"]
    assert all(_wav_info(c.data)[2] == c.sample_rate for c in clips)


@pytest.mark.parametrize("deltas, sentences", [
    (["It costs 3.5 dollars. Ok"], ["It costs 3.5 dollars.", "Ok"]),
    (["Mr. Kim said hi! Wow"], ["Mr. Kim said hi!", "Wow"]),
    (["1. Breathe in\n2. Breathe out"], ["1. Breathe in", "2. Breathe out"]),
    (["정말요?! 대단해요~ 최고"], ["정말요?!", "대단해요~", "최고"]),
    (["그랬구나. ", "", "힘들었겠다"], ["그랬구나.", "힘들었겠다"]),
    (["word " * 80], None),
])
def test_sentence_splitter(deltas, sentences):
    splitter = SentenceSplitter(max_chars=100)
    out = [s for d in deltas for s in splitter.feed(d)] + splitter.flush()
    if sentences is None:            # a run-on is cut at spaces, nothing lost, nothing over the limit
        assert all(len(s) <= 100 for s in out) and " ".join(out).split() == ("word " * 80).split()
    else:
        assert out == sentences


def test_the_first_piece_may_end_at_a_comma_so_the_voice_starts_sooner():
    splitter = SentenceSplitter()
    fed = ["That sounds like a ", "really long day, and it ", "makes sense. You kept going, ", "even so. "]
    assert [splitter.feed(d) for d in fed] == [[], ["That sounds like a really long day,"],
                                               ["and it makes sense."], ["You kept going, even so."]]
    # Too short a first clause waits for the sentence; numbers keep their commas.
    assert SentenceSplitter().feed("Oh, wow, that is 1,000 steps! ") == ["Oh, wow, that is 1,000 steps!"]
    korean = SentenceSplitter()
    assert korean.feed("발표 준비하느라 며칠 동안 정말 고생 많았겠다, 그래도 ") == ["발표 준비하느라 며칠 동안 정말 고생 많았겠다,"]


def test_markdown_and_emoji_are_not_read_aloud():
    assert clean_for_speech("**Really** great 🎉✨ job — see https://x.y/z") == "Really great job — see"
    with pytest.raises(ValueError):
        speech.synthesize("🙂🙂", "en", online=False)


@pytest.mark.parametrize("kwargs", [{"language": "fr"}, {"language": "en", "voice": "nope"}])
def test_bad_language_or_voice_names_the_choices(kwargs):
    with pytest.raises(ValueError) as caught:
        speech.synthesize("hello", online=False, **kwargs)
    assert "en" in str(caught.value)


def test_voices_are_safe_to_call_from_several_sessions_at_once():
    jobs = [("오늘도 고생 많았어요.", "ko"), ("You did well today.", "en")] * 4
    with ThreadPoolExecutor(4) as pool:
        clips = list(pool.map(lambda job: speech.synthesize(*job, online=False), jobs))
    lengths = {}
    for (text, _), clip in zip(jobs, clips):
        assert clip.text == text
        lengths.setdefault(text, set()).add(round(_wav_info(clip.data)[3], 1))
    # The same sentence comes out the same length every time: no interleaved or truncated audio.
    assert all(max(v) - min(v) <= 0.2 for v in lengths.values()), lengths


def test_clips_of_any_voice_join_into_one_wav_without_ffmpeg():
    """A player that cannot stream (no ffmpeg) gets the reply's voice as one WAV; an MP3 clip (gTTS)
    is decoded by PyAV, not by an ffmpeg binary."""
    import av
    import numpy as np

    english = speech.synthesize("Hello there.", "en", online=False)
    korean = speech.synthesize("안녕하세요.", "ko", online=False)
    mp3 = io.BytesIO()
    with av.open(mp3, "w", format="mp3") as out:
        stream = out.add_stream("mp3", rate=24_000, layout="mono")
        tone = (0.3 * np.sin(np.arange(24_000) * 2 * np.pi * 440 / 24_000)).astype(np.float32)
        frame = av.AudioFrame.from_ndarray(tone[np.newaxis, :], format="flt", layout="mono")
        frame.sample_rate = 24_000
        for packet in list(stream.encode(frame)) + list(stream.encode(None)):
            out.mux(packet)
    gtts_like = speech.AudioClip(data=mp3.getvalue(), format="mp3", sample_rate=24_000, voice="gtts-en")

    joined = speech.join_clips([english, gtts_like, korean])
    with wave.open(io.BytesIO(joined.data)) as w:
        seconds = w.getnframes() / w.getframerate()
        assert w.getframerate() == english.sample_rate and w.getnchannels() == 1
    parts = sum(len(speech.load_audio(c.data)) for c in (english, gtts_like, korean)) / 16_000
    assert abs(seconds - parts) < 0.2
    assert joined.format == "wav" and joined.voice == "piper-joe-en+gtts-en+espeak-ko"
