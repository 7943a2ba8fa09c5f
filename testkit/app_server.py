"""The real app in a subprocess, started as the README says, for the app tests and the benchmarks.

:func:`shared_app` starts one per test process, shared by the API and browser tests, so the models load once.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from testkit import REPO

START_TIMEOUT_S = 90
# Joined model files (~1.3 GB) are kept between runs here instead of in each throwaway data dir.
MODEL_CACHE = REPO / ".cache" / "models"
PASSWORD = "correct horse battery"
# /save_settings arguments: short casual English replies keep the slow local LLM quick.
SHORT_ENGLISH = dict(reply_attitude="casual", reply_composition=["empathy"], reply_intensity="honest",
                     reply_length="short", reply_language="en", voice_on=True, voice_online=False,
                     voice_speech_language="en", songs_strategy="match", songs_language="any", songs_submood="none",
                     backend_kind="local", backend_model="", backend_api_key="", backend_base_url="", ui_language="en")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class AppServer:
    url: str
    data_dir: Path
    log_path: Path
    process: subprocess.Popen
    startup_s: float

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)


def start_app(data_dir: Path, **env: str) -> AppServer:
    """``python app.py`` started as the README says (from the repository root), on a free port with its own
    data dir and SQLite; returns once it serves pages."""
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    MODEL_CACHE.mkdir(parents=True, exist_ok=True)
    if not (data_dir / "models").exists():
        (data_dir / "models").symlink_to(MODEL_CACHE, target_is_directory=True)
    log_path = data_dir / "app.log"
    child_env = {**os.environ, "HARU_DATA_DIR": str(data_dir), "HARU_PORT": str(port), "HARU_HOST": "127.0.0.1",
                 "DATABASE_URL": "", "HARU_LANGUAGE": "en", "HARU_ONLINE_TTS": "false", "HARU_LLM": "local",
                 "GRADIO_ANALYTICS_ENABLED": "False", **env}
    child_env.pop("GRADIO_TEMP_DIR", None)   # as a person starts it: the app picks its own upload folder
    started = time.monotonic()
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=child_env,
                                   stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    server = AppServer(url, data_dir, log_path, process, 0.0)
    while time.monotonic() - started < START_TIMEOUT_S:
        if process.poll() is not None:
            raise RuntimeError(f"app exited with {process.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    server.startup_s = time.monotonic() - started
                    return server
        except OSError:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"app did not serve within {START_TIMEOUT_S} s:\n{server.log_tail()}")


def wait_for_models(url: str, timeout_s: float = 600) -> str:
    """Block until the app's background warm-up has finished; returns its final status text."""
    import httpx
    from gradio_client import Client

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:   # while models load the two cores are busy, so a single request may time out
            status = Client(url, verbose=False).predict(api_name="/models")[0]
        except httpx.TimeoutException:
            continue
        if "haru-notice" not in status or "could not load" in status:
            return status
        time.sleep(1)
    raise TimeoutError(f"models still loading after {timeout_s} s")


def exported_json(client) -> dict:
    """The JSON half of /export (it also offers a CSV of the entries)."""
    paths = client.predict(api_name="/export")
    return json.loads(Path(next(p for p in paths if p.endswith(".json"))).read_text(encoding="utf-8"))


_shared: AppServer | None = None


def outside_temp_dir(prefix: str) -> Path:
    """A data dir like the default ~/.haru: neither in the temp folder nor in the working directory, where
    Gradio serves files from without being told (an export from such a folder once failed only for users).
    Removed when the test process exits."""
    parent = Path.home() / ".cache" / "haru-tests"
    parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def shared_app() -> AppServer:
    """One app per test process, stopped when the process exits."""
    global _shared
    if _shared is None or _shared.process.poll() is not None:
        _shared = start_app(outside_temp_dir("app-"))
        atexit.register(_shared.stop)
        wait_for_models(_shared.url)
    return _shared
