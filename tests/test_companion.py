"""The orchestrator with real stages: music, diary (SQLite), prompts, safety, speech, vision.

The LLM is the real OpenAI-compatible backend talking to a scripted server on loopback.
"""

from __future__ import annotations

import io
import threading
import wave
from functools import partial

import numpy as np
import pytest
from PIL import Image

import music
import speech
import vision
from chat import (AudioEvent, Companion, DoneEvent, EmotionEvent, EmptyTurnError, ErrorEvent, NoticeEvent,
                  Preferences, SavedEvent, SongsEvent, TextDelta, TextTooLongError, TranscriptEvent, Turn)
from chat.backends import get_backend
from core import ErrorCategory
from diary import EntryDraft
from prompts import CompanionSettings
from testkit.fake_llm_server import FakeLLMServer, Reply
from testkit.speech import spoken_wav
from tests.chat_fixtures import PROFILE, config, store, user  # noqa: F401  (fixtures)
from tests.speech_fixtures import whisper_model  # noqa: F401  (fixture)
from tests.vision_fixtures import jaffe_happy  # noqa: F401  (fixture)
from tests.vision_fixtures import jaffe_dir  # noqa: F401  (fixture)

REPLY = ("That sounds like a long day. ", "I'm glad you told me about it. ", "Want to rest a bit?")
SILENT = Preferences().updated(voice_on=False)


def compatible(config, server):
    return get_backend("openai-compatible", config, base_url=server.openai_url, model="fake-model")


def companion(config, server, store, **stages) -> Companion:
    parts = dict(backend=compatible(config, server), recommend=music.recommend, store=store)
    parts.update(stages)
    return Companion(**parts)


def run(comp: Companion, turn: Turn) -> list:
    return list(comp.respond(turn))


def of(events, kind):
    return [e for e in events if isinstance(e, kind)]


def test_typed_turn_streams_reply_suggests_songs_and_saves_one_entry(config, store, user):
    with FakeLLMServer(default=Reply(chunks=REPLY)) as server:
        events = run(companion(config, server, store),
                     Turn(profile=PROFILE, user_id=user.id, text="I failed my exam today and I feel awful.",
                          prefs=Preferences().updated(reply_language="en", voice_on=False)))
        sent = server.requests[-1].body

    reply = "".join(e.text for e in of(events, TextDelta))
    assert reply == "".join(REPLY)
    assert of(events, DoneEvent)[-1].reply == reply.strip()
    songs = of(events, SongsEvent)[0].tracks
    assert len(songs) == 3 and len({t.artist for t in songs}) == 3
    # The words read as sad, so "match" songs are darker than the catalogue's middle.
    assert np.mean([t.valence for t in songs]) < 0.5

    assert sent["messages"][0]["role"] == "system"
    everything = "\n".join(m["content"] for m in sent["messages"])
    assert "Minji" in everything and "loves running" in everything
    assert "I failed my exam today" in sent["messages"][-1]["content"]
    assert sent["temperature"] == pytest.approx(0.75)

    saved = of(events, SavedEvent)[0].entry
    stored = store.get_entry(user.id, saved.id)
    assert stored.reply == reply.strip()
    assert stored.text == "I failed my exam today and I feel awful."
    assert stored.text_emotion == "sad"
    assert [s["title"] for s in stored.songs] == [t.title for t in songs]
    assert stored.settings["llm"] == "openai-compatible:fake-model"


def test_face_and_voice_turn_reads_the_face_transcribes_and_speaks(config, store, user, tmp_path, jaffe_happy,
                                                                    whisper_model):
    wav = spoken_wav("I had a wonderful day with my friends.", "en", tmp_path / "said.wav")
    with FakeLLMServer(default=Reply(chunks=REPLY)) as server:
        comp = companion(config, server, store,
                         read_emotion=vision.read_emotion,
                         transcribe=partial(speech.transcribe, model=whisper_model,
                                            source=speech.WhisperSource.from_config(config)),
                         synthesize_stream=speech.synthesize_stream, online_tts=False)
        events = run(comp, Turn(profile=PROFILE, user_id=user.id, image=str(jaffe_happy), audio=str(wav),
                                prefs=Preferences().updated(reply_language="en")))

    assert not of(events, ErrorEvent)
    reading = of(events, EmotionEvent)[0].reading
    assert set(reading.probs) == set(vision.LABELS)
    transcript = of(events, TranscriptEvent)[0].transcript
    assert "wonderful" in transcript.text.lower()
    clips = [e.clip for e in of(events, AudioEvent)]
    assert len(clips) == 3                     # one per sentence of the reply
    for clip in clips:
        assert clip.format == "wav"
        with wave.open(io.BytesIO(clip.data)) as w:
            assert w.getnframes() > 0 and w.getframerate() == clip.sample_rate
    entry = of(events, SavedEvent)[0].entry
    assert entry.face_label == reading.label
    assert "wonderful" in entry.transcript.lower()
    # The first audio arrives before the turn is over: it is interleaved with the text, not appended.
    kinds = [type(e).__name__ for e in events]
    assert kinds.index("AudioEvent") < kinds.index("SavedEvent")


def test_face_reading_and_transcription_run_side_by_side(config, store, user):
    both_started = threading.Barrier(2, timeout=10)

    def read_emotion(image):
        both_started.wait()      # raises BrokenBarrierError if transcription were not running too
        return vision.EmotionReading(label="happy", probs={k: (1.0 if k == "happy" else 0.0)
                                                           for k in vision.LABELS}, confidence=1.0)

    def transcribe(audio):
        both_started.wait()
        return speech.Transcript(text="I am fine.", language="en", duration_s=1.0)

    with FakeLLMServer(default=Reply(chunks=("Good to hear.",))) as server:
        events = run(companion(config, server, store, read_emotion=read_emotion, transcribe=transcribe),
                     Turn(profile=PROFILE, user_id=user.id, image=object(), audio=object(), prefs=SILENT))
    assert not of(events, ErrorEvent)
    assert of(events, TranscriptEvent)[0].transcript.text == "I am fine."


def test_a_transcript_heard_while_speaking_skips_stt_and_the_face_is_still_read(config, store, user, jaffe_happy,
                                                                               whisper_model):
    from testkit.speech import spoken_pcm

    listener = speech.Listener("en", model=whisper_model)
    pcm = spoken_pcm("I had a wonderful day with my friends.", "en")
    for i in range(0, len(pcm), 4800):
        listener.feed(48_000, pcm[i:i + 4800])
    heard = listener.finish()

    def transcribe(audio, **kwargs):
        raise AssertionError("the turn already carries its transcript")

    with FakeLLMServer(default=Reply(chunks=REPLY)) as server:
        comp = companion(config, server, store, read_emotion=vision.read_emotion, transcribe=transcribe)
        events = list(comp.respond(Turn(profile=PROFILE, user_id=user.id, image=str(jaffe_happy),
                                        prefs=Preferences().updated(reply_language="en", voice_on=False)),
                                   heard=heard))
        sent = server.requests[-1].body

    assert not of(events, ErrorEvent)
    assert of(events, EmotionEvent)
    assert of(events, TranscriptEvent)[0].transcript is heard
    assert "wonderful" in str(sent["messages"][-1]["content"]).lower()
    assert "wonderful" in of(events, SavedEvent)[0].entry.transcript.lower()


@pytest.mark.parametrize("turn, error", [
    (Turn(profile=PROFILE, text="   "), EmptyTurnError),
    (Turn(profile=PROFILE, text="가" * 20_000), TextTooLongError),
])
def test_unusable_turns_get_a_message_and_reach_no_backend(config, store, turn, error):
    with FakeLLMServer() as server:
        events = run(companion(config, server, store), turn)
        assert server.requests == []
    assert [type(e) for e in events] == [ErrorEvent]
    assert isinstance(events[0].error, error)
    assert events[0].error.message("ko") and events[0].error.message("en")


def test_no_face_is_a_notice_and_the_turn_goes_on(config, store, user):
    blank = np.full((480, 640, 3), 128, np.uint8)
    with FakeLLMServer(default=Reply(chunks=("Okay.",))) as server:
        events = run(companion(config, server, store, read_emotion=vision.read_emotion),
                     Turn(profile=PROFILE, user_id=user.id, image=Image.fromarray(blank), text="hello",
                          prefs=SILENT))
    assert isinstance(of(events, NoticeEvent)[0].notice, vision.NoFaceError)
    assert of(events, SavedEvent)[0].entry.face_label is None


@pytest.mark.parametrize("language, text", [
    ("ko", "요즘 너무 힘들어서 그냥 죽고 싶어"),
    ("en", "I want to kill myself tonight"),
])
def test_crisis_words_get_care_and_the_helpline_not_the_llm(config, store, user, language, text):
    with FakeLLMServer() as server:
        events = run(companion(config, server, store),
                     Turn(profile=PROFILE, user_id=user.id, text=text,
                          prefs=Preferences().updated(reply_language=language, voice_on=False)))
        assert server.requests == []
    done = of(events, DoneEvent)[0]
    assert done.crisis and "109" in done.reply
    assert not of(events, SongsEvent)
    assert store.get_entry(user.id, of(events, SavedEvent)[0].entry.id).reply == done.reply


def test_cloud_failure_falls_back_with_a_visible_notice(config, store, user):
    with FakeLLMServer(default=Reply(status=500)) as broken, \
            FakeLLMServer(default=Reply(chunks=("Fallback answer.",))) as spare:
        events = run(companion(config, broken, store, fallback=compatible(config, spare)),
                     Turn(profile=PROFILE, user_id=user.id, text="hello", prefs=SILENT))
    notice = of(events, NoticeEvent)[0].notice
    assert notice.category in (ErrorCategory.UNAVAILABLE, ErrorCategory.CONNECTIVITY)
    assert "offline" in notice.message("en")
    assert of(events, DoneEvent)[0].reply == "Fallback answer."
    assert of(events, SavedEvent)


def test_without_a_fallback_the_cloud_error_is_shown(config, store, user):
    with FakeLLMServer(default=Reply(status=429, retry_after=0)) as server:
        events = run(companion(config, server, store),
                     Turn(profile=PROFILE, user_id=user.id, text="hello", prefs=SILENT))
    assert of(events, ErrorEvent)[0].error.category == ErrorCategory.RATE_LIMIT


def test_mood_report_is_written_by_the_llm_from_the_diarys_facts(config, store, user):
    store.save_entry(user.id, EntryDraft(text="Great run this morning", face_label="happy", reply="Nice!"))
    with FakeLLMServer(default=Reply(chunks=("You had a bright week, ", "Minji."))) as server:
        comp = companion(config, server, store)
        report = comp.report(user.id, "week", CompanionSettings(language="en"))
        sent = server.requests[-1].body["messages"]
    facts = store.report_facts(user.id, "week", "en")
    assert report == facts.text + "\n\nYou had a bright week, Minji."      # the real counts first
    assert "happy" in sent[-1]["content"] and "109" in sent[0]["content"]


def test_an_auto_language_report_follows_the_recent_entries(config, store, user):
    store.save_entry(user.id, EntryDraft(text="오늘 아침 달리기 정말 좋았어", face_label="happy", reply="좋다!"))
    with FakeLLMServer(default=Reply(chunks=("밝은 한 주였어요.",))) as server:
        report = companion(config, server, store).report(user.id, "week", CompanionSettings(language="auto",
                                                                                              default_language="en"))
    assert report.startswith("이번 주") and report.endswith("밝은 한 주였어요.")


def test_mood_report_falls_back_to_facts_when_no_llm_answers(config, store, user):
    store.save_entry(user.id, EntryDraft(text="Great run this morning", face_label="happy", reply="Nice!"))
    with FakeLLMServer(default=Reply(status=500)) as server:
        report = companion(config, server, store).report(user.id, "week", CompanionSettings(language="en"))
    assert report == store.report_facts(user.id, "week", "en").text and "happy" in report.lower()


def test_an_empty_period_is_reported_without_asking_the_llm(config, store, user):
    with FakeLLMServer(default=Reply(chunks=("never asked",))) as server:
        report = companion(config, server, store).report(user.id, "month", CompanionSettings(language="en"))
        assert not server.requests
    assert report.startswith("Your month") and "no entries yet" in report


def test_private_voice_setting_keeps_the_reply_off_the_online_voice(config, store, user):
    asked = []

    def synthesize_stream(deltas, language, *, online=True):
        asked.append(online)
        yield from speech.synthesize_stream(deltas, language, online=online)

    with FakeLLMServer(default=Reply(chunks=("Good night.",))) as server:
        events = run(companion(config, server, store, synthesize_stream=synthesize_stream, online_tts=True),
                     Turn(profile=PROFILE, user_id=user.id, text="bye",
                          prefs=Preferences().updated(voice_online=False, reply_language="en")))
    assert asked == [False]
    assert [e.clip.voice.startswith("gtts") for e in of(events, AudioEvent)] == [False]


@pytest.mark.parametrize("opted_in", [False, True])
def test_face_thumbnail_is_kept_only_on_opt_in(config, store, user, jaffe_happy, opted_in):
    from vision.thumbnail import face_thumbnail
    with FakeLLMServer(default=Reply(chunks=("Nice smile.",))) as server:
        comp = companion(config, server, store, read_emotion=vision.read_emotion,
                         face_thumbnail=face_thumbnail if opted_in else None)
        events = run(comp, Turn(profile=PROFILE, user_id=user.id, image=str(jaffe_happy), text="hi", prefs=SILENT))
    entry = of(events, SavedEvent)[0].entry
    assert entry.has_thumbnail is opted_in
    if opted_in:
        thumb = Image.open(io.BytesIO(store.get_thumbnail(user.id, entry.id)))
        assert thumb.format == "JPEG" and max(thumb.size) <= 96


def test_the_first_sentence_is_heard_while_the_model_is_still_writing_the_next(config, store, user):
    # The fake model pauses 2 s between its two sentences, as the offline model does between sentences.
    slow = Reply(chunks=("That sounds like a long day. ", "Rest well tonight."), tokens_per_s=0.5)
    with FakeLLMServer(default=slow) as server:
        comp = companion(config, server, store, synthesize_stream=speech.synthesize_stream, online_tts=False)
        kinds = [type(e).__name__ for e in comp.respond(
            Turn(profile=PROFILE, user_id=user.id, text="Hi, how are you?",
                 prefs=Preferences().updated(reply_language="en")))]
    deltas = [i for i, kind in enumerate(kinds) if kind == "TextDelta"]
    assert len(deltas) == 2
    assert deltas[0] < kinds.index("AudioEvent") < deltas[1]
