"""Headless Debian Chromium with the test media as its fake webcam and microphone (never `playwright install`)."""

from __future__ import annotations

from pathlib import Path

from testkit.media import Media

CHROMIUM = Path("/usr/bin/chromium")


def chromium_args(media: Media) -> list[str]:
    return ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={media.speech_wav}",
            f"--use-file-for-fake-video-capture={media.face_y4m}",
            "--autoplay-policy=no-user-gesture-required"]


def launch_chromium(playwright, media: Media):
    """A browser from ``sync_playwright()`` whose camera and microphone play ``media``."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=chromium_args(media))
