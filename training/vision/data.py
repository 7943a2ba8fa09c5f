"""Facial-expression data from ``../shared/data``, as compact arrays.

FER2013 ships as a 68 MB xz CSV; parsing it takes a while, so the first call
writes one ``.npz`` per split into a cache folder (ignored by git) and later
calls, training on another machine included, read that.

Labels: training uses the FER+ votes (10 annotators per face) as soft targets
over the 7 FER2013 classes. ``contempt`` has no FER2013 class, so its votes are
dropped from the targets; a row is kept only if its largest emotion vote beats
the contempt, unknown and not-a-face votes. Evaluation uses the FER+ majority:
the unique largest of the 7 emotion vote counts, beating contempt, unknown and
not-a-face (rows without one are left out of that metric).
"""

from __future__ import annotations

import csv
import hashlib
import json
import lzma
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vision.types import LABELS

REPO = Path(__file__).resolve().parents[2]
# FER+ column order -> FER2013 label order (angry, disgust, fear, happy, sad, surprise, neutral).
FERPLUS_TO_FER = ("anger", "disgust", "fear", "happiness", "sadness", "surprise", "neutral")
FERPLUS_EXTRA = ("contempt", "unknown", "NF")
CKPLUS_TO_LABEL = {"anger": "angry", "sadness": "sad", "disgust": "disgust", "fear": "fear",
                   "happy": "happy", "surprise": "surprise"}  # contempt has no FER2013 class


def shared_data() -> Path:
    return Path(os.environ.get("HARU_SHARED_DATA", REPO / ".." / "shared" / "data")).resolve()


def cache_dir() -> Path:
    return Path(os.environ.get("HARU_FER_CACHE", REPO / ".cache" / "fer"))


@dataclass(frozen=True)
class FerSplit:
    images: np.ndarray      # (N, 48, 48) uint8
    fer_labels: np.ndarray  # (N,) int64, original FER2013 label
    votes: np.ndarray       # (N, 7) float32, FER+ emotion votes in LABELS order
    extra: np.ndarray       # (N, 3) float32, contempt / unknown / not-a-face votes
    rows: np.ndarray        # (N,) int64, row in the original fer2013.csv

    def __len__(self) -> int:
        return len(self.images)

    def majority(self) -> np.ndarray:
        """FER+ majority label per row, -1 where there is none (see module doc)."""
        top = self.votes.max(1)
        unique = (self.votes == top[:, None]).sum(1) == 1
        beats_extra = top > self.extra.max(1)
        return np.where(unique & beats_extra, self.votes.argmax(1), -1)

    def trainable(self) -> np.ndarray:
        """Rows worth training on: some emotion out-votes contempt, unknown and not-a-face."""
        return self.votes.max(1) > self.extra.max(1)

    def subset(self, mask: np.ndarray) -> "FerSplit":
        return FerSplit(self.images[mask], self.fer_labels[mask], self.votes[mask], self.extra[mask],
                        self.rows[mask])


def _parse_fer(root: Path) -> dict[str, dict[str, np.ndarray]]:
    votes: dict[int, list[float]] = {}
    with open(root / "ferplus_votes_train_public.csv", newline="") as f:
        for rec in csv.DictReader(f):
            votes[int(rec["row"])] = [float(rec[k]) for k in FERPLUS_TO_FER + FERPLUS_EXTRA]
    out: dict[str, dict[str, list]] = {}
    with lzma.open(root / "fer2013_train_public.csv.xz", "rt", newline="") as f:
        for rec in csv.DictReader(f):
            split = out.setdefault(rec["Usage"], {"images": [], "fer_labels": [], "votes": [], "rows": []})
            row = int(rec["row"])
            split["images"].append(np.array(rec["pixels"].split(), dtype=np.uint8).reshape(48, 48))
            split["fer_labels"].append(int(rec["emotion"]))
            split["votes"].append(votes[row])
            split["rows"].append(row)
    return {name: {k: np.stack(v) if k == "images" else np.asarray(v) for k, v in d.items()}
            for name, d in out.items()}


def load_fer(split: str) -> FerSplit:
    """``split`` is ``"Training"`` or ``"PublicTest"`` (PrivateTest is held out and not available)."""
    path = cache_dir() / f"{split}.npz"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        for name, arrays in _parse_fer(shared_data() / "fer2013").items():
            tmp = path.parent / f"{name}.tmp.npz"
            np.savez_compressed(tmp, **arrays)
            tmp.replace(path.parent / f"{name}.npz")
    with np.load(path) as z:
        votes = z["votes"].astype(np.float32)
        return FerSplit(z["images"], z["fer_labels"].astype(np.int64), votes[:, :len(LABELS)],
                        votes[:, len(LABELS):], z["rows"].astype(np.int64))


@dataclass(frozen=True)
class PosedSet:
    """One posed-expression set: files, labels (LABELS index) and the person in each."""
    name: str
    paths: tuple[Path, ...]
    labels: np.ndarray       # (N,) int64
    subjects: tuple[str, ...]
    agrees: np.ndarray       # (N,) bool: observers agree with the posed label (True where not rated)

    def __len__(self) -> int:
        return len(self.paths)

    def part(self, part: str) -> PosedSet:
        """``"train"`` or ``"test"`` rows of the committed subject-disjoint split; ``"all"`` is everything."""
        if part == "all":
            return self
        chosen = set(load_splits()[self.name][part])
        keep = np.array([s in chosen for s in self.subjects], bool)
        idx = np.flatnonzero(keep)
        return PosedSet(self.name, tuple(self.paths[i] for i in idx), self.labels[idx],
                        tuple(self.subjects[i] for i in idx), self.agrees[idx])


def ckplus_set() -> PosedSet:
    """CK+48 48x48 crops; contempt is left out. Subject = the ``S<nnn>`` file-name prefix."""
    paths, labels = [], []
    for folder, name in sorted(CKPLUS_TO_LABEL.items()):
        for p in sorted((shared_data() / "ckplus48" / folder).glob("*.png")):
            paths.append(p)
            labels.append(LABELS.index(name))
    subjects = tuple(re.match(r"(S\d+)_", p.name).group(1) for p in paths)
    return PosedSet("ckplus48", tuple(paths), np.asarray(labels), subjects, np.ones(len(paths), bool))


def jaffe_set() -> PosedSet:
    """JAFFE full 256x256 images (one face each). Subject = the poser code before the first dot."""
    paths, labels = [], []
    for name in LABELS:
        for p in sorted((shared_data() / "jaffe" / name).glob("*.tiff")):
            paths.append(p)
            labels.append(LABELS.index(name))
    subjects = tuple(p.name.split(".")[0] for p in paths)
    return PosedSet("jaffe", tuple(paths), np.asarray(labels), subjects, np.ones(len(paths), bool))


def faces_real_set() -> PosedSet:
    """faces_real/taiwanese_performers: 256x256 colour photos, posed label, performer, observer agreement."""
    root = shared_data() / "faces_real" / "taiwanese_performers"
    with open(root / "labels.csv", newline="") as f:
        rows = sorted(csv.DictReader(f), key=lambda r: r["file"])
    return PosedSet("faces_real", tuple(root / r["file"] for r in rows),
                    np.asarray([LABELS.index(r["label"]) for r in rows]), tuple(r["performer"] for r in rows),
                    np.asarray([r["observer_agrees"] != "0" for r in rows]))


def load_ckplus() -> tuple[list[Path], np.ndarray]:
    """All CK+48 image paths and labels (LABELS index)."""
    s = ckplus_set()
    return list(s.paths), s.labels


def load_jaffe() -> tuple[list[Path], np.ndarray]:
    """All JAFFE image paths and labels (LABELS index)."""
    s = jaffe_set()
    return list(s.paths), s.labels


POSED_SETS = {"ckplus48": ckplus_set, "jaffe": jaffe_set, "faces_real": faces_real_set}
SPLITS_FILE = Path(__file__).resolve().parent / "splits.json"
SPLIT_SEED = 18
TEST_FRACTION = 0.4


def make_splits(seed: int = SPLIT_SEED, test_fraction: float = TEST_FRACTION) -> dict:
    """Subject-disjoint train/test split of every posed set: sorted subjects, one seeded shuffle, the first
    ``round(test_fraction * n)`` are test. Made once, before any tuning, and committed as ``splits.json``."""
    out = {"seed": seed, "test_fraction": test_fraction,
           "rule": "per set: sorted unique subjects, numpy default_rng(seed).permutation, first "
                   "round(test_fraction * n) are test, the rest train"}
    for name, loader in POSED_SETS.items():
        subjects = sorted(set(loader().subjects))
        order = np.random.default_rng(seed).permutation(len(subjects))
        n_test = round(test_fraction * len(subjects))
        out[name] = {"test": sorted(subjects[i] for i in order[:n_test]),
                     "train": sorted(subjects[i] for i in order[n_test:])}
    return out


def load_splits() -> dict:
    return json.loads(SPLITS_FILE.read_text())


@dataclass(frozen=True)
class PosedCrops:
    """Faces of a :class:`PosedSet` cut out exactly as ``read_emotion`` does (48x48 sets are used as they are)."""
    grey: np.ndarray    # (N, 48, 48) uint8, what the classifier sees
    rgb: np.ndarray     # (N, 48, 48, 3) uint8, the same crop in colour (grey sets: repeated)
    found: np.ndarray   # (N,) bool, a face was detected
    faces: np.ndarray   # (N,) int64, faces the detector saw


def posed_crops(posed: PosedSet) -> PosedCrops:
    """Detect, level the eyes and crop every image of ``posed`` (cached per set in the cache folder)."""
    from vision.detect import HaarFaceDetector, crop_face, to_grey
    from vision.io import load_rgb

    key = hashlib.sha1("\n".join(p.name for p in posed.paths).encode()).hexdigest()[:10]
    path = cache_dir().parent / "posed" / f"{posed.name}-{len(posed)}-{key}.npz"
    if path.exists():
        with np.load(path) as z:
            return PosedCrops(z["grey"], z["rgb"], z["found"], z["faces"])
    detector = HaarFaceDetector()
    grey_out = np.zeros((len(posed), 48, 48), np.uint8)
    rgb_out = np.zeros((len(posed), 48, 48, 3), np.uint8)
    faces = np.zeros(len(posed), np.int64)
    for i, p in enumerate(posed.paths):
        rgb = load_rgb(p)
        grey = to_grey(rgb)
        if grey.shape == (48, 48):  # CK+48: already a face crop, classified as it is
            grey_out[i], rgb_out[i], faces[i] = grey, rgb, 1
            continue
        boxes = detector.detect(grey)
        faces[i] = len(boxes)
        if boxes:
            face = detector.align(grey, boxes[0])
            grey_out[i] = crop_face(grey, face)
            rgb_out[i] = np.stack([crop_face(np.ascontiguousarray(rgb[..., c]), face) for c in range(3)], -1)
    crops = PosedCrops(grey_out, rgb_out, faces > 0, faces)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, grey=crops.grey, rgb=crops.rgb, found=crops.found, faces=crops.faces)
    return crops


if __name__ == "__main__":
    SPLITS_FILE.write_text(json.dumps(make_splits(), indent=1) + "\n")
    print(f"wrote {SPLITS_FILE}")
