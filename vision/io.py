"""Whatever the user hands us -> an RGB uint8 array, or a :class:`BadImageError`.

Accepted: a path, raw bytes, a PIL image, or a numpy array (H x W grey,
H x W x 3 RGB, H x W x 4 RGBA; uint8, or float in [0, 1]). Photos are turned
upright from their EXIF orientation (phones store them sideways), and
anything Pillow cannot fully decode, or that would decode to more pixels than
:data:`MAX_PIXELS`, is refused with a message instead of a traceback.
"""

from __future__ import annotations

import io
import warnings
from os import PathLike
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from core.config import AppConfig
from vision.types import BadImageError

MAX_PIXELS = 40_000_000  # a 40 MP photo is already larger than any phone camera's default
MIN_SIDE = 16

ImageInput = str | PathLike | bytes | bytearray | Image.Image | np.ndarray


def _bad(en: str, ko: str) -> BadImageError:
    return BadImageError(en, ko)


def _unreadable() -> BadImageError:
    return _bad("This file is not an image we can read (JPEG, PNG, WebP, BMP, TIFF).",
                "읽을 수 있는 이미지 파일이 아니에요 (JPEG, PNG, WebP, BMP, TIFF).")


def _check_size(size: int, limit_mb: int) -> None:
    if size > limit_mb * 1_000_000:
        raise _bad(f"The image file is larger than {limit_mb} MB.", f"이미지 파일이 {limit_mb}MB보다 커요.")


def _open(data: bytes | Path) -> Image.Image:
    # Pillow only warns between MAX_IMAGE_PIXELS and twice that; treat the warning as the refusal it is.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(data) if isinstance(data, bytes) else data)
            if img.width * img.height > MAX_PIXELS:
                raise Image.DecompressionBombError("too many pixels")
            img.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
            raise _bad(f"The image is too large (over {MAX_PIXELS // 1_000_000} megapixels).",
                       f"이미지가 너무 커요 ({MAX_PIXELS // 1_000_000}메가픽셀 초과).") from e
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
            # OSError covers truncated files and unsupported modes, SyntaxError broken PNG/TIFF headers.
            raise _unreadable() from e
    return img


def _from_pil(img: Image.Image) -> np.ndarray:
    try:
        img = ImageOps.exif_transpose(img)
        if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
            # Transparent areas become white, as they look in a browser, not black.
            rgba = img.convert("RGBA")
            background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            img = Image.alpha_composite(background, rgba)
        return np.asarray(img.convert("RGB"))
    except (OSError, ValueError) as e:
        raise _unreadable() from e


def array_to_rgb(arr: np.ndarray) -> np.ndarray:
    """Grey, RGB or RGBA array (uint8, or float in [0, 1]) -> RGB uint8; alpha over white."""
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (3, 4)):
        raise _bad(f"Expected an H x W grey or H x W x 3 colour image, got shape {arr.shape}.",
                   f"H x W 흑백 또는 H x W x 3 컬러 이미지여야 해요 (받은 형태: {arr.shape}).")
    if arr.dtype == np.uint8:
        pass
    elif np.issubdtype(arr.dtype, np.floating) and np.isfinite(arr).all():
        scale = 255.0 if arr.size and arr.max() <= 1.0 else 1.0
        arr = np.clip(arr * scale, 0, 255).round().astype(np.uint8)
    elif np.issubdtype(arr.dtype, np.integer) and arr.size and arr.min() >= 0 and arr.max() <= 255:
        arr = arr.astype(np.uint8)
    else:
        raise _bad(f"Unsupported pixel values (dtype {arr.dtype}); use uint8 0-255 or float 0-1.",
                   f"지원하지 않는 픽셀 값이에요 (dtype {arr.dtype}). uint8 0-255 또는 float 0-1을 써 주세요.")
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    elif arr.shape[2] == 4:
        alpha = arr[:, :, 3:].astype(np.float32) / 255
        arr = (arr[:, :, :3] * alpha + 255 * (1 - alpha)).round().astype(np.uint8)
    return np.ascontiguousarray(arr)


def load_rgb(image: ImageInput, *, max_upload_mb: int = AppConfig.max_upload_mb) -> np.ndarray:
    """H x W x 3 uint8 RGB, upright; raises :class:`BadImageError` for anything unusable.

    ``max_upload_mb`` caps a file's size: the cap the web app gives Gradio, so callers outside the app get it too.
    """
    if isinstance(image, np.ndarray):
        rgb = array_to_rgb(image)
    elif isinstance(image, Image.Image):
        rgb = _from_pil(image)
    elif isinstance(image, (bytes, bytearray)):
        if not image:
            raise _bad("The image file is empty.", "이미지 파일이 비어 있어요.")
        _check_size(len(image), max_upload_mb)
        rgb = _from_pil(_open(bytes(image)))
    elif isinstance(image, (str, PathLike)):
        path = Path(image)
        if not path.is_file():
            raise _bad(f"No image file at {path.name!r}.", f"{path.name!r} 이미지 파일을 찾을 수 없어요.")
        if path.stat().st_size == 0:
            raise _bad("The image file is empty.", "이미지 파일이 비어 있어요.")
        _check_size(path.stat().st_size, max_upload_mb)
        rgb = _from_pil(_open(path))
    else:
        raise _bad(f"Expected an image (path, bytes, PIL image or array), got {type(image).__name__}.",
                   f"이미지(경로, 바이트, PIL 이미지, 배열)가 필요해요 (받은 것: {type(image).__name__}).")
    if min(rgb.shape[:2]) < MIN_SIDE:
        raise _bad(f"The image is too small ({rgb.shape[1]}x{rgb.shape[0]}); a face needs more pixels.",
                   f"이미지가 너무 작아요 ({rgb.shape[1]}x{rgb.shape[0]}). 얼굴을 보려면 더 커야 해요.")
    return rgb
