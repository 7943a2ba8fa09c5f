"""Real test media made at test time: a JAFFE face from ../shared/data as a photo and a fake-webcam clip, and
a spoken sentence from the offline voice; written into temporary folders, never into the repo."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from testkit import SHARED_DATA, require
from testkit.speech import spoken_wav

FACE_FILE = SHARED_DATA / "jaffe" / "happy" / "KA.HA1.29.tiff"
SPOKEN_SENTENCE = "Today was a really good day. I went for a walk in the park with my friend."


def face_photo(out: Path, size: tuple[int, int] = (640, 480)) -> Path:
    """A real smiling face from JAFFE, enlarged onto a plain background the size of a webcam frame."""
    require(FACE_FILE.is_file(), f"JAFFE face not found at {FACE_FILE}")
    face = Image.open(FACE_FILE).convert("RGB")
    side = int(min(size) * 0.85)
    canvas = Image.new("RGB", size, (188, 196, 204))
    canvas.paste(face.resize((side, side), Image.Resampling.BICUBIC),
                 ((size[0] - side) // 2, (size[1] - side) // 2))
    canvas.save(out)
    return out


def y4m_from_image(image: Path, out: Path, frames: int = 10, fps: int = 15) -> Path:
    """A still YUV4MPEG2 (4:2:0, JPEG range) clip for Chromium's fake webcam."""
    rgb = np.asarray(Image.open(image).convert("RGB"), dtype=np.float32)
    h, w = rgb.shape[:2]
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
    cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b

    def half(plane):
        return plane.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))

    planes = b"".join(np.clip(p, 0, 255).round().astype(np.uint8).tobytes() for p in (y, half(cb), half(cr)))
    with open(out, "wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            f.write(b"FRAME\n" + planes)
    return out


@dataclass(frozen=True)
class Media:
    face_png: Path
    face_y4m: Path
    speech_wav: Path


def make_media(folder: Path) -> Media:
    """The face as PNG and webcam clip, and :data:`SPOKEN_SENTENCE` as a 48 kHz WAV (Chromium's fake mic)."""
    folder.mkdir(parents=True, exist_ok=True)
    png = face_photo(folder / "face.png")
    wav = spoken_wav(SPOKEN_SENTENCE, "en", folder / "speech.wav", lead_silence_s=0.6)
    return Media(png, y4m_from_image(png, folder / "face.y4m"), wav)
