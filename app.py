"""Haru's web app: the screen, and the wiring from its widgets to the stages.

    python app.py [--host HOST] [--port PORT]        # every other setting: python app.py --help

Nothing here decides anything about faces, words, replies, songs or moods. Each
handler turns widget values into a stage input, calls the stage, and renders
what comes back with :mod:`webui.render`. The signed-in user lives only in the
server-side session state, so through the browser and through the HTTP API a
request can only read or change the data of the session that logged in.
"""

from __future__ import annotations

import os

# Before gradio is imported: no version check, no telemetry, no outbound lookups at all.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import argparse  # noqa: E402
import functools  # noqa: E402
import logging  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from dataclasses import asdict, dataclass, field, fields, replace  # noqa: E402
from datetime import date, datetime, timezone  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable, Iterator  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

import gradio as gr  # noqa: E402
import pandas as pd  # noqa: E402

import chat  # noqa: E402
import diary  # noqa: E402
import music  # noqa: E402
import speech  # noqa: E402
import vision  # noqa: E402
from chat.safety import HELPLINE_KR  # noqa: E402
from core import APOLOGY, AppConfig, HaruError, help_text, load_config  # noqa: E402
from diary.moods import name as mood_name  # noqa: E402
from music.types import STRATEGIES, SUBMOODS  # noqa: E402
from prompts.types import (ATTITUDES, COMPOSITIONS, INTENSITIES, LENGTHS, CompanionSettings,  # noqa: E402
                           Message, Profile)
from webui import render, tokens  # noqa: E402
from webui.strings import LANGUAGES, pick_language, t  # noqa: E402

log = logging.getLogger("haru.app")

HISTORY_TURNS = 6            # earlier exchanges sent back to Anna; older ones live in the diary
SHOWN_MESSAGES = 100         # messages kept on screen for one session
STATS_DAYS = (7, 30, 90, 365)
# The mirror needs a face, not a photo: small frames make face finding several times faster.
MIRROR_CAMERA = {"video": {"width": {"ideal": 320}, "height": {"ideal": 240}}}
MIRROR_FRAME_S = 0.08       # the browser offers a frame this often; the server reads as many as it keeps up with
MIC_CHUNK_S = 0.5            # the microphone sends what it heard this often, so speech is transcribed during pauses
EXPORT_MAX_AGE_S = 600       # exported files are private data: gone from the temp folder after this
EXPORT_FOLDER = "exports"    # inside the data dir; served to its owner only through the export event

NOT_LOGGED_IN = diary.AuthError(t("auth.needed", "en"), t("auth.needed", "ko"))


# ----------------------------------------------------------------------------------- session
@dataclass(frozen=True)
class Prefs:
    """The settings a user saves; stored as a plain dict with :meth:`DiaryStore.save_settings`."""
    attitude: str = "polite"
    composition: tuple[str, ...] = ()
    intensity: str = "normal"
    length: str = "normal"
    reply_language: str = "auto"     # "auto": the language the person wrote or spoke in this turn
    speech_language: str = ""        # empty: Whisper tells Korean from English by itself
    ui_language: str = ""            # empty: follow the browser
    voice: bool = True
    voice_online: bool = True        # False: only offline voices, so no reply text leaves the machine
    song_strategy: str = "match"
    song_language: str = "any"
    submood: str = ""                # empty: none
    llm_backend: str = ""            # empty: the server's configured backend
    llm_model: str = ""
    base_url: str = ""

    @classmethod
    def from_saved(cls, saved: dict, defaults: Prefs) -> Prefs:
        """Saved values over ``defaults``; keys an older or newer version wrote are ignored."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in (saved or {}).items() if k in known}
        try:
            if "composition" in values:
                values["composition"] = tuple(values["composition"])
            candidate = replace(defaults, **values)
            candidate.companion()
        except (TypeError, ValueError):
            log.warning("ignoring saved settings that no longer validate")
            return defaults
        return candidate

    def companion(self, screen_language: str = "ko") -> CompanionSettings:
        return CompanionSettings(attitude=self.attitude, composition=frozenset(self.composition),
                                 intensity=self.intensity, length=self.length, language=self.reply_language,
                                 default_language=screen_language)


@dataclass(frozen=True)
class Session:
    """One browser tab or API client. Kept server-side in ``gr.State``; never written to disk."""
    user_id: int | None = None
    username: str = ""
    name: str = ""
    intro: str = ""
    language: str = "ko"             # screen language
    tz: str = "UTC"                  # the browser's time zone, for calendar days
    prefs: Prefs = field(default_factory=Prefs)
    api_key: str = field(default="", repr=False)   # typed in Settings, lives only here
    history: tuple[Message, ...] = ()
    shown_songs: frozenset[str] = frozenset()
    last_probs: dict[str, float] = field(default_factory=dict)

    def user(self) -> int:
        if self.user_id is None:
            raise NOT_LOGGED_IN
        return self.user_id

    def llm_choice(self, config: AppConfig) -> chat.LLMChoice | None:
        """None while the session uses the server's configured backend as it is."""
        p = self.prefs
        other_backend = p.llm_backend not in ("", config.llm_backend)
        if not (other_backend or p.llm_model or self.api_key or p.base_url):
            return None
        return chat.LLMChoice(backend=p.llm_backend or config.llm_backend, model=p.llm_model,
                              api_key=self.api_key, base_url=p.base_url)

    def signed_in(self, user: diary.User, defaults: Prefs) -> Session:
        prefs = Prefs.from_saved(user.settings, defaults)
        return replace(Session(), user_id=user.id, username=user.username, name=user.name, intro=user.intro,
                       language=prefs.ui_language or self.language, tz=self.tz, prefs=prefs)


def _valid_zone(tz: str) -> str:
    try:
        ZoneInfo(tz)
    except (ValueError, KeyError, OSError):
        return "UTC"
    return tz


# ------------------------------------------------------------------------------------ warmup
class Warmup:
    """Background model loading, shared by every session of this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._status: dict[str, str] = {}
        self.done = threading.Event()

    def start(self, config: AppConfig) -> None:
        threading.Thread(target=self._run, args=(config,), name="haru-warmup", daemon=True).start()

    def _run(self, config: AppConfig) -> None:
        try:
            chat.warmup(config, on_progress=self._progress)
        finally:
            self.done.set()

    def _progress(self, name: str, state: str) -> None:
        with self._lock:
            self._status[name] = state

    def html(self, language: str) -> str:
        with self._lock:
            status = dict(self._status)
        failed = [t(f"models.{n}", language) for n, s in status.items() if s.startswith("failed")]
        if self.done.is_set():
            return render.banner_html(notices=[t("models.failed", language, names=", ".join(failed))]
                                      if failed else (), info=() if failed else [t("models.ready", language)])
        loading = [n for n, s in status.items() if s == "loading"]
        current = t(f"models.{loading[-1]}", language) if loading else "…"
        done = sum(1 for s in status.values() if s == "ready")
        return render.banner_html(notices=[t("models.loading", language, done=done, total=len(WARMUP_STEPS),
                                             current=current)])


WARMUP_STEPS = ("vision", "speech", "llm")


# ------------------------------------------------------------------------------- translation
class Labels:
    """Components whose words follow the screen language, and which string keys they show."""

    def __init__(self) -> None:
        self._items: list[tuple[Any, str, dict[str, Any]]] = []

    def __call__(self, component, fmt: str = "{}", **keys):
        self._items.append((component, fmt, keys))
        return component

    @property
    def components(self) -> list:
        return [c for c, _, _ in self._items]

    def updates(self, language: str) -> list:
        out = []
        for _, fmt, keys in self._items:
            values = {}
            for attr, key in keys.items():
                if attr == "choices":
                    values[attr] = [(t(k, language), v) for k, v in key]
                else:
                    values[attr] = fmt.format(t(key, language)) if attr == "value" else t(key, language)
            out.append(gr.update(**values))
        return out


def choices(prefix: str, values) -> list[tuple[str, str]]:
    """(string key, value) pairs for a translated Radio/Dropdown."""
    return [(f"{prefix}.{v}", v) for v in values]


# ---------------------------------------------------------------------------------- handlers
def guarded(fn: Callable) -> Callable:
    """User-caused errors become a readable message in the session's language; anything else is a bug:
    logged with its traceback, and the user sees only the apology."""
    @functools.wraps(fn)
    def wrapper(self, session: Session, *args):
        try:
            return fn(self, session, *args)
        except HaruError as e:
            raise gr.Error(e.message(session.language), print_exception=False) from e
        except gr.Error:
            raise
        except Exception as e:
            log.exception("%s failed", fn.__name__)
            raise gr.Error(APOLOGY.message(session.language)) from e
    return wrapper


@dataclass
class TurnView:
    """What the screen shows of one turn, rebuilt as the companion's events arrive."""
    language: str
    persona: str
    history: tuple[Message, ...]
    said: str = ""
    reply: str = ""
    emotion: str = ""
    transcript: str = ""
    songs: str = ""
    errors: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    info: list[str] = field(default_factory=list)
    care: list[str] = field(default_factory=list)
    tracks: tuple = ()
    reading: Any = None
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
            self.reading = r
            self.emotion = render.emotion_html(r.label, r.probs, lang)
        elif isinstance(event, chat.TranscriptEvent):
            self.transcript = event.transcript.text
        elif isinstance(event, chat.TextDelta):
            self.reply += event.text
        elif isinstance(event, chat.AudioEvent):
            self.audio = event.clip.data
            self.clips.append(event.clip)
        elif isinstance(event, chat.SongsEvent):
            self.tracks = event.tracks
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


class Handlers:
    """Every event handler of the app; the first argument of each is the session state."""

    def __init__(self, config: AppConfig, companion: chat.Companion, store: diary.DiaryStore,
                 warmup: Warmup, export_dir: Path) -> None:
        self.config = config
        self.companion = companion
        self.store = store
        self.warmup = warmup
        self.export_dir = export_dir
        self.defaults = Prefs(voice=config.voice)
        self.token_key = tokens.new_key(config.session_secret)
        # Gradio streams audio through ffmpeg; without it the whole reply is played once it is written.
        self.voice_streaming = shutil.which("ffmpeg") is not None

    def models(self, session: Session):
        """Model loading progress; the page polls it until every model has loaded or failed."""
        return self.warmup.html(session.language), gr.Timer(active=not self.warmup.done.is_set())

    def new_session(self) -> Session:
        return Session(language=self.config.language, prefs=self.defaults)

    # ---- accounts
    @guarded
    def signup(self, session: Session, username: str, password: str, name: str):
        user = self.store.create_user(username, password, name)
        log.info("new account %s", user.id)
        return self._entered(session, user)

    @guarded
    def login(self, session: Session, username: str, password: str):
        return self._entered(session, self.store.authenticate(username, password))

    def login_form(self, session: Session, username: str, password: str):
        """The login form in the page: a refusal is said above the form, which stays usable."""
        return self._form(session, lambda: self.store.authenticate(username, password))

    def signup_form(self, session: Session, username: str, password: str, name: str):
        return self._form(session, lambda: self.store.create_user(username, password, name))

    def _form(self, session: Session, get_user: Callable[[], diary.User]):
        try:
            user = get_user()
        except HaruError as e:
            log.info("sign-in refused: %s", e.en)
            return (session, gr.update(), gr.update(), gr.update(), gr.update(), "", "",
                    render.banner_html([e.message(session.language)]), gr.skip())
        return self._entered(session, user) + (render.banner_html(), tokens.issue(self.token_key, user.id))

    def resume(self, session: Session, token: str):
        """A reload signs the browser's person in again while its token is valid."""
        user_id = tokens.verify(self.token_key, token) if session.user_id is None else None
        user = None
        if user_id is not None:
            try:
                user = self.store.get_user(user_id)
            except HaruError:   # deleted meanwhile
                user = None
        if user is None:
            return (session,) + (gr.skip(),) * 6
        return self._entered(session, user)

    def _entered(self, session: Session, user: diary.User):
        session = session.signed_in(user, self.defaults)
        session = replace(session, history=self._today_conversation(session))
        # Reading the person's fixed prompt now makes their first reply start sooner.
        threading.Thread(target=self.companion.prime, name="haru-prime", daemon=True,
                         args=(Profile(session.name, session.intro), session.prefs.companion(session.language))).start()
        return (session, gr.update(visible=False), gr.update(visible=True), gr.update(visible=True),
                t("app.hello", session.language, name=session.name), "", "")

    def _today_conversation(self, session: Session) -> tuple[Message, ...]:
        """Today's last exchanges, so a person who logs in again finds the conversation where it was."""
        entries = [e for e in self.store.list_entries(session.user(), _today(session), tz=session.tz)
                   if e.mode == "conversation" and e.reply]
        history: list[Message] = []
        for e in entries[-HISTORY_TURNS:]:
            said = "\n".join(p for p in (e.transcript.strip(), e.text.strip()) if p)
            history += [Message("user", said), Message("assistant", e.reply)]
        return tuple(history)

    def logout(self, session: Session):
        """Signed out, and the browser's stay-signed-in token forgotten in the same step (a reload right after
        must not sign the person in again)."""
        return (replace(self.new_session(), language=session.language, tz=session.tz),
                gr.update(visible=True), gr.update(visible=False), gr.update(visible=False), "", "", "",
                tokens.SIGNED_OUT)

    def locale(self, session: Session, browser: str):
        """The browser's language and time zone, sent once by the page on load; the calendar opens on
        the browser's current month."""
        lang_tag, _, tz = (browser or "").partition("|")
        language = session.prefs.ui_language or pick_language(lang_tag, self.config.language)
        session = replace(session, language=language, tz=_valid_zone(tz.strip() or session.tz))
        return session, _today(session).strftime("%Y-%m")

    # ---- talk
    def talk(self, session: Session, text: str, audio, image, muted: bool) -> Iterator[tuple]:
        """Stream one conversation turn: the outputs are (chat, emotion, transcript, voice, songs,
        messages, session, text box). ``audio`` and ``image`` are upload payloads."""
        yield from self._turn(session, text, _upload(audio), _upload(image), mode="conversation",
                              voice=not muted)

    def listen_start(self, session: Session) -> speech.Listener | None:
        """A fresh listener for each recording, in the user's speech language."""
        if session.user_id is None:
            return None
        return speech.Listener(session.prefs.speech_language or None,
                               source=speech.WhisperSource.from_config(self.config))

    def listen(self, listener: speech.Listener | None, chunk) -> None:
        """One microphone chunk, ``(sample_rate, samples)``, to this recording's listener."""
        if listener is not None and chunk is not None:
            listener.feed(*chunk)

    def talk_spoken(self, session: Session, text: str, listener: speech.Listener | None, image,
                    muted: bool) -> Iterator[tuple]:
        """The turn sent when a recording stops: what the listener heard, with the typed words and face."""
        yield from self._turn(session, text, None, _upload(image), mode="conversation", voice=not muted,
                              listener=listener)

    def diary_write(self, session: Session, text: str, photo) -> Iterator[tuple]:
        """Stream Anna's comment on a diary entry: (comment, messages, session, text box)."""
        for view, session in self._run_turn(session, text, None, _upload(photo), mode="diary", voice=False):
            when = view.entry.created_at if view.entry else None
            # The entry stays on screen above Anna's comment once the text box is emptied.
            post = render.said_html(view.said, session.language) if view.said else ""
            comment = render.comment_html(self.companion_name(session), view.reply, when, session.language,
                                          session.tz) if view.reply else ""
            yield post + comment, view.banner(), session, gr.update() if view.done is None else ""

    def _turn(self, session: Session, text: str, audio, image, *, mode: str, voice: bool,
              listener: speech.Listener | None = None):
        first, voiced = True, False
        view = None
        for view, session in self._run_turn(session, text, audio, image, mode=mode, voice=voice,
                                            listener=listener):
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

    def _run_turn(self, session: Session, text: str, audio, image, *, mode: str, voice: bool,
                  listener: speech.Listener | None = None):
        """Drive Companion.respond and keep the session's history and songs current."""
        lang = session.language
        view = TurnView(lang, self.companion_name(session), session.history[-SHOWN_MESSAGES:])
        try:
            user_id = session.user()
            prefs = session.prefs
            turn = chat.Turn(
                profile=Profile(session.name, session.intro), settings=prefs.companion(session.language),
                user_id=user_id,
                text=text or "", image=image, audio=audio, mode=mode, voice=voice and prefs.voice,
                song_strategy=prefs.song_strategy, song_language=prefs.song_language,
                submood=prefs.submood or None, history=view.history[-2 * HISTORY_TURNS:],
                exclude_songs=session.shown_songs, speech_language=prefs.speech_language or None,
                llm=session.llm_choice(self.config), voice_online=prefs.voice_online,
                transcript=_heard(listener, text))
            view.said = (text or "").strip()
            yield view, session
            for event in self.companion.respond(turn):
                view.apply(event)
                if isinstance(event, chat.TranscriptEvent):
                    view.said = "\n".join(p for p in (event.transcript.text.strip(), view.said) if p)
                yield view, session
        except HaruError as e:
            view.errors.append(e.message(lang))
        except Exception:
            log.exception("turn failed")
            view.errors.append(APOLOGY.message(lang))
        view.ended = True
        if view.done is not None:
            session = replace(
                session,
                history=(view.history + (Message("user", view.said), Message("assistant", view.done.reply))),
                shown_songs=session.shown_songs | {music.track_key(t) for t in view.tracks},
                last_probs=chat.emotion_probs(view.reading, view.entry.text_emotion if view.entry else None))
        yield view, session

    def companion_name(self, session: Session) -> str:
        return session.prefs.companion().persona_name

    @guarded
    def reroll(self, session: Session):
        session.user()
        p = session.prefs
        tracks = self.companion.reroll_songs(session.last_probs or chat.emotion_probs(None, None),
                                             p.song_strategy, p.song_language, session.shown_songs,
                                             p.submood or None)
        return (render.songs_html(tracks, session.language),
                replace(session, shown_songs=session.shown_songs | {music.track_key(t) for t in tracks}))

    def new_conversation(self, session: Session):
        return [], "", "", "", render.banner_html(), replace(session, history=(), shown_songs=frozenset())

    # ---- calendar, entries, stats
    @guarded
    def calendar(self, session: Session, month: str, selected: str = ""):
        year, mon = _parse_month(month)
        cells = self.store.month_calendar(session.user(), year, mon, tz=session.tz)
        chosen = _parse_day(selected) if selected else None
        return render.calendar_html(year, mon, cells, session.language, chosen)

    def shift_month(self, session: Session, month: str, step: int) -> str:
        try:
            year, mon = _parse_month(month)
        except HaruError:
            year, mon = _today(session).year, _today(session).month
        index = year * 12 + (mon - 1) + step
        return f"{index // 12:04d}-{index % 12 + 1:02d}"

    def pick_day(self, session: Session, evt: gr.EventData):
        return getattr(evt, "day", "") or gr.update()

    @guarded
    def day(self, session: Session, day: str):
        chosen = _parse_day(day)
        entries = self.store.list_entries(session.user(), chosen, tz=session.tz)
        return render.entries_html(entries, session.language, self.companion_name(session), empty_day=chosen,
                                   tz=session.tz)

    @guarded
    def entry(self, session: Session, entry_id: float):
        found = self.store.get_entry(session.user(), int(entry_id or 0))
        return render.entries_html([found], session.language, self.companion_name(session), tz=session.tz)

    @guarded
    def stats(self, session: Session, days: int):
        user_id, days = session.user(), int(days)
        counts = self.store.emotion_counts(user_id, days=days, tz=session.tz)
        table = {"emotion": [f"{diary.EMOJI[k]} {mood_name(k, session.language)}" for k in counts],
                 "entries": list(counts.values())}
        return pd.DataFrame(table), self.store.mood_plot(user_id, days=days, tz=session.tz)

    @guarded
    def report(self, session: Session, period: str, progress=gr.Progress()):
        progress(0.1, desc=t("stats.report_working", session.language))
        language = self._report_language(session)
        return self.store.mood_report(session.user(), period=period, language=language, tz=session.tz,
                                      llm=functools.partial(self.companion.write, language=language))

    def _report_language(self, session: Session) -> str:
        """The report follows the reply rule: with "auto", the language the person's recent entries are in."""
        recent = self.store.list_entries(session.user(), tz=session.tz, limit=20)
        said = " ".join(f"{e.text} {e.transcript}" for e in recent)
        return session.prefs.companion(session.language).for_words(said).language

    # ---- settings and profile
    def answers_offline(self, session: Session) -> bool:
        """Whether the small embedded model writes this session's replies."""
        choice = session.llm_choice(self.config)
        return (choice.backend if choice else self.config.llm_backend) == "local"

    @guarded
    def test_connection(self, session: Session, backend: str, model: str, api_key: str, base_url: str) -> str:
        """Settings' "Test connection": the backend as filled in on the form (saved or not) answers or says why."""
        session.user()
        lang = session.language
        choice = chat.LLMChoice(backend=backend or self.config.llm_backend, model=(model or "").strip(),
                                api_key=(api_key or "").strip() or session.api_key, base_url=(base_url or "").strip())
        found = self.companion.check_backend(choice)
        if found.ok:
            return render.banner_html(info=[t("settings.test_ok", lang, backend=found.backend,
                                              model=found.model or "-", seconds=f"{found.seconds:.1f}",
                                              reply=found.reply[:40])])
        return render.banner_html([t("settings.test_failed", lang, backend=found.backend,
                                     reason=found.error.message(lang))])

    @guarded
    def save_settings(self, session: Session, attitude, composition, intensity, length, voice, reply_language,
                      speech_language, ui_language, song_strategy, song_language, submood, llm_backend, llm_model,
                      api_key, base_url, voice_online=True):
        user_id = session.user()
        prefs = Prefs(attitude=attitude, composition=tuple(composition or ()), intensity=intensity,
                      length=length, reply_language=reply_language,
                      speech_language="" if speech_language in ("", None, "auto") else speech_language,
                      ui_language=ui_language or "",
                      voice=bool(voice), song_strategy=song_strategy, song_language=song_language,
                      submood="" if submood in ("", None, "none") else submood,
                      llm_backend=llm_backend or "", llm_model=(llm_model or "").strip(),
                      base_url=(base_url or "").strip(), voice_online=bool(voice_online))
        prefs.companion()
        self.store.save_settings(user_id, asdict(prefs))
        session = replace(session, prefs=prefs, api_key=(api_key or "").strip(),
                          language=prefs.ui_language or session.language)
        return session, render.banner_html(info=[t("settings.saved", session.language)])

    def settings_values(self, session: Session) -> list:
        p = session.prefs
        return [p.attitude, list(p.composition), p.intensity, p.length, p.voice, p.reply_language,
                p.speech_language or "auto", p.ui_language or session.language, p.song_strategy,
                p.song_language, p.submood or "none", p.llm_backend or self.config.llm_backend, p.llm_model,
                "", p.base_url, p.voice_online, session.name, session.intro]

    @guarded
    def save_profile(self, session: Session, name: str, intro: str):
        user = self.store.update_profile(session.user(), name=name, intro=intro)
        session = replace(session, name=user.name, intro=user.intro)
        return session, t("app.hello", session.language, name=user.name), \
            render.banner_html(info=[t("profile.saved", session.language)])

    @guarded
    def export(self, session: Session):
        """The whole diary as JSON (everything) and CSV (one row per entry, for a spreadsheet)."""
        user_id = session.user()
        _sweep(self.export_dir, EXPORT_MAX_AGE_S)
        # An unguessable folder: Gradio serves the exports folder to whoever names a file in it.
        folder = self.export_dir / f"{user_id}-{secrets.token_urlsafe(24)}"
        folder.mkdir(parents=True)
        paths = []
        for fmt in ("json", "csv"):
            path = folder / f"haru-{session.username}-{_today(session).isoformat()}.{fmt}"
            # utf-8-sig: spreadsheet programs then read the Korean in the CSV correctly.
            path.write_text(self.store.export_user(user_id, fmt), encoding="utf-8-sig" if fmt == "csv" else "utf-8")
            paths.append(str(path))
        return paths

    @guarded
    def delete_account(self, session: Session, password: str):
        user_id = session.user()
        self.store.authenticate(session.username, password)
        self.store.delete_user(user_id)
        log.info("account %s deleted by its owner", user_id)
        out = self.logout(session)
        return out + (render.banner_html(info=[t("profile.deleted", session.language)]),)

    # ---- live mirror
    def mirror(self, session: Session, frame, smoother):
        """One webcam frame in, the emotion smoothed over the last frames out; no face says why."""
        if session.user_id is None:   # the mirror costs CPU: only for signed-in sessions
            note = NOT_LOGGED_IN.message(session.language)
            return render.emotion_html(None, {}, session.language, note=note), smoother
        smoother = smoother or vision.EmotionSmoother()
        note = ""
        try:
            reading = vision.read_emotion(frame, choice=vision.ClassifierChoice.from_config(self.config))
        except HaruError as e:
            reading, note = None, e.message(session.language)
        smoothed = smoother.update(reading)
        if smoothed is None:
            return render.emotion_html(None, {}, session.language, note=note), smoother
        return render.emotion_html(smoothed.label, smoothed.probs, session.language), smoother


def _heard(listener: speech.Listener | None, typed: str) -> speech.Transcript | None:
    """What the recording heard; a silent recording is no error when words were typed as well."""
    if listener is None:
        return None
    try:
        return listener.finish()
    except speech.NothingHeardError:
        if (typed or "").strip():
            return None
        raise


def _upload(payload) -> str | None:
    """The server-side path of an upload that reached a handler without Gradio's preprocessing."""
    if isinstance(payload, dict):
        return payload.get("path")
    return payload or None


def _today(session: Session) -> date:
    return datetime.now(timezone.utc).astimezone(ZoneInfo(session.tz)).date()


class BadDateError(HaruError):
    pass


def _parse_month(text: str) -> tuple[int, int]:
    try:
        year, month = (int(p) for p in (text or "").strip().split("-"))
        date(year, month, 1)
    except ValueError:
        raise BadDateError(f"Write the month as YYYY-MM, e.g. 2026-11 (got {text!r}).",
                           f"월은 2026-11처럼 YYYY-MM 형식으로 적어 주세요 ({text!r}).") from None
    return year, month


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        raise BadDateError(f"Write the day as YYYY-MM-DD, e.g. 2026-11-23 (got {text!r}).",
                           f"날짜는 2026-11-23처럼 YYYY-MM-DD 형식으로 적어 주세요 ({text!r}).") from None


def _sweep(folder: Path, max_age_s: float) -> None:
    """Remove exports older than ``max_age_s``: they hold a whole diary."""
    if not folder.is_dir():
        return
    limit = time.time() - max_age_s
    for sub in folder.iterdir():
        if sub.is_dir() and sub.stat().st_mtime < limit:
            shutil.rmtree(sub, ignore_errors=True)


# ------------------------------------------------------------------------------------ layout
CALENDAR_JS = """
element.addEventListener('click', (e) => {
  const day = e.target.closest('[data-day]');
  if (day) trigger('click', {day: day.dataset.day});
});
"""
BROWSER_JS = "() => (navigator.language || '') + '|' + (Intl.DateTimeFormat().resolvedOptions().timeZone || '')"


def build_demo(config: AppConfig, companion: chat.Companion | None = None,
               warmup: Warmup | None = None) -> gr.Blocks:
    """The whole UI. ``companion`` is injectable; by default the production wiring (nothing loads yet)."""
    companion = companion or chat.build_companion(config)
    h = Handlers(config, companion, companion.store, warmup or Warmup(), Path(config.data_dir) / EXPORT_FOLDER)
    lang = config.language
    L = Labels()

    def pick(kind, key: str, pairs: list[tuple[str, str]], elem_id: str, **kwargs):
        """A Radio/CheckboxGroup whose label and option names follow the screen language."""
        return L(kind(choices=[(t(k, lang), v) for k, v in pairs], label=t(key, lang), elem_id=elem_id, **kwargs),
                 label=key, choices=pairs)

    with gr.Blocks(title="Haru", delete_cache=(1800, 3600)) as demo:
        session = gr.State(h.new_session())
        smoother = gr.State(None)
        # Not in ``session``: a turn still streaming its reply writes ``session`` back when it ends, and
        # would drop a listener that a new recording made meanwhile.
        listener = gr.State(None)
        browser = gr.Textbox(visible=False)
        page_language = gr.Textbox(lang, visible=False)   # Gradio's own words follow it (render.TRANSLATE_JS)
        # Encrypted in the browser's local storage with a key Gradio publishes; signed by us with one it never sees.
        token = gr.BrowserState("", storage_key="haru-signin", secret=tokens.browser_secret(h.token_key))

        with gr.Row(elem_id="haru-header"):
            L(gr.Markdown(f"## {t('app.title', lang)}"), "## {}", value="app.title")
            hello = gr.Markdown("", elem_id="haru-hello")
            logout_btn = L(gr.Button(t("app.logout", lang), size="sm", visible=False, scale=0, elem_id="logout-btn"),
                           value="app.logout")
        models = gr.HTML(h.warmup.html(lang), elem_id="haru-models")
        ticker = gr.Timer(1.0, active=not h.warmup.done.is_set())

        # ---- sign-up and login, shown until a session has a user
        with gr.Column(visible=True, elem_id="haru-auth") as auth_col:
            L(gr.Markdown(t("auth.intro", lang)), value="auth.intro")
            auth_banner = gr.HTML("", elem_id="auth-banner")
            with gr.Tabs() as auth_tabs:
                with L(gr.Tab(t("auth.login_tab", lang), id="login"), label="auth.login_tab"):
                    login_user = L(gr.Textbox(label=t("auth.username", lang), elem_id="login-user"),
                                   label="auth.username")
                    login_pw = L(gr.Textbox(label=t("auth.password", lang), type="password", elem_id="login-pw"),
                                 label="auth.password")
                    login_btn = L(gr.Button(t("auth.login", lang), variant="primary", elem_id="login-btn"),
                                  value="auth.login")
                with L(gr.Tab(t("auth.signup_tab", lang), id="signup"), label="auth.signup_tab"):
                    su_user = L(gr.Textbox(label=t("auth.username", lang), elem_id="signup-user"),
                                label="auth.username")
                    su_name = L(gr.Textbox(label=t("auth.name", lang), elem_id="signup-name"), label="auth.name")
                    su_pw = L(gr.Textbox(label=t("auth.password", lang), type="password", elem_id="signup-pw"),
                              label="auth.password")
                    su_btn = L(gr.Button(t("auth.signup", lang), variant="primary", elem_id="signup-btn"),
                               value="auth.signup")

        with gr.Column(visible=False, elem_id="haru-main") as main_col:
            with gr.Tabs() as main_tabs:
                # ---- talk
                with L(gr.Tab(t("tab.talk", lang), id="talk"), label="tab.talk"):
                    # Said while the small embedded model answers, with the way to a better one.
                    with gr.Row(visible=False, elem_id="talk-offline") as offline_row:
                        L(gr.Markdown(t("talk.offline_model", lang)), value="talk.offline_model")
                        better_btn = L(gr.Button(t("talk.open_settings", lang), size="sm", scale=0,
                                                 elem_id="talk-open-settings"), value="talk.open_settings")
                    with gr.Row():
                        with gr.Column(scale=3):
                            chatbot = L(gr.Chatbot(label=t("talk.chat", lang), height=420, elem_id="talk-chat"),
                                        label="talk.chat")
                            with gr.Row():
                                text = L(gr.Textbox(label=t("talk.text", lang), placeholder=t("talk.text_ph", lang),
                                                    scale=4, elem_id="talk-text"),
                                         label="talk.text", placeholder="talk.text_ph")
                                send = L(gr.Button(t("talk.send", lang), variant="primary", scale=1,
                                                   elem_id="talk-send"), value="talk.send")
                            mic = L(gr.Audio(sources=["microphone", "upload"], type="numpy",
                                             label=t("talk.mic", lang), elem_id="talk-mic"), label="talk.mic")
                        with gr.Column(scale=2):
                            face = L(gr.Image(sources=["webcam", "upload"], type="filepath",
                                              label=t("talk.face", lang), height=260, elem_id="talk-face",
                                              webcam_options=gr.WebcamOptions(mirror=True)), label="talk.face")
                            L(gr.Markdown(f"**{t('talk.emotion', lang)}**"), "**{}**", value="talk.emotion")
                            emotion = L(gr.HTML(render.emotion_html(None, {}, lang), elem_id="talk-emotion"),
                                        render.emotion_html(None, {}, lang, "{}"), value="talk.no_face")
                            transcript = L(gr.Textbox(label=t("talk.transcript", lang), interactive=False,
                                                      elem_id="talk-transcript"), label="talk.transcript")
                            voice = L(gr.Audio(label=t("talk.voice", lang), streaming=h.voice_streaming,
                                               autoplay=True, interactive=False, elem_id="talk-voice",
                                               format=None if h.voice_streaming else "wav"), label="talk.voice")
                            muted = L(gr.Checkbox(False, label=t("talk.mute", lang), elem_id="talk-mute"),
                                      label="talk.mute")
                    talk_banner = gr.HTML("", elem_id="talk-banner")
                    L(gr.Markdown(f"### {t('talk.songs', lang)}"), "### {}", value="talk.songs")
                    songs = gr.HTML("", elem_id="talk-songs")
                    with gr.Row():
                        reroll_btn = L(gr.Button(t("talk.reroll", lang), elem_id="talk-reroll"), value="talk.reroll")
                        clear_btn = L(gr.Button(t("talk.clear", lang), elem_id="talk-clear"), value="talk.clear")

                # ---- live mirror
                with L(gr.Tab(t("tab.mirror", lang), id="mirror"), label="tab.mirror"):
                    L(gr.Markdown(t("mirror.help", lang)), value="mirror.help")
                    with gr.Row():
                        cam = L(gr.Image(sources=["webcam"], streaming=True, type="numpy", label=t("mirror.cam", lang),
                                         height=360, elem_id="mirror-cam",
                                         webcam_options=gr.WebcamOptions(mirror=True, constraints=MIRROR_CAMERA)),
                                label="mirror.cam")
                        mirror_out = L(gr.HTML(render.emotion_html(None, {}, lang, t("mirror.waiting", lang)),
                                               elem_id="mirror-emotion"),
                                       render.emotion_html(None, {}, lang, "{}"), value="mirror.waiting")

                # ---- diary
                with L(gr.Tab(t("tab.diary", lang), id="diary"), label="tab.diary"):
                    with gr.Row():
                        diary_text = L(gr.Textbox(label=t("diary.text", lang), placeholder=t("diary.text_ph", lang),
                                                  lines=8, scale=3, elem_id="diary-text"),
                                       label="diary.text", placeholder="diary.text_ph")
                        diary_photo = L(gr.Image(sources=["upload", "webcam"], type="filepath", scale=2,
                                                 label=t("diary.photo", lang), height=240, elem_id="diary-photo"),
                                        label="diary.photo")
                    diary_btn = L(gr.Button(t("diary.write", lang), variant="primary", elem_id="diary-write"),
                                  value="diary.write")
                    diary_banner = gr.HTML("", elem_id="diary-banner")
                    L(gr.Markdown(f"**{t('diary.comment', lang)}**"), "**{}**", value="diary.comment")
                    diary_comment = gr.HTML("", elem_id="diary-comment")

                # ---- calendar and stats
                with L(gr.Tab(t("tab.calendar", lang), id="calendar"), label="tab.calendar") as cal_tab:
                    with gr.Row(equal_height=True):
                        prev_btn = L(gr.Button(t("cal.prev", lang), scale=0, elem_id="cal-prev"),
                                     value="cal.prev")
                        month = L(gr.Dropdown(render.month_choices(date.today(), lang),
                                              value=date.today().strftime("%Y-%m"), label=t("cal.month", lang),
                                              allow_custom_value=True, scale=1,
                                              elem_id="cal-month"), label="cal.month")
                        next_btn = L(gr.Button(t("cal.next", lang), scale=0, elem_id="cal-next"),
                                     value="cal.next")
                    L(gr.Markdown(t("cal.hint", lang)), value="cal.hint")
                    cal = gr.HTML("", js_on_load=CALENDAR_JS, elem_id="cal-grid")
                    # The day is picked by clicking it in the calendar; this only carries it to the server.
                    day_box = gr.Textbox(visible=False, elem_id="cal-day")
                    day_entries = gr.HTML("", elem_id="cal-entries")
                    with gr.Row(equal_height=True):
                        stats_days = L(gr.Dropdown(list(STATS_DAYS), value=30, label=t("stats.days", lang), scale=1),
                                       label="stats.days")
                        stats_btn = L(gr.Button(t("stats.refresh", lang), scale=0, elem_id="stats-refresh"),
                                      value="stats.refresh")
                    with gr.Row():
                        counts_plot = L(gr.BarPlot(x="emotion", y="entries", label=t("stats.counts", lang),
                                                   elem_id="stats-counts"), label="stats.counts")
                        series_plot = L(gr.Plot(label=t("stats.series", lang), elem_id="stats-series"),
                                        label="stats.series")
                    with gr.Row(equal_height=True):
                        period = pick(gr.Radio, "stats.report", choices("stats.period", ("week", "month")),
                                      "stats-period", value="week", show_label=False, scale=1)
                        report_btn = L(gr.Button(t("stats.report", lang), scale=0, elem_id="stats-report"),
                                       value="stats.report")
                    report_md = gr.Markdown("", elem_id="stats-report-text")

                # ---- settings
                with L(gr.Tab(t("tab.settings", lang), id="settings"), label="tab.settings"):
                    with gr.Row():
                        with gr.Column():
                            s_attitude = pick(gr.Radio, "settings.attitude", choices("settings.attitude", ATTITUDES),
                                              "set-attitude")
                            s_comp = pick(gr.CheckboxGroup, "settings.composition",
                                          choices("settings.composition", COMPOSITIONS), "set-composition")
                            s_intensity = pick(gr.Radio, "settings.intensity",
                                               choices("settings.intensity", INTENSITIES), "set-intensity")
                            s_length = pick(gr.Radio, "settings.length", choices("settings.length", LENGTHS),
                                            "set-length")
                            s_voice = L(gr.Checkbox(True, label=t("settings.voice", lang), elem_id="set-voice"),
                                        label="settings.voice")
                            s_voice_online = L(gr.Checkbox(True, label=t("settings.voice_online", lang),
                                                           elem_id="set-voice-online"), label="settings.voice_online")
                            s_reply_lang = pick(gr.Radio, "settings.reply_language",
                                                [("settings.reply_language.auto", "auto")] + choices("lang", LANGUAGES),
                                                "set-reply-language")
                            s_speech_lang = pick(gr.Radio, "settings.speech_language",
                                                 [("settings.speech_language.auto", "auto")]
                                                 + choices("lang", LANGUAGES), "set-speech-language")
                            s_ui_lang = pick(gr.Radio, "settings.ui_language", choices("lang", LANGUAGES),
                                             "set-ui-language")
                        with gr.Column():
                            s_strategy = pick(gr.Radio, "settings.song_strategy",
                                              choices("settings.song_strategy", STRATEGIES), "set-strategy")
                            s_song_lang = pick(gr.Radio, "settings.song_language",
                                               [("settings.song_language.any", "any")] + choices("lang", LANGUAGES),
                                               "set-song-language")
                            s_submood = pick(gr.Radio, "settings.submood",
                                             choices("settings.submood", ("none",) + SUBMOODS), "set-submood")
                            s_backend = L(gr.Dropdown(list(chat.BACKENDS), value=config.llm_backend,
                                                      label=t("settings.llm", lang), elem_id="set-llm"),
                                          label="settings.llm")
                            s_model = L(gr.Textbox(label=t("settings.llm_model", lang), elem_id="set-llm-model"),
                                        label="settings.llm_model")
                            s_key = L(gr.Textbox(label=t("settings.api_key", lang), type="password",
                                                 elem_id="set-api-key"), label="settings.api_key")
                            s_base = L(gr.Textbox(label=t("settings.base_url", lang), elem_id="set-base-url"),
                                       label="settings.base_url")
                            test_btn = L(gr.Button(t("settings.test", lang), elem_id="set-test"),
                                         value="settings.test")
                            test_out = gr.HTML("", elem_id="set-test-result")
                            L(gr.Markdown(t("settings.better", lang), elem_id="set-better"), value="settings.better")
                    if not h.voice_streaming:
                        L(gr.Markdown(t("settings.no_ffmpeg", lang), elem_id="set-no-ffmpeg"),
                          value="settings.no_ffmpeg")
                    save_set_btn = L(gr.Button(t("settings.save", lang), variant="primary", elem_id="set-save"),
                                     value="settings.save")
                    settings_banner = gr.HTML("", elem_id="settings-banner")

                # ---- profile
                with L(gr.Tab(t("tab.profile", lang), id="profile"), label="tab.profile"):
                    p_name = L(gr.Textbox(label=t("profile.name", lang), elem_id="profile-name"),
                               label="profile.name")
                    p_intro = L(gr.Textbox(label=t("profile.intro", lang), lines=4, elem_id="profile-intro"),
                                label="profile.intro")
                    p_save = L(gr.Button(t("profile.save", lang), variant="primary", elem_id="profile-save"),
                               value="profile.save")
                    profile_banner = gr.HTML("", elem_id="profile-banner")
                    with gr.Row(equal_height=True):
                        export_btn = L(gr.Button(t("profile.export", lang), elem_id="profile-export"),
                                       value="profile.export")
                        export_file = L(gr.File(label=t("profile.export_file", lang), interactive=False,
                                                file_count="multiple", elem_id="profile-export-file"),
                                        label="profile.export_file")
                    with gr.Column(elem_classes="haru-danger"):
                        L(gr.Markdown(f"### ⚠️ {t('profile.delete_title', lang)}"), "### ⚠️ {}",
                          value="profile.delete_title")
                        L(gr.Markdown(t("profile.delete_warning", lang)), value="profile.delete_warning")
                        with gr.Row(equal_height=True):
                            del_pw = L(gr.Textbox(label=t("profile.delete_password", lang), type="password",
                                                  elem_id="profile-delete-pw"), label="profile.delete_password")
                            del_btn = L(gr.Button(t("profile.delete", lang), variant="stop", scale=0,
                                                  elem_id="profile-delete"), value="profile.delete")

        # ---- wiring
        settings_widgets = [s_attitude, s_comp, s_intensity, s_length, s_voice, s_reply_lang, s_speech_lang, s_ui_lang,
                            s_strategy, s_song_lang, s_submood, s_backend, s_model, s_key, s_base, s_voice_online]
        banners = [auth_banner, talk_banner, diary_banner, profile_banner]
        labelled = L.components + [hello, models, month, page_language, offline_row] + banners

        def relabel(s: Session):
            """Every word on the screen in the session's language; messages said in the old one go."""
            hello_text = t("app.hello", s.language, name=s.name) if s.user_id is not None else ""
            months = gr.update(choices=render.month_choices(_today(s), s.language))
            return (L.updates(s.language) + [hello_text, h.warmup.html(s.language), months, s.language,
                                             gr.update(visible=h.answers_offline(s))] + [""] * len(banners))

        def show_session(s: Session):
            return h.settings_values(s) + [[{"role": m.role, "content": m.content} for m in s.history]]

        private = dict(api_visibility="private", queue=False)
        # Registered first so the public endpoint gets the plain name /calendar.
        month.input(h.calendar, [session, month, day_box], cal, api_name="calendar")

        entered = [session, auth_col, main_col, logout_btn, hello, login_pw, su_pw]
        n_shown = len(settings_widgets) + 3

        def after_entry(event):
            """What a session that just signed in sees: its settings, profile, conversation and calendar."""
            return event.then(lambda s: show_session(s) if s.user_id is not None else [gr.skip()] * n_shown,
                              session, settings_widgets + [p_name, p_intro, chatbot], **private).then(
                lambda s: relabel(s) if s.user_id is not None else [gr.skip()] * len(labelled), session, labelled,
                **private).then(
                lambda s, m: h.calendar(s, m) if s.user_id is not None else gr.skip(), [session, month], cal,
                **private)

        demo.load(None, None, browser, js=BROWSER_JS, **private)
        translate = dict(fn=None, inputs=page_language, outputs=None,
                         js="(lang) => window.haruTranslate && haruTranslate(lang)", **private)
        demo.load(**translate)
        page_language.change(**translate)
        after_entry(browser.change(h.locale, [session, browser], [session, month], **private).then(
            relabel, session, labelled, **private).then(h.resume, [session, token], entered, **private))
        ticker.tick(h.models, session, [models, ticker], api_name="models", queue=False)

        # The page's forms say a refusal in place; the API endpoints raise it, for programs to catch.
        form = entered + [auth_banner, token]
        for event in (login_btn.click, login_pw.submit):
            after_entry(event(h.login_form, [session, login_user, login_pw], form, **private))
        for event in (su_btn.click, su_pw.submit):
            after_entry(event(h.signup_form, [session, su_user, su_pw, su_name], form, **private))
        api_login, api_signup = gr.Button(visible=False), gr.Button(visible=False)
        api_login.click(h.login, [session, login_user, login_pw], entered, api_name="login")
        api_signup.click(h.signup, [session, su_user, su_pw, su_name], entered, api_name="signup")
        logout_btn.click(h.logout, session, entered + [token], api_name="logout").then(
            lambda: ([], "", "", "", "", "", gr.Tabs(selected="login")), None,
            [chatbot, songs, cal, day_entries, report_md, diary_comment, auth_tabs], **private)

        # The embedded LLM already uses both cores, so local turns go one at a time; a cloud LLM does its
        # work elsewhere and several turns can overlap.
        model_slots = 1 if config.llm_backend == "local" else 4
        talk_outputs = [chatbot, emotion, transcript, voice, songs, talk_banner, session, text]
        # preprocess=False: uploads reach the stages as files, so an unreadable photo or recording becomes
        # the stage's own message (and the words still get an answer) instead of failing the whole event.
        talk = dict(fn=h.talk, inputs=[session, text, mic, face, muted], outputs=talk_outputs, preprocess=False,
                    concurrency_id="model", concurrency_limit=model_slots, time_limit=600)
        # The recording and the photo are cleared once the turn has used them, in an event of their own:
        # the microphone streams, so as an output of the streaming turn Gradio would give it an HLS
        # playlist, which the next turn would send back as an upload it refuses.
        clear_media = dict(fn=lambda: (None, None), inputs=None, outputs=[mic, face], **private)
        send.click(api_name="talk", **talk).then(**clear_media)
        text.submit(api_visibility="private", **talk).then(**clear_media)
        # A recording is transcribed while it is made (uploads still go through Send): each chunk goes to
        # the recording's listener, and stopping sends the turn with what it heard.
        mic.start_recording(h.listen_start, session, listener, **private)
        mic.stream(h.listen, [listener, mic], None, stream_every=MIC_CHUNK_S, time_limit=speech.MAX_SECONDS + 60,
                   concurrency_id="mic", concurrency_limit=16, show_progress="hidden", api_visibility="private")
        mic.stop_recording(h.talk_spoken, [session, text, listener, face, muted], talk_outputs, preprocess=False,
                           concurrency_id="model", concurrency_limit=model_slots, time_limit=600,
                           api_visibility="private").then(**clear_media)
        reroll_btn.click(h.reroll, session, [songs, session], api_name="reroll")
        clear_btn.click(h.new_conversation, session, [chatbot, transcript, songs, emotion, talk_banner, session],
                        api_name="new_conversation")

        cam.stream(h.mirror, [session, cam, smoother], [mirror_out, smoother], api_name="mirror",
                   stream_every=MIRROR_FRAME_S, time_limit=600, concurrency_id="mirror", concurrency_limit=4,
                   show_progress="hidden")

        diary_btn.click(h.diary_write, [session, diary_text, diary_photo],
                        [diary_comment, diary_banner, session, diary_text], api_name="diary_write",
                        preprocess=False, concurrency_id="model", concurrency_limit=model_slots, time_limit=600).then(
            h.calendar, [session, month], cal, **private)

        for btn, step in ((prev_btn, -1), (next_btn, 1)):
            btn.click(functools.partial(h.shift_month, step=step), [session, month], month, **private).then(
                h.calendar, [session, month, day_box], cal, **private)
        cal.click(h.pick_day, session, day_box, **private).then(
            h.day, [session, day_box], day_entries, api_name="day")
        entry_id = gr.Number(visible=False)
        entry_id.submit(h.entry, [session, entry_id], day_entries, api_name="entry")
        stats_btn.click(h.stats, [session, stats_days], [counts_plot, series_plot], api_name="stats")
        # The charts are drawn as the tab opens, not only on "Refresh" (registered after the public /stats,
        # which would otherwise be renamed /stats_1).
        cal_tab.select(h.calendar, [session, month, day_box], cal, **private).then(
            h.stats, [session, stats_days], [counts_plot, series_plot], **private)
        report_btn.click(h.report, [session, period], report_md, api_name="report",
                         concurrency_id="model", concurrency_limit=model_slots, time_limit=600)

        save_set_btn.click(h.save_settings, [session] + settings_widgets, [session, settings_banner],
                           api_name="save_settings").success(relabel, session, labelled, **private).success(
            h.calendar, [session, month, day_box], cal, **private)
        test_btn.click(h.test_connection, [session, s_backend, s_model, s_key, s_base], test_out,
                       api_name="test_connection", concurrency_limit=4)
        better_btn.click(lambda: gr.Tabs(selected="settings"), None, main_tabs, **private)
        p_save.click(h.save_profile, [session, p_name, p_intro], [session, hello, profile_banner],
                     api_name="save_profile")
        export_btn.click(h.export, session, export_file, api_name="export")
        del_btn.click(h.delete_account, [session, del_pw], entered + [token, profile_banner],
                      api_name="delete_account")

    return demo


# -------------------------------------------------------------------------------------- main
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="app.py", description="Haru: an emotion-aware voice companion and mood diary.",
        epilog=help_text(), formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", help="address to listen on (overrides HARU_HOST)")
    parser.add_argument("--port", type=int, help="port to listen on (overrides HARU_PORT)")
    return parser.parse_args(argv)


def launch(demo: gr.Blocks, config: AppConfig, **kwargs):
    """Serve ``demo`` with the queue limits and upload caps this app relies on."""
    demo.queue(default_concurrency_limit=4, max_size=64)
    return demo.launch(
        server_name=config.host, server_port=config.port, share=False, ssr_mode=False, show_error=False,
        max_file_size=f"{config.max_upload_mb}mb", footer_links=["api", "settings"], run_history=False,
        # Exports are written in the data dir, which may be anywhere (~/.haru by default): Gradio serves
        # files only from folders it is told about.
        allowed_paths=[str(Path(config.data_dir) / EXPORT_FOLDER)],
        css=render.CSS, head=render.TRANSLATE_JS, theme=gr.themes.Soft(), **kwargs)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    try:
        config = load_config(**overrides)
    except ValueError as e:
        return f"app.py: {e}"      # one line on stderr and exit status 1, not a traceback
    logging.basicConfig(level=config.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)   # gradio's own health checks, one line each
    if shutil.which("ffmpeg") is None:
        log.warning("ffmpeg is not installed: Anna's voice plays once her whole reply is written, not while "
                    "she writes it. To hear it sooner: sudo apt-get install ffmpeg (Debian/Ubuntu), "
                    "brew install ffmpeg (macOS), winget install ffmpeg (Windows).")
    data_dir = Path(config.data_dir)
    # Recordings, photos and exports stay inside the data dir, and delete_cache sweeps them.
    os.environ.setdefault("GRADIO_TEMP_DIR", str(data_dir / "uploads"))
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        probe = data_dir / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        return f"app.py: cannot write to the data folder {data_dir} ({e.strerror}); set HARU_DATA_DIR to a folder you own."
    log.info("starting with %s", config.redacted())
    warmup = Warmup()
    demo = build_demo(config, warmup=warmup)
    launch(demo, config, prevent_thread_lock=True)
    # Models load only once the page is served, so loading never delays the start.
    warmup.start(config)
    demo.block_thread()


if __name__ == "__main__":
    sys.exit(main())
