"""The app's strings, renderers and session glue, without a server: real catalogue, real SQLite diary."""

from __future__ import annotations

import re
import string
from dataclasses import replace
from datetime import date, datetime, timezone

import pytest

import app
import chat
import diary
import music
from chat import safety
from core import HaruError, load_config
from diary.types import EntryDraft
from testkit import REPO
from webui import render
from webui.common import parse_day, parse_month
from webui.session import Session
from webui.turn import TurnView
from webui.strings import STRINGS, pick_language, t


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(STRINGS))
def test_every_string_has_both_languages_with_the_same_placeholders(key):
    en, ko = STRINGS[key]
    assert en.strip() and ko.strip()
    assert _fields(en) == _fields(ko)


def test_every_string_key_app_uses_exists():
    source = "".join(p.read_text(encoding="utf-8") for p in [REPO / "app.py", *sorted((REPO / "webui").rglob("*.py"))])
    used = set(re.findall(r'"((?:app|models|auth|tab|talk|mirror|diary|cal|stats|entry|settings|lang|profile)'
                          r'\.[a-z_.]+)"', source))
    prefixes = set(re.findall(r'choices\("([a-z_.]+)"', source))
    keys = {k for k in used if k not in prefixes and not k.endswith(".py")}
    assert len(keys) > 50
    assert sorted(keys - set(STRINGS)) == []
    for prefix in prefixes:
        assert any(k.startswith(prefix + ".") for k in STRINGS), prefix


@pytest.mark.parametrize("browser, fallback, expected", [
    ("ko-KR", "en", "ko"), ("ko", "en", "ko"), ("en-US", "ko", "en"), ("EN-gb", "ko", "en"),
    ("fr-FR", "ko", "ko"), ("", "en", "en"), (None, "ko", "ko"),
])
def test_browser_language_picks_ui_language(browser, fallback, expected):
    assert pick_language(browser, fallback) == expected


def test_song_cards_escape_catalogue_text_and_show_links():
    track = music.recommend({"happy": 1.0}, "match", "any", (), 1)[0]
    hostile = replace(track, title="<script>alert(1)</script>", reason="a & b", reason_ko="가 & 나")
    html = render.songs_html([hostile], "ko")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "가 &amp; 나" in html
    for url in track.links.values():
        assert f"href='{url.replace('&', '&amp;')}'" in html
    assert html.count("rel='noopener noreferrer'") == len(track.links)


def test_emotion_bar_shows_label_confidence_and_every_probability():
    probs = {"happy": 0.62, "neutral": 0.2, "surprise": 0.1, "sad": 0.05, "angry": 0.01, "fear": 0.01,
             "disgust": 0.01}
    html = render.emotion_html("happy", probs, "en")
    assert "data-label='happy'" in html and "62%" in html
    assert html.count("class='haru-prob'") == len(probs)
    assert t("talk.no_face", "ko") in render.emotion_html(None, {}, "ko")


@pytest.fixture()
def store(tmp_path):
    return diary.open_store(f"sqlite:///{tmp_path / 'haru.db'}")


def test_calendar_grid_has_every_day_and_the_mood_of_days_with_entries(store):
    user = store.create_user("mina01", "correct horse battery", "Mina")
    when = datetime(2026, 3, 14, 12, tzinfo=timezone.utc)
    store.save_entry(user.id, EntryDraft(text="<b>park</b>", face_label="happy", created_at=when))
    cells = store.month_calendar(user.id, 2026, 3)
    html = render.calendar_html(2026, 3, cells, "en", selected=date(2026, 3, 14))
    days = re.findall(r"data-day='([\d-]+)'", html)
    assert days == [date(2026, 3, d).isoformat() for d in range(1, 32)]
    marked = re.search(r"<button[^>]*haru-selected[^>]*data-day='2026-03-14'.*?</button>", html).group(0)
    assert diary.EMOJI["happy"] in marked


def test_entries_render_escaped_with_annas_comment(store):
    user = store.create_user("mina02", "correct horse battery", "Mina")
    entry = store.save_entry(user.id, EntryDraft(mode="diary", text="<i>long day</i>", text_emotion="sad",
                                                 reply="Rest well & drink water.",
                                                 songs=[{"title": "Spring Day", "artist": "BTS"}]))
    html = render.entries_html(store.list_entries(user.id), "en", "Anna")
    assert f"data-entry-id='{entry.id}'" in html
    assert "&lt;i&gt;long day&lt;/i&gt;" in html and "Rest well &amp; drink water." in html
    assert "Spring Day — BTS" in html
    empty = render.entries_html([], "ko", "Anna", empty_day=date(2026, 1, 2))
    assert t("cal.empty_day", "ko", day="2026-01-02") in empty


def test_saved_settings_that_no_longer_validate_fall_back_to_defaults():
    defaults = chat.Preferences().updated(reply_language="en")
    kept = chat.Preferences.from_saved({"attitude": "casual", "composition": ["comfort"], "future_key": 1}, defaults)
    assert kept.reply.attitude == "casual" and kept.reply.composition == {"comfort"} and kept.reply.language == "en"
    assert chat.Preferences.from_saved({"length": "endless"}, defaults) == defaults
    assert chat.Preferences.from_saved({"attitude": ["not", "a", "string"]}, defaults) == defaults


def test_api_key_stays_out_of_repr_and_selects_a_session_backend():
    config = load_config(env={}, dotenv=None)
    session = Session()
    assert not session.turn_prefs(config).backend.chosen()
    keyed = replace(session, prefs=session.prefs.updated(backend_kind="openai", backend_api_key="sk-secret-123"))
    choice = keyed.turn_prefs(config).backend
    assert (choice.kind, choice.api_key) == ("openai", "sk-secret-123")
    assert "sk-secret-123" not in repr(keyed) and "sk-secret-123" not in repr(choice)


@pytest.mark.parametrize("parse, text", [
    (parse_month, "2026-13"), (parse_month, "soon"), (parse_month, ""),
    (parse_day, "2026-02-30"), (parse_day, "23/11/2026"),
])
def test_bad_dates_give_a_message_in_both_languages(parse, text):
    with pytest.raises(HaruError) as caught:
        parse(text)
    assert "YYYY" in caught.value.message("en") and "YYYY" in caught.value.message("ko")


def test_a_silent_recording_sends_the_typed_words_and_alone_says_nothing_was_heard(tmp_path):
    import numpy as np

    import speech
    from chat.backends import get_backend
    from testkit.fake_llm_server import FakeLLMServer, Reply

    config = load_config(env={"HARU_DATA_DIR": str(tmp_path)}, dotenv=None)

    def silent(conversation: chat.Conversation) -> None:
        conversation.listen("en")
        conversation.hear((48_000, np.zeros(48_000, np.int16)))

    def said(text: str) -> chat.Turn:
        return chat.Turn(chat.Profile("Mina"), prefs=chat.Preferences().updated(voice_on=False), text=text)

    with FakeLLMServer(default=Reply(chunks=("Okay.",))) as server:
        backend = get_backend("openai-compatible", config, base_url=server.openai_url, model="fake-model")
        conversation = chat.Conversation(chat.Companion(backend=backend, listener=speech.Listener))
        silent(conversation)
        events = list(conversation.respond(said("I typed this instead.")))
        assert any(isinstance(e, chat.DoneEvent) for e in events)
        assert not any(isinstance(e, chat.ErrorEvent) for e in events)
        silent(conversation)
        events = list(conversation.respond(said("  ")))
    assert [type(e) for e in events] == [chat.ErrorEvent]
    assert isinstance(events[0].error, speech.NothingHeardError)


def test_the_stay_signed_in_token_is_refused_when_forged_expired_or_signed_by_another_start():
    from webui import tokens

    key, other = tokens.new_key(""), tokens.new_key("")
    token = tokens.issue(key, 42, now=1_000.0, ttl_s=60)
    assert tokens.verify(key, token, now=1_030.0) == 42
    assert tokens.verify(key, token, now=1_061.0) is None                 # expired
    assert tokens.verify(other, token, now=1_030.0) is None               # another server start
    assert tokens.verify(key, token.replace("42:", "43:", 1), now=1_030.0) is None   # someone else's id
    assert tokens.verify(key, "", now=0) is None and tokens.verify(key, None) is None
    assert tokens.verify(key, tokens.SIGNED_OUT) is None
    assert tokens.new_key("same secret") == tokens.new_key("same secret")  # replicas share a configured key


def test_the_month_picker_offers_named_months_newest_first():
    choices = render.month_choices(date(2026, 1, 15), "ko", back=2)
    assert choices == [("2026년 1월", "2026-01"), ("2025년 12월", "2025-12"), ("2025년 11월", "2025-11")]
    assert render.month_choices(date(2026, 1, 15), "en", back=0) == [("January 2026", "2026-01")]
    html = render.calendar_html(2026, 3, [], "en")
    assert "March 2026" in html


def test_command_line_flags_win_over_the_environment_and_a_bad_value_is_one_line(monkeypatch, tmp_path):
    config = load_config(env={"HARU_PORT": "7861"}, dotenv=None, port=7862)
    assert config.port == 7862
    monkeypatch.setenv("HARU_PORT", "not-a-port")
    message = app.main(["--host", "127.0.0.1"])
    assert message.startswith("app.py: HARU_PORT") and "\n" not in message
    monkeypatch.setenv("HARU_PORT", "7862")
    monkeypatch.setenv("HARU_LLM", "gpt")
    assert app.main([]).startswith("app.py: HARU_LLM must be one of")
    monkeypatch.setenv("HARU_LLM", "local")
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the data folder should be")
    monkeypatch.setenv("HARU_DATA_DIR", str(blocked / "haru"))
    message = app.main([])
    assert message.startswith("app.py: cannot write to the data folder") and "\n" not in message


def test_the_gradio_words_that_show_in_haru_have_both_languages():
    for en, *ko in render._GRADIO_WORDS:
        assert en.isascii() and ko and all(not word.isascii() for word in ko)
    assert "haruTranslate" in render.TRANSLATE_JS


def test_a_check_in_is_shown_in_the_screen_language_beside_the_reply():
    view = TurnView(language="ko", persona="Anna", history=())
    view.apply(chat.TextDelta("그 얘기 더 해줄래?"))
    view.apply(chat.CheckInEvent(safety.CheckIn()))
    banner = view.banner()
    assert "haru-care" in banner and "109" in banner and "자살예방상담전화" in banner
    assert view.chat_messages()[-1]["content"] == "그 얘기 더 해줄래?"
