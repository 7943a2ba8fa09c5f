"""The Talk tab: a typed, uploaded or recorded turn, its streamed reply and voice, and new songs."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Iterator

import gradio as gr

import chat
from webui import render
from webui.common import HandlersBase, guarded, upload
from webui.session import Session
from webui.strings import t
from webui.turn import TurnView, run_turn

log = logging.getLogger("haru.app")


class TalkHandlers(HandlersBase):
    def talk(self, session: Session, text: str, audio, image, muted: bool) -> Iterator[tuple]:
        """Stream one conversation turn: the outputs are (chat, emotion, transcript, voice, songs,
        messages, text box). ``audio`` and ``image`` are upload payloads."""
        yield from self._turn(session, text, upload(audio), upload(image), voice=not muted)

    @guarded
    def listen_start(self, session: Session) -> None:
        """A fresh listener for each recording, in the user's speech language."""
        if session.conversation is not None:
            session.conversation.listen(session.prefs.voice.speech_language or None)

    def listen(self, session: Session, chunk) -> None:
        """One microphone chunk, ``(sample_rate, samples)``, to this recording's listener."""
        if session.conversation is not None:
            session.conversation.hear(chunk)

    def talk_spoken(self, session: Session, text: str, image, muted: bool) -> Iterator[tuple]:
        """The turn sent when a recording stops: what the listener heard, with the typed words and face."""
        yield from self._turn(session, text, None, upload(image), voice=not muted)

    def _turn(self, session: Session, text: str, audio, image, *, voice: bool):
        first, voiced = True, False
        view = None
        for view in run_turn(self.config, session, text, audio, image, mode="conversation", voice=voice):
            # The player's stream opens with the first voice chunk; a turn without voice leaves it alone
            # instead of handing the browser an empty playlist.
            voiced = voiced or view.audio is not None
            sound = view.audio if voiced and self.voice_streaming else gr.skip()
            yield self._turn_outputs(view, sound, "" if first else gr.update())
            first = False
        if view is not None and view.clips and not self.voice_streaming:
            yield self._turn_outputs(view, self._whole_voice(view), gr.update())

    @staticmethod
    def _turn_outputs(view: TurnView, sound, text_box) -> tuple:
        return (view.chat_messages(), view.emotion or render.emotion_html(None, {}, view.language),
                view.transcript, sound, view.songs, view.banner(), text_box)

    @staticmethod
    def _whole_voice(view: TurnView):
        """The reply's voice as one WAV, for a player that cannot stream; a failure costs only the voice."""
        try:
            return chat.join_clips(view.clips).data
        except Exception:
            log.exception("joining the voice clips failed")
            view.notices.append(t("talk.voice_failed", view.language))
            return gr.skip()

    @guarded
    def reroll(self, session: Session) -> str:
        session.user()
        p = session.prefs.songs
        return render.songs_html(session.conversation.new_songs(p.strategy, p.language, p.submood or None),
                                 session.language)

    def new_conversation(self, session: Session):
        fresh = chat.Conversation(self.companion) if session.user_id is not None else None
        return [], "", "", "", render.banner_html(), replace(session, conversation=fresh)
