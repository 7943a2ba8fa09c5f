"""The launched app through its HTTP API (gradio_client): a full spoken turn, accounts, isolation, errors.

Everything is real: the app runs in a subprocess with the embedded LLM, Whisper, the face model,
the offline voice and a SQLite diary in a temporary folder.
"""

from __future__ import annotations

import itertools
import json
import re
from datetime import date
from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from testkit.app_server import PASSWORD, SHORT_ENGLISH, exported_json, shared_app
from testkit.media import make_media

pytestmark = pytest.mark.slow

_names = itertools.count(1)


@pytest.fixture(scope="module")
def server():
    return shared_app()


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    return make_media(tmp_path_factory.mktemp("media"))


def new_client(server) -> Client:
    return Client(server.url, verbose=False)


def account(server, name: str = "Mina") -> tuple[Client, str]:
    client = new_client(server)
    username = f"api-user-{next(_names)}"
    hello, *_ = client.predict(username, PASSWORD, name, api_name="/signup")
    assert name in hello
    client.predict(**SHORT_ENGLISH, api_name="/save_settings")
    return client, username


def test_every_event_that_matters_has_a_public_api_name(server):
    api = new_client(server).view_api(return_format="dict", print_info=False)
    named = set(api["named_endpoints"])
    assert {"/signup", "/login", "/logout", "/talk", "/reroll", "/diary_write", "/calendar", "/day", "/entry",
            "/stats", "/report", "/save_settings", "/save_profile", "/export", "/delete_account",
            "/mirror"} <= named
    # the signed-in user is never a parameter: it lives in the server-side session
    for endpoint in api["named_endpoints"].values():
        assert not {"user_id", "session"} & {p["parameter_name"] for p in endpoint["parameters"]}


def test_full_spoken_turn_with_a_face(server, media):
    client, _ = account(server)
    job = client.submit("", handle_file(str(media.speech_wav)), handle_file(str(media.face_png)), False,
                        api_name="/talk")
    chat, emotion, transcript, voice, songs, banner, *_ = job.result(timeout=600)
    assert not re.search(r"haru-error", banner), banner

    heard = transcript.lower()
    assert "park" in heard and "friend" in heard, transcript
    assert [m["role"] for m in chat] == ["user", "assistant"]
    reply = chat[-1]["content"]
    reply = reply if isinstance(reply, str) else " ".join(p.get("text", "") for p in reply)
    assert len(reply.strip()) > 10

    label = re.search(r"data-label='(\w+)'", emotion).group(1)
    assert label in {"angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"}

    playlist = Path(voice).read_text()
    seconds = sum(float(x) for x in re.findall(r"#EXTINF:([\d.]+)", playlist))
    assert seconds > 0.5, playlist

    assert songs.count("class='haru-song'") >= 1 and "href='https://" in songs

    entry_id = int(re.search(r"#(\d+)", banner).group(1))
    saved = client.predict(entry_id, api_name="/entry")
    assert f"data-entry-id='{entry_id}'" in saved and "park" in saved
    day = client.predict(date.today().isoformat(), api_name="/day")
    assert f"data-entry-id='{entry_id}'" in day

    rerolled = client.predict(api_name="/reroll")
    first_titles = set(re.findall(r"haru-song-title'>🎵 ([^<]+)<", songs))
    assert first_titles and first_titles.isdisjoint(re.findall(r"haru-song-title'>🎵 ([^<]+)<", rerolled))


def test_a_session_only_reaches_its_own_user(server):
    owner, _ = account(server, "Owner")
    written = owner.predict("A private line about my sister.", None, api_name="/diary_write")
    banner = written[1]
    entry_id = int(re.search(r"#(\d+)", banner).group(1))

    other, _ = account(server, "Other")
    with pytest.raises(AppError, match="not found|없"):
        other.predict(entry_id, api_name="/entry")
    assert "data-entry-id" not in other.predict(date.today().isoformat(), api_name="/day")
    assert "sister" not in json.dumps(exported_json(other), ensure_ascii=False)

    stranger = new_client(server)
    with pytest.raises(AppError, match="log in"):
        stranger.predict(date.today().isoformat(), api_name="/day")


def test_settings_persist_per_user_and_the_key_is_never_saved(server):
    client, username = account(server)
    korean = {**SHORT_ENGLISH, "ui_language": "ko", "reply_attitude": "polite", "backend_api_key": "sk-test-not-saved"}
    client.predict(**korean, api_name="/save_settings")
    again = new_client(server)
    hello, *_ = again.predict(username, PASSWORD, api_name="/login")
    assert hello.endswith("안녕하세요")
    exported = exported_json(again)
    assert exported["user"]["settings"]["ui_language"] == "ko"
    assert exported["user"]["settings"]["reply_attitude"] == "polite"
    assert "sk-test-not-saved" not in json.dumps(exported)
    assert "sk-test-not-saved" not in (server.data_dir / "app.log").read_text()


def test_delete_account_needs_the_password_and_removes_everything(server):
    client, username = account(server)
    with pytest.raises(AppError, match="Wrong username or password"):
        client.predict("not my password", api_name="/delete_account")
    client.predict(PASSWORD, api_name="/delete_account")
    with pytest.raises(AppError, match="log in"):
        client.predict(api_name="/export")
    with pytest.raises(AppError, match="Wrong username or password"):
        new_client(server).predict(username, PASSWORD, api_name="/login")


BAD_INPUTS = [
    ("/signup", ("ab", PASSWORD, "Mina"), "username is 3-32"),
    ("/signup", ("fine-name", "short", "Mina"), "password needs 8"),
    ("/signup", ("fine-name2", PASSWORD, "   "), "tell us your name"),
    ("/login", ("nobody-here", PASSWORD), "Wrong username or password"),
    ("/calendar", ("2026-13", ""), "YYYY-MM"),
    ("/day", ("yesterday",), "YYYY-MM-DD"),
    ("/entry", (987654,), "not found"),
]


@pytest.mark.parametrize("endpoint, args, message", BAD_INPUTS, ids=[f"{e}-{m}" for e, _, m in BAD_INPUTS])
def test_bad_input_gives_a_readable_message(server, endpoint, args, message):
    client = new_client(server) if endpoint in ("/signup", "/login") else account(server)[0]
    with pytest.raises(AppError, match=message):
        client.predict(*args, api_name=endpoint)


def test_an_empty_turn_is_explained_not_answered(server):
    client, _ = account(server)
    chat, *_, banner, _text_box = client.predict("   ", None, None, True, api_name="/talk")
    assert "haru-error" in banner and "Say something" in banner
    assert chat == []


def test_stats_and_report_follow_the_diary(server):
    client, _ = account(server)
    client.predict("I argued with my boss and I am still furious about it.", None, api_name="/diary_write")
    counts, series = client.predict(30, api_name="/stats")
    written = {label.split()[-1]: n for label, n in counts["data"]}
    assert sum(written.values()) == 1 and set(written) == {"angry", "disgust", "fear", "happy", "sad",
                                                           "surprise", "neutral"}
    assert series["type"] == "matplotlib" and series["plot"].startswith("data:image/")
    mood = next(label for label, n in written.items() if n)
    report = client.predict("week", api_name="/report")
    assert "1 entries" in report or "1 entry" in report
    assert mood in report.lower()
