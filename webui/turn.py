"""One conversation or diary turn as the screen shows it, and the loop that drives the session's conversation."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field, replace
from typing import Iterator

import chat
import diary
from chat.safety import HELPLINE_KR
from core import APOLOGY, AppConfig, HaruError
from webui import render
from webui.session import Session
from webui.strings import t

log = logging.getLogger("haru.app")

SHOWN_MESSAGES = 100         # messages kept on screen for one session


@dataclass
class TurnView:
    """What the screen shows of one turn, rebuilt as the companion's events arrive."""
    language: str
    persona: str
    history: tuple[chat.Message, ...]
    said: str = ""
    reply: str = ""
    emotion: str = ""
    transcript: str = ""
    songs: str = ""
    errors: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    info: list[str] = field(default_factory=list)
    care: list[str] = field(default_factory=list)
    entry: diary.Entry | None = None
    done: chat.DoneEvent | None = None
    ended: bool = False
    turn_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    audio: bytes | None = None
    clips: list = field(default_factory=list)

    def apply(self, event) -> None:
        lang = self.language
        self.audio = None
        if isinstance(event, chat.EmotionEvent):
            r = event.reading
            self.emotion = render.emotion_html(r.label, r.probs, lang)
        elif isinstance(event, chat.TranscriptEvent):
            self.transcript = event.transcript.text
        elif isinstance(event, chat.TextDelta):
            self.reply += event.text
        elif isinstance(event, chat.AudioEvent):
            self.audio = event.clip.data
            self.clips.append(event.clip)
        elif isinstance(event, chat.SongsEvent):
            self.songs = render.songs_html(event.tracks, event.language)
        elif isinstance(event, chat.NoticeEvent):
            self.notices.append(event.notice.message(lang))
        elif isinstance(event, chat.ErrorEvent):
            self.errors.append(event.error.message(lang))
        elif isinstance(event, chat.CheckInEvent):
            self.care.append(event.message.message(lang))
        elif isinstance(event, chat.SavedEvent):
            self.entry = event.entry
            self.info.append(t("talk.saved", lang, id=event.entry.id))
        elif isinstance(event, chat.DoneEvent):
            self.done = event
            if event.crisis:
                self.errors.append(t("talk.crisis", lang, helpline=HELPLINE_KR))

    def banner(self) -> str:
        # The marker tells a page script (and the browser tests) that the turn has ended, saved or not.
        return render.banner_html(self.errors, self.notices, self.info, self.care) + \
            (f"<span hidden data-turn-ended='{self.turn_id}'></span>" if self.ended else "")

    def chat_messages(self) -> list[dict]:
        shown = [{"role": m.role, "content": m.content} for m in self.history]
        if self.said:
            shown.append({"role": "user", "content": self.said})
        if self.reply:
            shown.append({"role": "assistant", "content": self.reply})
        return shown


def run_turn(config: AppConfig, session: Session, text: str, audio, image, *, mode: str,
             voice: bool) -> Iterator[TurnView]:
    """Drive one turn of the session's conversation, which keeps the history, the songs and the recording."""
    lang = session.language
    view = TurnView(lang, session.persona, ())
    try:
        user_id, conversation = session.user(), session.conversation
        view.history = conversation.history[-SHOWN_MESSAGES:]
        prefs = session.turn_prefs(config)
        turn = chat.Turn(
            profile=chat.Profile(session.name, session.intro), user_id=user_id,
            prefs=replace(prefs, voice=replace(prefs.voice, on=voice and prefs.voice.on)),
            text=text or "", image=image, audio=audio, mode=mode)
        view.said = (text or "").strip()
        yield view
        for event in conversation.respond(turn):
            view.apply(event)
            if isinstance(event, chat.TranscriptEvent):
                view.said = "\n".join(p for p in (event.transcript.text.strip(), view.said) if p)
            yield view
    except HaruError as e:
        view.errors.append(e.message(lang))
    except Exception:
        log.exception("turn failed")
        view.errors.append(APOLOGY.message(lang))
    view.ended = True
    yield view
