"""Helpers for the reliability tests: real SDK backends aimed at loopback LLM servers, bad inputs made
at test time, a Companion wired with real stages, and a log capture for leak greps."""

from __future__ import annotations

import io
import json
import logging
import struct
import threading
import urllib.request
import uuid
import wave
import zlib
from dataclasses import dataclass, field
from functools import lru_cache, partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterable

import numpy as np
import pytest
from PIL import Image, ImageDraw

import diary
import music
from chat import Companion, Preferences, Turn
from chat.types import CheckInEvent, DoneEvent, ErrorEvent, NoticeEvent, SavedEvent, TextDelta
from core.config import AppConfig
from prompts.types import Profile
from testkit import SHARED_DATA, require
from testkit.fake_llm_server import FakeLLMServer, Reply

REPLY = "I hear you. That sounds like a long day. Take a slow breath with me."
OK = Reply(chunks=tuple(w + " " for w in REPLY.split(" ")))
FAKE_KEY = "sk-haru-canary-7Q4mZ2xV9pLw3RtY8sKd"   # recognisable, so a leak is easy to grep for


# ------------------------------------------------------------------------------------- LLM fakes
def fake_llm(replies: Iterable[Reply] = (), default: Reply = OK) -> FakeLLMServer:
    return FakeLLMServer(replies, default=default)


class KeyEchoServer:
    """Answers every request with 401 and the caller's key in the body, as real services do with (part
    of) a wrong key: the harshest case for a leak into our messages and logs."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                key = self.headers.get("x-api-key") or self.headers.get("Authorization", "")
                data = json.dumps({"type": "error", "error": {"type": "authentication_error",
                                                              "message": f"Incorrect API key provided: {key}"}}).encode()
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self.openai_url = self.url + "/v1"

    def __enter__(self) -> "KeyEchoServer":
        threading.Thread(target=self._httpd.serve_forever, name="key-echo", daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def cloud_backend(kind: str, server: FakeLLMServer | KeyEchoServer, *, key: str = FAKE_KEY, timeout_s: float = 5.0):
    """A real SDK backend of ``kind`` (openai | anthropic | openai-compatible) aimed at ``server``."""
    from chat.backends import get_backend

    config = AppConfig(llm_timeout_s=timeout_s)
    base = server.url if kind == "anthropic" else server.openai_url
    return get_backend(kind, config, api_key=key, base_url=base, model="fake-model")


# ------------------------------------------------------------------------------------- companion
@pytest.fixture(scope="module")
def llm():
    """One healthy fake LLM server per test module."""
    with fake_llm() as server:
        yield server


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A real SQLite diary per test module."""
    return diary.open_store(f"sqlite:///{tmp_path_factory.mktemp('diary') / 'haru.db'}")


@lru_cache(maxsize=1)
def bundled_catalogue():
    return music.load_catalogue(None)


def make_companion(backend, **parts) -> Companion:
    """A Companion with the real song recommender; other stages only when the test passes them."""
    return Companion(backend=backend, recommend=partial(music.recommend, catalogue=bundled_catalogue()), **parts)


def turn(text: str = "", *, language: str = "en", user_id: int | None = None, name: str = "Mina",
         voice: bool = False, settings: dict | None = None, **kwargs) -> Turn:
    prefs = Preferences().updated(reply_language=language, reply_length="short", voice_on=voice,
                                  **(settings or {}))
    return Turn(profile=Profile(name), prefs=prefs, user_id=user_id, text=text, **kwargs)


@dataclass
class Outcome:
    """Everything one turn produced, sorted by kind."""
    events: list = field(default_factory=list)

    def of(self, kind) -> list:
        return [e for e in self.events if isinstance(e, kind)]

    @property
    def errors(self) -> list[str]:
        return [e.error.en for e in self.of(ErrorEvent)]

    @property
    def notices(self) -> list[str]:
        return [e.notice.en for e in self.of(NoticeEvent)]

    @property
    def check_ins(self) -> list[str]:
        return [e.message.en for e in self.of(CheckInEvent)]

    @property
    def messages(self) -> list[str]:
        """Every user-facing text of the turn, English and Korean."""
        return ([m for e in self.of(ErrorEvent) for m in (e.error.en, e.error.ko)]
                + [m for e in self.of(NoticeEvent) for m in (e.notice.en, e.notice.ko)]
                + [m for e in self.of(CheckInEvent) for m in (e.message.en, e.message.ko)])

    @property
    def reply(self) -> str:
        return "".join(e.text for e in self.of(TextDelta))

    @property
    def done(self) -> DoneEvent | None:
        found = self.of(DoneEvent)
        return found[0] if found else None

    @property
    def saved(self) -> list:
        return [e.entry for e in self.of(SavedEvent)]


def run(companion: Companion, the_turn: Turn) -> Outcome:
    return Outcome(list(companion.respond(the_turn)))


# ----------------------------------------------------------------------------------- bad inputs
JAFFE_HAPPY = SHARED_DATA / "jaffe" / "happy" / "KA.HA1.29.tiff"


def jaffe_face(path: Path = JAFFE_HAPPY) -> Image.Image:
    require(path.is_file(), f"JAFFE face not found at {path}")
    return Image.open(path).convert("RGB")


def webcam_photo(size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A real face centred on a plain background, like a webcam frame."""
    face = jaffe_face()
    side = int(min(size) * 0.7)
    canvas = Image.new("RGB", size, (188, 196, 204))
    canvas.paste(face.resize((side, side), Image.Resampling.BICUBIC), ((size[0] - side) // 2, (size[1] - side) // 2))
    return canvas


def jpeg_bytes(img: Image.Image, **save) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90, **save)
    return buf.getvalue()


def exif_rotated_jpeg(path: Path) -> Path:
    """The photo stored sideways with EXIF orientation 6, as phones write it: only a reader that
    honours the tag sees an upright face."""
    upright = webcam_photo()
    exif = Image.Exif()
    exif[0x0112] = 6   # "rotate 90 CW to display"
    path.write_bytes(jpeg_bytes(upright.transpose(Image.Transpose.ROTATE_90), exif=exif.tobytes()))
    return path


def two_faces(path: Path) -> Path:
    """Two real people of different sizes; the larger face is on the right."""
    sad = sorted((SHARED_DATA / "jaffe" / "sad").glob("*.tiff"))
    require(bool(sad), "JAFFE sad faces not found")
    canvas = Image.new("RGB", (960, 540), (200, 200, 200))
    canvas.paste(jaffe_face().resize((260, 260)), (40, 240))
    canvas.paste(jaffe_face(sad[0]).resize((380, 380)), (500, 60))
    canvas.save(path)
    return path


def cartoon(path: Path) -> Path:
    """A drawn smiley: round, two eyes and a mouth, but not a human face."""
    img = Image.new("RGB", (640, 480), (250, 230, 120))
    draw = ImageDraw.Draw(img)
    draw.ellipse((170, 90, 470, 390), fill=(255, 220, 0), outline=(0, 0, 0), width=6)
    draw.ellipse((250, 170, 290, 230), fill=(0, 0, 0))
    draw.ellipse((350, 170, 390, 230), fill=(0, 0, 0))
    draw.arc((230, 230, 410, 340), 20, 160, fill=(0, 0, 0), width=8)
    img.save(path)
    return path


def png_bomb(path: Path, side: int = 20_000) -> Path:
    """A ~100-byte PNG whose header claims ``side`` x ``side`` pixels (a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    row = b"\x00" + b"\x00" * 3 * side
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                     + chunk(b"IDAT", zlib.compress(row * 4)) + chunk(b"IEND", b""))
    return path


def oversized_jpeg(path: Path, mb: int = 50) -> Path:
    """A real, decodable face JPEG padded past ``mb`` MB (a sparse file: no disk is used)."""
    data = jpeg_bytes(webcam_photo())
    with path.open("wb") as f:
        f.write(data)
        f.truncate(mb * 1_000_000 + len(data))
    return path


def image_mode(path: Path, mode: str) -> Path:
    """The face photo converted to ``mode`` (L, CMYK, RGBA with a transparent border)."""
    img = webcam_photo()
    if mode == "RGBA":
        img = img.convert("RGBA")
        alpha = Image.new("L", img.size, 0)
        ImageDraw.Draw(alpha).rectangle((60, 20, 580, 460), fill=255)
        img.putalpha(alpha)
        img.save(path, "PNG")
    else:
        img.convert(mode).save(path, "JPEG" if mode == "CMYK" else "PNG")
    return path


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype(np.int16).tobytes())
    return buf.getvalue()


def long_wav(path: Path, minutes: float, rate: int = 16_000) -> Path:
    """A silent mono 16-bit WAV of ``minutes``; the samples are a sparse hole, so it costs no disk."""
    frames = int(minutes * 60 * rate)
    header = io.BytesIO()
    with wave.open(header, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.setnframes(frames)
        w.writeframes(b"")
    data = bytearray(header.getvalue())
    # wave wrote sizes for zero frames; patch RIFF and data sizes for the real length.
    struct.pack_into("<I", data, 4, 36 + 2 * frames)
    struct.pack_into("<I", data, 40, 2 * frames)
    with path.open("wb") as f:
        f.write(bytes(data))
        f.truncate(len(data) + 2 * frames)
    return path


def raw_upload(url: str, filename: str, data: bytes) -> list[str]:
    """POST one file to the app's upload route by hand, with any file name (the client would clean it)."""
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{filename}\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(url.rstrip("/") + "/gradio_api/upload", data=body, method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


class LogCapture(logging.Handler):
    """Every record of every logger, formatted with its traceback, for leak greps."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def __enter__(self) -> "LogCapture":
        root = logging.getLogger()
        self._level = root.level
        root.addHandler(self)
        root.setLevel(logging.DEBUG)
        return self

    def __exit__(self, *exc) -> None:
        root = logging.getLogger()
        root.removeHandler(self)
        root.setLevel(self._level)
