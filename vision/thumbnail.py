"""A small face thumbnail for users who opt in to keeping one with their diary entries."""

from __future__ import annotations

import io

from PIL import Image

from vision.io import ImageInput, load_rgb

THUMBNAIL_SIDE = 96        # enough to recognise the moment, too small to be a usable portrait
MARGIN = 0.2


def face_thumbnail(image: ImageInput, box: tuple[int, int, int, int], side: int = THUMBNAIL_SIDE) -> bytes:
    """JPEG bytes of the face at ``box`` (x, y, w, h) with a little margin, ``side`` pixels square."""
    rgb = load_rgb(image)
    x, y, w, h = box
    pad = int(MARGIN * max(w, h))
    top, left = max(0, y - pad), max(0, x - pad)
    crop = Image.fromarray(rgb[top:y + h + pad, left:x + w + pad])
    crop.thumbnail((side, side))
    out = io.BytesIO()
    crop.save(out, format="JPEG", quality=80)
    return out.getvalue()
