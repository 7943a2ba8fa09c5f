"""Vision speed on this CPU: face detection, classification, a whole 640x480 photo, a webcam stream.

Inputs are real faces from ../shared/data: a JAFFE photo enlarged into a 640x480
frame (a face about as big as one sitting at a laptop webcam) and CK+48 crops.
Calls the public API (``vision.read_emotion`` / ``vision.classify_faces``) with the
shipped weights, exactly as the app does: first on the numeric path chosen for this
CPU (or HARU_VISION_PRECISION), then the goal rows again with each other path forced.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import torch
from PIL import Image

from bench.common import Row, p50, p95, timeit
from core.config import load_config
from training.vision.data import load_ckplus, load_jaffe
from vision import ClassifierChoice, EmotionSmoother, classify_faces, read_emotion
from vision.api import default_detector
from vision.classifier import EmotionClassifier, WEIGHTS_DIR, default_classifier
from vision.detect import to_grey
from vision.precision import PATHS

BATCH = 16


def _frame() -> np.ndarray:
    paths, _ = load_jaffe()
    face = Image.open(paths[len(paths) // 2]).convert("RGB").resize((300, 300), Image.Resampling.BICUBIC)
    frame = np.full((480, 640, 3), 96, np.uint8)
    frame[:, :, 2] = np.linspace(40, 200, 640, dtype=np.uint8)  # a background that is not flat
    frame[90:390, 170:470] = np.asarray(face)
    return frame


PATH_NAMES = {"bf16": "bf16 autocast (torch)", "fp32": "fp32 (torch)", "int8": "int8 (ONNX Runtime)"}


def _goal_rows(classifier, detector, frame, faces, repeat: int, path: str) -> list[Row]:
    """The three goals: per face in a batch, a whole photo, and frames/s of a live stream."""
    note = ("threads: one per free core, chosen per call" if classifier.int8
            else f"torch threads {torch.get_num_threads()}")
    batch = [t / BATCH for t in timeit(lambda: classify_faces(faces, classifier=classifier), max(3, repeat // 5))]
    full = timeit(lambda: read_emotion(frame, classifier=classifier, detector=detector), repeat)
    rows = [Row("vision", f"classify_faces batch of {BATCH}, per face p50", p50(batch), "ms", "<= 10 ms", note, path),
            Row("vision", "read_emotion 640x480 photo p50", p50(full), "ms", "<= 40 ms", note, path),
            Row("vision", "read_emotion 640x480 photo p95", p95(full), "ms", "<= 40 ms", "", path)]
    smoother = EmotionSmoother()
    t0 = time.perf_counter()
    for _ in range(repeat):
        smoother.update(read_emotion(frame, classifier=classifier, detector=detector))
    rows.append(Row("vision", "webcam stream (read_emotion + smoother)", repeat / (time.perf_counter() - t0),
                    "frames/s", ">= 15 frames/s", "one frame at a time", path))
    return rows


def run(quick: bool = False) -> list[Row]:
    repeat = 10 if quick else 50
    choice = ClassifierChoice.from_config(load_config())
    t0 = time.perf_counter()
    EmotionClassifier.from_pretrained(WEIGHTS_DIR, precision=choice.precision, cache_dir=choice.cache_dir)
    rows = [Row("vision", "load model (config + fp16 safetensors)", (time.perf_counter() - t0) * 1000, "ms",
                note="int8: the quantised graph cached")]
    classifier, detector = default_classifier(choice), default_detector()
    chosen = f"{PATH_NAMES[classifier.path]}, chosen"
    frame = _frame()
    grey = to_grey(frame)

    def detect_and_align():
        detector.align(grey, detector.detect(grey)[0])

    det = timeit(detect_and_align, repeat)
    rows += [Row("vision", "face detect + eye alignment 640x480 p50", p50(det), "ms", "", "Haar cascades"),
             Row("vision", "face detect + eye alignment 640x480 p95", p95(det), "ms")]
    paths, _ = load_ckplus()
    faces = [np.asarray(Image.open(p)) for p in paths[:BATCH]]
    one = timeit(lambda: classify_faces(faces[:1], classifier=classifier), repeat)
    rows += [Row("vision", "classify one face p50", p50(one), "ms", "", "", chosen),
             Row("vision", "classify one face p95", p95(one), "ms", "", "", chosen)]
    rows += _goal_rows(classifier, detector, frame, faces, repeat, chosen)
    for path in PATHS:
        if path != classifier.path:
            forced = EmotionClassifier.from_pretrained(WEIGHTS_DIR, precision=path, cache_dir=choice.cache_dir)
            rows += _goal_rows(forced, detector, frame, faces, repeat, f"{PATH_NAMES[forced.path]}, forced")
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv[1:]):
        print(f"{row.metric:<52} {row.value:>9.2f} {row.unit:<8} {row.goal:<14} {row.path:<32} {row.note}")
