"""The app on a machine without ffmpeg and with a server-side LLM, driven through gradio_client.

Without ffmpeg Gradio cannot stream audio,
so the voice must come as one complete WAV, the turn must still be answered and saved, and the
start-up log and the Settings tab must say once what is missing and how to add it. Settings' "Test
connection" must say within seconds whether a model server answers.

The LLM is the fake OpenAI-compatible server on loopback (a cloud stand-in); everything else is real.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from gradio_client import Client

from testkit.app_server import PASSWORD, free_port, outside_temp_dir, start_app, wait_for_models
from testkit.fake_llm_server import FakeLLMServer, Reply

pytestmark = pytest.mark.slow

REPLY = ("That sounds like a lovely evening. ", "What made it feel so calm?")
SESSION_SECRET = "secret-shared-by-replicas"


@pytest.fixture(scope="module")
def app_without_ffmpeg():
    # Only Python's own folder on PATH: no ffmpeg, as on a fresh laptop.
    path = os.path.dirname(sys.executable)
    assert not Path(path, "ffmpeg").exists()
    with FakeLLMServer(default=Reply(chunks=REPLY)) as llm:
        server = start_app(outside_temp_dir("no-ffmpeg-"), PATH=path, HARU_LLM="openai-compatible",
                           OPENAI_BASE_URL=llm.openai_url, HARU_LLM_MODEL="fake-model", HARU_VOICE="true",
                           HARU_SESSION_SECRET=SESSION_SECRET)
        server.llm_url = llm.openai_url
        try:
            wait_for_models(server.url)
            yield server
        finally:
            server.stop()


def test_without_ffmpeg_the_reply_is_spoken_as_one_wav_and_saved(app_without_ffmpeg):
    server = app_without_ffmpeg
    client = Client(server.url, verbose=False)
    client.predict("no-ffmpeg-user", PASSWORD, "Mina", api_name="/signup")
    outputs = client.predict("A quiet evening at home.", None, None, False, api_name="/talk")
    chat, voice, banner = outputs[0], outputs[3], outputs[5]
    assert "lovely evening" in str(chat[-1]["content"])
    assert re.search(r"Saved to your diary \(entry #\d+\)", banner), banner
    assert "haru-error" not in banner
    data = Path(voice).read_bytes()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE" and len(data) > 20_000

    log = server.log_tail(10**6)
    assert log.count("ffmpeg is not installed") == 1 and "apt-get install ffmpeg" in log
    assert "Traceback" not in log
    with urllib.request.urlopen(server.url + "config", timeout=10) as response:
        config = json.load(response)
    notes = [c for c in config["components"] if c.get("props", {}).get("elem_id") == "set-no-ffmpeg"]
    assert notes and "apt-get install ffmpeg" in notes[0]["props"]["value"]



def test_test_connection_says_what_answered_or_why_not_within_seconds(app_without_ffmpeg):
    server = app_without_ffmpeg
    client = Client(server.url, verbose=False)
    client.predict("connection-user", PASSWORD, "Mina", api_name="/signup")
    # The values on the form are tested, saved or not: first a server that answers...
    ok = client.predict("openai-compatible", "fake-model", "", server.llm_url, api_name="/test_connection")
    assert "haru-info" in ok and "fake-model" in ok and "lovely evening" in ok, ok
    # ...then an address where nothing listens: a clear reason, within seconds.
    started = time.monotonic()
    dead = client.predict("openai-compatible", "fake-model", "", f"http://127.0.0.1:{free_port()}/v1",
                          api_name="/test_connection")
    assert time.monotonic() - started < 15
    assert "haru-error" in dead and "did not answer" in dead, dead


def test_the_session_secret_never_reaches_the_browser(app_without_ffmpeg):
    """Gradio sends a BrowserState's encryption key to every page in /config: it must not be the key that
    signs the stay-signed-in token, or anyone could sign themselves in as anybody."""
    with urllib.request.urlopen(app_without_ffmpeg.url + "config", timeout=10) as response:
        config = response.read().decode()
    assert SESSION_SECRET not in config and SESSION_SECRET.encode().hex() not in config
