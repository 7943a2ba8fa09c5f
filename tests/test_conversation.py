"""chat.Conversation: one conversation's live microphone, history and song memory, over the real stages.

The LLM is the real OpenAI-compatible backend talking to a scripted server on loopback.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest

import music
import speech
from chat import (Companion, Conversation, DoneEvent, ErrorEvent, ListeningOffError, Preferences, SavedEvent,
                  SongsEvent, TranscriptEvent, Turn)
from chat.backends import get_backend
from music import NoSongsError, track_key
from prompts import Message
from speech import NothingHeardError
from testkit.fake_llm_server import FakeLLMServer, Reply
from testkit.speech import spoken_pcm
from tests.chat_fixtures import PROFILE, config, store, user  # noqa: F401  (fixtures)
from tests.speech_fixtures import whisper_model  # noqa: F401  (fixture)
from training.speech.evaluate import wer

RATE = 48_000                      # what Gradio's live microphone sends, in 0.1 s chunks
SAID = "I went for a long walk in the park this morning, and it made me feel much better."
REPLY = ("A walk like that can change a whole day. ", "What did you see?")
SAD = "I failed my exam today and I feel awful."
HAPPY = "I had a wonderful day with my friends, I'm so happy!"
ENGLISH = Preferences().updated(reply_language="en", voice_on=False)


@pytest.fixture
def server():
    with FakeLLMServer(default=Reply(chunks=REPLY)) as fake:
        yield fake


def companion(config, server, store, **stages) -> Companion:
    parts = dict(backend=get_backend("openai-compatible", config, base_url=server.openai_url, model="fake-model"),
                 recommend=music.recommend, song_session=partial(music.SongSession, rng=0), store=store)
    parts.update(stages)
    return Companion(**parts)


def turn(user, text: str = "") -> Turn:
    return Turn(profile=PROFILE, user_id=user.id, text=text, prefs=ENGLISH)


def of(events, kind):
    return [e for e in events if isinstance(e, kind)]


def record(conversation: Conversation, pcm: np.ndarray) -> None:
    step = RATE // 10
    for i in range(0, len(pcm), step):
        conversation.hear((RATE, pcm[i:i + step]))


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), np.int16)


@pytest.mark.slow
def test_the_conversation_finishes_its_listener_and_answers_what_was_heard(config, server, store, user,
                                                                           whisper_model):
    conversation = Conversation(companion(config, server, store,
                                          listener=partial(speech.Listener, model=whisper_model)))
    conversation.listen("en")
    record(conversation, np.concatenate([silence(0.3), spoken_pcm(SAID, "en", RATE), silence(0.3)]))
    events = list(conversation.respond(turn(user)))

    heard = of(events, TranscriptEvent)[0].transcript
    assert wer(SAID, heard.text) <= 0.2, heard.text
    assert "finish" in heard.timings_ms                                  # the listener's transcript, not STT again
    assert "walk in the park" in server.requests[-1].body["messages"][-1]["content"]
    assert of(events, SavedEvent)[0].entry.transcript == heard.text
    assert conversation.history == (Message("user", heard.text), Message("assistant", "".join(REPLY).strip()))

    # The listener was for that recording only: the next turn is just what was typed.
    events = list(conversation.respond(turn(user, "Then I had lunch.")))
    assert not of(events, TranscriptEvent) and of(events, DoneEvent)
    assert conversation.history[-2] == Message("user", "Then I had lunch.")


@pytest.mark.slow
def test_a_silent_recording_is_no_error_when_words_were_typed(config, server, store, user, whisper_model):
    conversation = Conversation(companion(config, server, store,
                                          listener=partial(speech.Listener, model=whisper_model)))
    conversation.listen()
    record(conversation, silence(1.5))
    events = list(conversation.respond(turn(user)))
    assert isinstance(of(events, ErrorEvent)[0].error, NothingHeardError) and not of(events, DoneEvent)
    assert conversation.history == ()

    conversation.listen()
    record(conversation, silence(1.5))
    events = list(conversation.respond(turn(user, "Too tired to talk.")))
    assert of(events, DoneEvent) and not of(events, ErrorEvent)
    assert conversation.history[0] == Message("user", "Too tired to talk.")


def test_chunks_without_a_recording_are_ignored_and_listening_needs_a_listener(config, server, store, user):
    conversation = Conversation(companion(config, server, store))
    conversation.hear((RATE, silence(0.1)))          # no listen() yet: nothing to feed
    conversation.hear(None)
    with pytest.raises(ListeningOffError):
        conversation.listen("ko")
    assert of(list(conversation.respond(turn(user, "hello"))), DoneEvent)


def test_history_is_kept_and_sent_with_the_next_turn(config, server, store, user):
    comp = companion(config, server, store)
    conversation = Conversation(comp)
    list(conversation.respond(turn(user, "I passed my driving test!")))
    list(conversation.respond(turn(user, "Then I had lunch.")))
    assert len(server.requests) == 2
    sent = [m["content"] for m in server.requests[-1].body["messages"]]
    assert any("I passed my driving test!" in m for m in sent[1:-1])          # the first exchange, as history
    assert [m.role for m in conversation.history] == ["user", "assistant"] * 2
    assert conversation.history[2].content == "Then I had lunch."

    assert Conversation(comp).history == ()                                   # a new conversation starts empty
    restored = Conversation(comp, history=conversation.history)               # e.g. today's, after signing in
    list(restored.respond(turn(user, "Which one?")))
    assert restored.history[:4] == conversation.history and len(restored.history) == 6


def test_new_songs_follow_the_last_mood_and_skip_every_song_shown(config, server, store, user):
    conversation = Conversation(companion(config, server, store))
    first = of(list(conversation.respond(turn(user, SAD))), SongsEvent)[0].tracks
    assert all("sad mood" in t.reason for t in first)
    seen = {track_key(t) for t in first}
    for _ in range(3):
        again = conversation.new_songs()
        keys = {track_key(t) for t in again}
        assert len(keys) == 3 and not keys & seen
        assert all("sad mood" in t.reason for t in again)
        seen |= keys

    # The next reply's songs skip the rerolled ones too, and the rerolls follow the new mood.
    second = of(list(conversation.respond(turn(user, HAPPY))), SongsEvent)[0].tracks
    assert not {track_key(t) for t in second} & seen
    assert all("happy mood" in t.reason for t in conversation.new_songs())
    assert conversation.songs.shown >= seen


def test_new_songs_before_any_turn_fit_a_neutral_mood_and_fail_when_songs_are_off(config, server, store, user):
    assert all("neutral mood" in t.reason for t in Conversation(companion(config, server, store)).new_songs())
    off = Conversation(companion(config, server, store, recommend=None, song_session=None))
    with pytest.raises(NoSongsError):
        off.new_songs()
