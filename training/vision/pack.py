"""Training data in one small folder, for a training machine that cannot read ``../shared/data``.

A GPU session may carry about 20 MB, and FER2013's faces are 66 MB as raw
bytes. Lossy WebP (quality 80) on mosaics of 32x32 faces stores them at about
540 bytes a face (15 MB for the 27,928 trainable rows) with an RMS error of
3.4 grey levels, below what the training augmentation changes anyway; a
48x48 JPEG alone would spend most of its bytes on headers.

    python -m training.vision.pack --out .gpujob/data      # FER Training + PublicTest, posed training parts
    python -m training.vision.train --pack .gpujob/data ...

The folder holds the training parts of the posed sets only (the held-out
subjects stay behind) and the data's research-only terms travel with it: it
is a working copy for a training run, never to be committed or published.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from PIL import Image

from training.vision.data import POSED_SETS, load_fer, posed_crops

TILE = 32  # faces per mosaic side
QUALITY = 80


def _encode_mosaics(faces: np.ndarray, out: Path, stem: str) -> None:
    """(N, 48, 48) grey or (N, 48, 48, 3) colour uint8 faces -> ``stem_000.webp``, ..."""
    per = TILE * TILE
    tail = faces.shape[3:]
    for part, start in enumerate(range(0, len(faces), per)):
        chunk = faces[start:start + per]
        padded = np.zeros((per, 48, 48, *tail), np.uint8)
        padded[:len(chunk)] = chunk
        mosaic = padded.reshape(TILE, TILE, 48, 48, *tail).swapaxes(1, 2).reshape(TILE * 48, TILE * 48, *tail)
        Image.fromarray(mosaic).save(out / f"{stem}_{part:03d}.webp", "WEBP", quality=QUALITY, method=6)


def _decode_mosaics(folder: Path, stem: str, n: int, mode: str = "L") -> np.ndarray:
    tiles = []
    for path in sorted(folder.glob(f"{stem}_*.webp")):
        try:
            mosaic = np.asarray(Image.open(path).convert(mode))
        except OSError:  # a Pillow built without WebP: OpenCV wheels bundle their own libwebp
            import cv2

            mosaic = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE if mode == "L" else cv2.IMREAD_COLOR)
            mosaic = mosaic if mode == "L" else cv2.cvtColor(mosaic, cv2.COLOR_BGR2RGB)
        tail = mosaic.shape[2:]
        tiles.append(mosaic.reshape(TILE, 48, TILE, 48, *tail).swapaxes(1, 2).reshape(-1, 48, 48, *tail))
    return np.concatenate(tiles)[:n]


def posed_training_crops() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """RGB crops (N, 48, 48, 3), labels and set index (order of ``POSED_SETS``) of the posed sets' training
    subjects, faces the detector found only."""
    rgb, labels, source = [], [], []
    for k, loader in enumerate(POSED_SETS.values()):
        posed = loader()
        crops = posed_crops(posed)
        train = set(posed.part("train").subjects)
        keep = np.array([s in train for s in posed.subjects]) & crops.found
        rgb.append(crops.rgb[keep])
        labels.append(posed.labels[keep])
        source.append(np.full(int(keep.sum()), k))
    return np.concatenate(rgb), np.concatenate(labels), np.concatenate(source)


def build_pack(out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    info = {}
    for split in ("Training", "PublicTest"):
        fer = load_fer(split)
        if split == "Training":
            fer = fer.subset(fer.trainable())
        _encode_mosaics(fer.images, out, split)
        np.savez_compressed(out / f"{split}.npz", votes=fer.votes.astype(np.uint8), extra=fer.extra.astype(np.uint8),
                            fer_labels=fer.fer_labels.astype(np.uint8), rows=fer.rows)
        info[split] = len(fer)
    rgb, labels, source = posed_training_crops()
    info.update({name: int((source == k).sum()) for k, name in enumerate(POSED_SETS)})
    _encode_mosaics(rgb, out, "posed")
    np.savez_compressed(out / "posed.npz", labels=labels.astype(np.uint8), source=source.astype(np.uint8))
    info["posed"] = len(labels)
    (out / "pack.json").write_text(json.dumps(info, indent=1))
    return info


def load_pack(folder: Path) -> dict:
    """Arrays as :func:`build_pack` wrote them, the faces decoded back to (N, 48, 48) uint8."""
    folder = Path(folder)
    info = json.loads((folder / "pack.json").read_text())
    out = {}
    for split in ("Training", "PublicTest"):
        with np.load(folder / f"{split}.npz") as z:
            out[split] = {k: z[k] for k in z.files}
        out[split]["images"] = _decode_mosaics(folder, split, info[split])
    with np.load(folder / "posed.npz") as z:
        out["posed"] = {k: z[k] for k in z.files}
    out["posed"]["rgb"] = _decode_mosaics(folder, "posed", info["posed"], "RGB")
    return out


def pack_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in Path(folder).iterdir())


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Pack the training data compactly for a training machine.")
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    info = build_pack(args.out)
    print(json.dumps(info), f"{pack_bytes(args.out) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
