"""The Talk tab: a typed, uploaded or recorded turn, its streamed reply and voice, and new songs."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Iterator

import gradio as gr

import chat
import music
import speech
from webui import render
from webui.common import HandlersBase, guarded, upload
from webui.session import Session
from webui.strings import t
from webui.turn import TurnView, run_turn

log = logging.getLogger("haru.app")


class TalkHandlers(HandlersBase):
    def talk(self, session: Session, text: str, audio, image, muted: bool) -> Iterator[tuple]:
        """Stream one conversation turn: the outputs are (chat, emotion, transcript, voice, songs,
        messages, session, text box). ``audio`` and ``image`` are upload payloads."""
        yield from self._turn(session, text, upload(audio), upload(image), voice=not muted)

    def listen_start(self, session: Session) -> speech.Listener | None:
        """A fresh listener for each recording, in the user's speech language."""
        if session.user_id is None:
            return None
        return speech.Listener(session.prefs.voice.speech_language or None,
                               source=speech.WhisperSource.from_config(self.config))

    def listen(self, listener: speech.Listener | None, chunk) -> None:
        """One microphone chunk, ``(sample_rate, samples)``, to this recording's listener."""
        if listener is not None and chunk is not None:
            listener.feed(*chunk)

    def talk_spoken(self, session: Session, text: str, listener: speech.Listener | None, image,
                    muted: bool) -> Iterator[tuple]:
        """The turn sent when a recording stops: what the listener heard, with the typed words and face."""
        yield from self._turn(session, text, None, upload(image), voice=not muted, listener=listener)

    def _turn(self, session: Session, text: str, audio, image, *, voice: bool,
              listener: speech.Listener | None = None):
        first, voiced = True, False
        view = None
        for view, session in run_turn(self.companion, self.config, session, text, audio, image,
                                      mode="conversation", voice=voice, listener=listener):
            # The player's stream opens with the first voice chunk; a turn without voice leaves it alone
            # instead of handing the browser an empty playlist.
            voiced = voiced or view.audio is not None
            sound = view.audio if voiced and self.voice_streaming else gr.skip()
            yield self._turn_outputs(view, session, sound, "" if first else gr.update())
            first = False
        if view is not None and view.clips and not self.voice_streaming:
            yield self._turn_outputs(view, session, self._whole_voice(view), gr.update())

    @staticmethod
    def _turn_outputs(view: TurnView, session: Session, sound, text_box) -> tuple:
        return (view.chat_messages(), view.emotion or render.emotion_html(None, {}, session.language),
                view.transcript, sound, view.songs, view.banner(), session, text_box)

    @staticmethod
    def _whole_voice(view: TurnView):
        """The reply's voice as one WAV, for a player that cannot stream; a failure costs only the voice."""
        try:
            return speech.join_clips(view.clips).data
        except Exception:
            log.exception("joining the voice clips failed")
            view.notices.append(t("talk.voice_failed", view.language))
            return gr.skip()

    @guarded
    def reroll(self, session: Session):
        session.user()
        songs = session.prefs.songs
        tracks = self.companion.reroll_songs(session.last_probs or chat.emotion_probs(None, None),
                                             songs.strategy, songs.language, session.shown_songs,
                                             songs.submood or None)
        return (render.songs_html(tracks, session.language),
                replace(session, shown_songs=session.shown_songs | {music.track_key(t) for t in tracks}))

    def new_conversation(self, session: Session):
        return [], "", "", "", render.banner_html(), replace(session, history=(), shown_songs=frozenset())
