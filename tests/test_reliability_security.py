"""Security: hashed passwords, API keys that never leak, private files that are never served, uploads
that stay inside the data folder whatever their names say.

The key checks use a recognisable canary key against loopback servers, one of which echoes the key
back in its 401 body as real services do; then the messages, the logs (at DEBUG) and every file in
the data folder are searched for it.
"""

from __future__ import annotations

import json
import re
import sqlite3
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

import diary
from core.config import load_config
from testkit.fake_llm_server import Reply
from tests.reliability_fixtures import (FAKE_KEY, KeyEchoServer, LogCapture, cloud_backend, fake_llm, make_companion,
                                        raw_upload, run, turn)

PASSWORD = "correct horse battery staple"
PROVIDERS = ("openai", "anthropic", "openai-compatible")


def _files_containing(folder: Path, secret: str) -> list[Path]:
    needle = secret.encode()
    return [p for p in folder.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_passwords_are_stored_as_argon2_hashes_only(tmp_path):
    store = diary.open_store(f"sqlite:///{tmp_path / 'haru.db'}")
    store.create_user("hashcheck", PASSWORD, "Mina")
    with sqlite3.connect(tmp_path / "haru.db") as db:
        [stored] = db.execute("SELECT password_hash FROM users WHERE username = 'hashcheck'").fetchone()
    assert stored.startswith("$argon2id$")
    store.engine.dispose()
    assert not _files_containing(tmp_path, PASSWORD)
    assert store.authenticate("hashcheck", PASSWORD).username == "hashcheck"


# server -> what the turn must end with
KEY_SCENARIOS = {
    "key rejected, the body echoes it": "rejected the API key",
    "rate limited, fallback answers": None,
    "answered": None,
}


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("scenario", KEY_SCENARIOS)
def test_api_key_never_in_messages_logs_or_files(provider, scenario, tmp_path):
    store = diary.open_store(f"sqlite:///{tmp_path / 'haru.db'}")
    user = store.create_user("keyholder", PASSWORD, "Mina")
    echo = KeyEchoServer()
    primary = echo if scenario.startswith("key rejected") else fake_llm(
        [Reply(status=429, retry_after=0)] * 3 if scenario.startswith("rate") else ())
    with LogCapture() as logs, primary as server, fake_llm() as spare:
        backend = cloud_backend(provider, server, key=FAKE_KEY)
        companion = make_companion(backend, fallback=cloud_backend("openai-compatible", spare, key=FAKE_KEY),
                                   store=store)
        outcome = run(companion, turn("Today felt long.", user_id=user.id))
        shown = outcome.messages + [outcome.reply, repr(backend), repr(companion)]
    expected = KEY_SCENARIOS[scenario]
    if expected:
        assert any(expected in m for m in outcome.errors + outcome.notices), outcome.messages
    else:
        assert outcome.reply and outcome.saved
    assert logs.lines, "the capture must have seen the turn's log records"
    assert FAKE_KEY not in "\n".join(shown)
    assert FAKE_KEY not in logs.text, [line for line in logs.lines if FAKE_KEY in line][:3]
    store.engine.dispose()
    assert not _files_containing(tmp_path, FAKE_KEY)


def test_settings_and_turn_objects_never_print_a_key():
    config = load_config(env={"OPENAI_API_KEY": FAKE_KEY, "ANTHROPIC_API_KEY": FAKE_KEY + "a",
                              "HARU_COMPAT_API_KEY": FAKE_KEY + "c"}, dotenv=None)
    the_turn = turn("hi", settings={"backend_kind": "openai", "backend_api_key": FAKE_KEY})
    for text in (repr(config), str(config), json.dumps(config.redacted(), default=str), repr(the_turn),
                 repr(the_turn.prefs.backend)):
        assert FAKE_KEY not in text


# ------------------------------------------------------------------------------- over HTTP (the app)
@pytest.fixture(scope="module")
def server():
    from testkit.app_server import shared_app
    return shared_app()


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


@pytest.mark.slow
def test_private_files_are_never_served(server):
    data = server.data_dir
    (data / "private-note.txt").write_text("not for the web")
    targets = [data / "haru.db", data / "app.log", data / "private-note.txt", Path("/etc/passwd"),
               Path(__file__).resolve().parents[1] / "app.py"]
    names = [str(p) for p in targets] + ["haru.db", "../haru.db", "..%2Fharu.db", "uploads/../haru.db",
                                         "%2Fetc%2Fpasswd"]
    for name in names:
        for route in ("gradio_api/file=", "file="):
            assert _get(server.url + route + name) in (400, 403, 404), f"{route}{name} was served"


@pytest.mark.slow
@pytest.mark.parametrize("filename", ["../../../../tmp/haru-escape-{tag}.txt", "..\\..\\haru-escape-{tag}.txt",
                                      "/tmp/haru-escape-{tag}.txt", "%2e%2e%2fharu-escape-{tag}.txt"])
def test_upload_names_cannot_escape_the_upload_folder(server, filename):
    tag = uuid.uuid4().hex[:8]
    name = filename.format(tag=tag)
    [stored] = raw_upload(server.url, name, b"upload body " + tag.encode())
    uploads = (server.data_dir / "uploads").resolve()
    assert Path(stored).resolve().is_relative_to(uploads), stored
    escaped = [p for p in (Path("/tmp"), server.data_dir, server.data_dir.parent) if
               any(q.name.startswith(f"haru-escape-{tag}") for q in p.iterdir())]
    assert not escaped, escaped


@pytest.mark.slow
def test_a_per_session_key_over_http_is_not_logged_saved_or_shown(server):
    from gradio_client import Client

    from testkit.app_server import PASSWORD as APP_PASSWORD
    from testkit.app_server import SHORT_ENGLISH

    with KeyEchoServer() as echo:
        client = Client(server.url, verbose=False)
        client.predict(f"key-user-{uuid.uuid4().hex[:6]}", APP_PASSWORD, "Mina", api_name="/signup")
        settings = {**SHORT_ENGLISH, "voice_on": False, "backend_kind": "openai", "backend_model": "fake-model",
                    "backend_api_key": FAKE_KEY, "backend_base_url": echo.openai_url}
        client.predict(**settings, api_name="/save_settings")
        outputs = client.predict("A quiet evening.", None, None, True, api_name="/talk")
    shown = json.dumps(outputs, default=str, ensure_ascii=False)
    assert re.search(r"rejected the API key", shown), shown[-600:]
    assert FAKE_KEY not in shown
    assert not _files_containing(server.data_dir, FAKE_KEY)
