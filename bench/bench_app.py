"""Web app benchmark: time to serve, a spoken turn through the HTTP API, and the Live mirror's frame rate.

``python -m bench.bench_app [--quick]`` prints the rows; ``python -m bench`` collects them.
Quick mode measures start-up and the mirror handler only (no LLM turn, no browser).
The app runs as ``python app.py`` in a subprocess with a throwaway data dir, as a user starts it.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

import vision
from bench.common import Row, p50, p95, timeit
from core import load_config
from webui.demo import build_demo, launch
from webui.handlers import Handlers
from webui.session import Session
from webui.tabs.mirror import MIRROR_CAMERA
from webui.warmup import Warmup
from testkit.app_server import PASSWORD, free_port, start_app, wait_for_models
from testkit.browser import CHROMIUM, launch_chromium
from testkit.media import make_media

MIRROR_SECONDS = 10


def _startup_rows(server, models_s: float, status: str) -> list[Row]:
    return [
        Row("app", "python app.py until the page is served", server.startup_s, "s", "< 10 s",
            "models load afterwards in a background thread"),
        Row("app", "background warm-up of all models", models_s, "s", "",
            "vision + speech + local LLM; " + ("all ready" if "ready" in status else "some failed")),
    ]


def _mirror_handler_rows(media, repeat: int) -> list[Row]:
    """The Live mirror's per-frame work (face reading, smoothing, rendering) on a frame of the size it asks for."""
    size = (MIRROR_CAMERA["video"]["width"]["ideal"], MIRROR_CAMERA["video"]["height"]["ideal"])
    frame = np.asarray(Image.open(media.face_png).convert("RGB").resize(size))
    config = load_config(env={}, dotenv=None)
    handlers = Handlers(config, companion=None, store=None, warmup=Warmup(), export_dir=Path())
    state = {"smoother": None}

    def one() -> None:
        _, state["smoother"] = handlers.mirror(Session(user_id=1, language="en"), frame, state["smoother"])

    ms = timeit(one, repeat=repeat, warmup=3)
    name = f"mirror frame {size[0]}x{size[1]}"
    return [Row("app", f"{name} p50", p50(ms), "ms", "<= 100 ms", "read_emotion + smoother + HTML"),
            Row("app", f"{name} p95", p95(ms), "ms", "<= 100 ms", ""),
            Row("app", "mirror handler throughput", 1000 / p50(ms), "frames/s", ">= 10 frames/s", "one core busy")]


def _turn_rows(server, media) -> list[Row]:
    """A spoken turn with a face photo through /talk, timed at the client as the stream arrives."""
    from gradio_client import Client, handle_file

    client = Client(server.url, verbose=False)
    client.predict(f"bench-{time.time_ns()}", PASSWORD, "Mina", api_name="/signup")
    client.predict(reply_attitude="casual", reply_length="short", reply_language="en", voice_speech_language="en",
                   ui_language="en", backend_kind="local", api_name="/save_settings")
    t0 = time.perf_counter()
    job = client.submit("", handle_file(str(media.speech_wav)), handle_file(str(media.face_png)), False,
                        api_name="/talk")
    first_text = first_voice = None
    seen = 0
    while not job.done():
        outputs = job.outputs()
        for chat, *_rest in outputs[seen:]:
            voice = _rest[2]
            if first_text is None and any(m["role"] == "assistant" for m in chat):
                first_text = time.perf_counter() - t0
            if first_voice is None and isinstance(voice, str):
                first_voice = time.perf_counter() - t0
        seen = len(outputs)
        time.sleep(0.02)
    job.result(timeout=600)
    total = time.perf_counter() - t0
    note = "5 s English sentence + face photo, length=short, local LLM, offline voice"
    return [Row("app", "talk via API: first reply text", first_text or float("nan"), "s", "", note),
            Row("app", "talk via API: first voice chunk", first_voice or float("nan"), "s", "", note),
            Row("app", "talk via API: whole turn", total, "s", "", note)]


def _browser_mirror_rows(media) -> list[Row]:
    """Webcam frames the Live mirror reads per second while headless Chromium streams the fake webcam.

    The app runs in this process here, so the frames that reach ``vision.read_emotion`` can be counted:
    the page's label does not change on every frame once the smoothed reading settles.
    """
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        return [Row("app", "mirror frames read while streaming", float("nan"), "frames/s", ">= 10 frames/s",
                    "skipped: no /usr/bin/chromium")]
    folder = Path(tempfile.mkdtemp(prefix="haru-bench-mirror-"))
    config = load_config(env={"HARU_DATA_DIR": str(folder), "HARU_PORT": str(free_port()), "HARU_LANGUAGE": "en"},
                         dotenv=None)
    frames: list[float] = []
    read = vision.read_emotion

    def counted(frame, **kwargs):
        frames.append(time.perf_counter())
        return read(frame, **kwargs)

    vision.read_emotion = counted
    demo = build_demo(config)
    try:
        _, url, _ = launch(demo, config, prevent_thread_lock=True, quiet=True)
        with sync_playwright() as p:
            browser = launch_chromium(p, media)
            context = browser.new_context(locale="en-US")
            context.grant_permissions(["microphone", "camera"], origin=url.rstrip("/"))
            page = context.new_page()
            page.goto(url, wait_until="load")
            page.get_by_role("tab", name="Sign up").click()
            page.locator("#signup-user textarea").fill("bench-mirror")
            page.locator("#signup-name textarea").fill("Mina")
            page.locator("#signup-pw input").fill(PASSWORD)
            page.locator("#signup-btn").click()
            page.locator("#haru-main").get_by_role("tab", name="Live mirror").click()
            cam = page.locator("#mirror-cam")
            cam.get_by_text("Click to Access Webcam").click()
            cam.locator("video").wait_for()
            cam.locator("button[aria-label='capture photo']").click()
            page.locator("#mirror-emotion [data-label]").wait_for(timeout=60_000)
            start = time.perf_counter()
            time.sleep(MIRROR_SECONDS)
            counted_frames = sum(1 for f in frames if f >= start)
            browser.close()
    finally:
        vision.read_emotion = read
        demo.close()
    return [Row("app", "mirror frames read while streaming", counted_frames / MIRROR_SECONDS, "frames/s",
                ">= 10 frames/s", f"headless Chromium fake webcam, {MIRROR_SECONDS} s, server in-process")]


def run(quick: bool = False) -> list[Row]:
    folder = Path(tempfile.mkdtemp(prefix="haru-bench-app-"))
    media = make_media(folder / "media")
    server = start_app(folder / "data")
    try:
        t0 = time.perf_counter()
        status = wait_for_models(server.url)
        rows = _startup_rows(server, time.perf_counter() - t0 + server.startup_s, status)
        rows += _mirror_handler_rows(media, repeat=20 if quick else 100)
        if not quick:
            rows += _turn_rows(server, media)
            rows += _browser_mirror_rows(media)
        return rows
    finally:
        server.stop()


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(f"{row.metric:<45} {row.value:>9.3g} {row.unit:<9} {row.goal:<16} {row.note}")
