"""read_emotion on real photos: every input kind, orientation, several faces, no face, bad files."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

import vision
from vision import LABELS, BadImageError, NoFaceError, read_emotion
from tests.vision_fixtures import classifier, detector, jaffe_dir, jaffe_happy, jaffe_rgb  # noqa: F401


def check_reading(r: vision.EmotionReading, shape: tuple[int, int]) -> None:
    assert tuple(r.probs) == LABELS
    assert sum(r.probs.values()) == pytest.approx(1.0, abs=1e-6)
    assert all(0 <= p <= 1 for p in r.probs.values())
    assert r.label == max(r.probs, key=r.probs.get)
    assert r.confidence == r.probs[r.label]
    x, y, w, h = r.box
    assert 0 <= x and 0 <= y and x + w <= shape[1] and y + h <= shape[0] and w > 20 and h > 20
    assert r.faces_found >= 1
    assert r.model
    assert {"decode", "detect", "align", "classify", "total"} <= set(r.timings_ms)


def encode(img: Image.Image, fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kwargs)
    return buf.getvalue()


@pytest.fixture(scope="module")
def expected(jaffe_rgb, classifier, detector):
    return read_emotion(jaffe_rgb, classifier=classifier, detector=detector)


def test_photo_path_gives_a_full_reading(jaffe_happy, classifier, detector):
    check_reading(read_emotion(jaffe_happy, classifier=classifier, detector=detector), (256, 256))


@pytest.mark.parametrize("kind", ["rgb", "grey", "pil", "png", "jpeg_cmyk", "rgba", "float"])
def test_every_input_kind_reads_the_same_face(kind, jaffe_rgb, expected, classifier, detector):
    pil = Image.fromarray(jaffe_rgb)
    image = {
        "rgb": jaffe_rgb,
        "grey": np.asarray(pil.convert("L")),
        "pil": pil,
        "png": encode(pil, "PNG"),
        "jpeg_cmyk": encode(pil.convert("CMYK"), "JPEG", quality=98),
        "rgba": pil.convert("RGBA"),
        "float": jaffe_rgb.astype(np.float32) / 255,
    }[kind]
    r = read_emotion(image, classifier=classifier, detector=detector)
    check_reading(r, jaffe_rgb.shape)
    assert np.allclose(r.box, expected.box, atol=8)
    assert r.label == expected.label
    if kind != "jpeg_cmyk":  # the only lossy route; the others carry the same grey pixels
        assert r.probs[expected.label] == pytest.approx(expected.confidence, abs=0.02)


@pytest.mark.parametrize("orientation, rotate", [(6, Image.Transpose.ROTATE_90), (8, Image.Transpose.ROTATE_270),
                                                 (3, Image.Transpose.ROTATE_180)])
def test_exif_rotated_phone_photo_is_turned_upright(orientation, rotate, jaffe_rgb, expected, classifier,
                                                    detector):
    # A phone stores the sensor's pixels sideways and says in EXIF how to turn them.
    stored = Image.fromarray(jaffe_rgb).transpose(rotate)
    exif = Image.Exif()
    exif[0x0112] = orientation
    r = read_emotion(encode(stored, "JPEG", quality=95, exif=exif), classifier=classifier, detector=detector)
    check_reading(r, jaffe_rgb.shape)
    assert np.allclose(r.box, expected.box, atol=10)


def test_several_faces_use_the_largest(jaffe_dir, classifier, detector):
    big = np.asarray(Image.open(sorted((jaffe_dir / "surprise").glob("*.tiff"))[0]).convert("L"))
    small = np.asarray(Image.open(sorted((jaffe_dir / "neutral").glob("*.tiff"))[0]).convert("L").resize((160, 160)))
    frame = np.full((300, 480), 110, np.uint8)
    frame[20:276, 10:266] = big
    frame[70:230, 300:460] = small
    r = read_emotion(frame, classifier=classifier, detector=detector)
    assert r.faces_found == 2
    x, y, w, h = r.box
    assert x < 266 and w > 100  # the box is on the big face, left


def test_no_face_raises_the_user_facing_error(classifier, detector):
    # A real non-face picture: the chart of FER2013 class counts, drawn by matplotlib.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=100)
    ax.bar(LABELS, [3995, 436, 4097, 7215, 4830, 3171, 4965])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    for image in (buf.getvalue(), np.full((480, 640, 3), 128, np.uint8)):
        with pytest.raises(NoFaceError) as err:
            read_emotion(image, classifier=classifier, detector=detector)
        assert "face" in err.value.message("en") and "얼굴" in err.value.message("ko")


def png_claiming_size(width: int, height: int) -> bytes:
    """A valid 1x1 PNG whose header claims another size: a decompression bomb without the bytes."""
    data = encode(Image.new("L", (1, 1)), "PNG")
    ihdr = bytearray(data[12:29])  # chunk type + 13 data bytes
    ihdr[4:12] = struct.pack(">II", width, height)
    return data[:12] + bytes(ihdr) + struct.pack(">I", zlib.crc32(bytes(ihdr))) + data[33:]


def _file(tmp_path, name: str, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return path


# name, builder(tmp_path, a real JPEG's bytes) -> input, words the English message must contain
BAD_INPUTS = [
    ("empty bytes", lambda tmp, jpeg: b"", "empty"),
    ("empty file", lambda tmp, jpeg: _file(tmp, "empty.jpg", b""), "empty"),
    ("text file", lambda tmp, jpeg: _file(tmp, "notes.png", b"dear diary, today was fine"), "not an image"),
    ("random bytes", lambda tmp, jpeg: bytes(range(256)) * 8, "not an image"),
    ("truncated jpeg", lambda tmp, jpeg: jpeg[:len(jpeg) // 3], "not an image"),
    ("decompression bomb", lambda tmp, jpeg: png_claiming_size(30000, 30000), "too large"),
    ("missing path", lambda tmp, jpeg: tmp / "nowhere.jpg", "No image file"),
    ("tiny image", lambda tmp, jpeg: np.zeros((8, 8), np.uint8), "too small"),
    ("1-d array", lambda tmp, jpeg: np.zeros(100, np.uint8), "Expected an H x W"),
    ("5 channels", lambda tmp, jpeg: np.zeros((64, 64, 5), np.uint8), "Expected an H x W"),
    ("negative ints", lambda tmp, jpeg: np.full((64, 64), -3, np.int32), "Unsupported pixel"),
    ("nan floats", lambda tmp, jpeg: np.full((64, 64), np.nan, np.float32), "Unsupported pixel"),
    ("not an image object", lambda tmp, jpeg: 12345, "Expected an image"),
]


@pytest.mark.parametrize("build, english", [case[1:] for case in BAD_INPUTS], ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_gives_bad_image_error_in_both_languages(build, english, tmp_path, jaffe_happy, classifier,
                                                           detector):
    image = build(tmp_path, encode(Image.open(jaffe_happy).convert("RGB"), "JPEG"))
    with pytest.raises(BadImageError) as err:
        read_emotion(image, classifier=classifier, detector=detector)
    assert english in err.value.message("en")
    assert err.value.message("ko") and err.value.message("ko") != err.value.message("en")
