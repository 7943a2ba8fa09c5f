"""Accuracy, per-class recall, confusion, macro-F1 and calibration of the emotion model.

Sets (model selection and the temperature use PublicTest only):

* FER2013 PublicTest, scored against the FER+ majority (the unique largest of
  the 7 emotion vote counts, beating contempt, unknown and not-a-face) and
  against the original FER2013 labels (for comparison with the literature);
* CK+48 (48x48 crops, contempt left out: no FER2013 class);
* JAFFE full 256x256 images through the face detector (``read_emotion``),
  which also gives the detector's recall (every image holds one face).

ECE (expected calibration error, 15 equal-width confidence bins) is reported
with the raw softmax and with the fitted temperature.

    python -m vision.evaluate                 # the shipped weights
    python -m vision.evaluate --weights runs/vit_s84/best --json metrics.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from vision.api import read_emotion
from vision.classifier import WEIGHTS_DIR, EmotionClassifier
from vision.data import load_ckplus, load_fer, load_jaffe
from vision.detect import HaarFaceDetector
from vision.types import LABELS, NoFaceError

ECE_BINS = 15


def fit_temperature(logits: torch.Tensor, labels: np.ndarray) -> float:
    """Temperature minimising the negative log-likelihood of ``labels`` (searched on log T)."""
    y = torch.from_numpy(labels)
    logits = logits.double()

    def nll(log_t: float) -> float:
        return float(torch.nn.functional.cross_entropy(logits / np.exp(log_t), y))

    lo, hi = np.log(0.05), np.log(20.0)
    golden = (np.sqrt(5) - 1) / 2
    for _ in range(80):  # NLL is convex in 1/T, so a golden-section search on log T finds the minimum
        a, b = hi - golden * (hi - lo), lo + golden * (hi - lo)
        if nll(a) < nll(b):
            hi = b
        else:
            lo = a
    return float(np.exp((lo + hi) / 2))


def ece(probs: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS) -> float:
    conf, pred = probs.max(1), probs.argmax(1)
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        inside = (conf > lo) & (conf <= hi)
        if inside.any():
            total += inside.mean() * abs((pred[inside] == labels[inside]).mean() - conf[inside].mean())
    return float(total)


def scores(pred: np.ndarray, labels: np.ndarray, classes: list[int]) -> dict:
    """Accuracy, macro-F1 and per-class recall over ``classes``, plus the full 7x7 confusion matrix."""
    confusion = np.zeros((len(LABELS), len(LABELS)), np.int64)
    np.add.at(confusion, (labels, pred), 1)
    recall, f1 = {}, []
    for c in classes:
        tp = confusion[c, c]
        rec = tp / max(1, confusion[c].sum())
        prec = tp / max(1, confusion[:, c].sum())
        recall[LABELS[c]] = float(rec)
        f1.append(0.0 if tp == 0 else 2 * prec * rec / (prec + rec))
    return {"n": int(len(labels)), "accuracy": float((pred == labels).mean()), "macro_f1": float(np.mean(f1)),
            "recall": recall, "confusion": confusion.tolist()}


def softmax(logits: torch.Tensor, temperature: float = 1.0) -> np.ndarray:
    return torch.softmax(logits.double() / temperature, dim=1).numpy()


def evaluate_publictest(classifier: EmotionClassifier) -> dict:
    public = load_fer("PublicTest")
    logits = classifier.logits(public.images)
    majority = public.majority()
    has = majority >= 0
    temperature = fit_temperature(logits[has], majority[has])
    raw, scaled = softmax(logits), softmax(logits, temperature)
    all_classes = list(range(len(LABELS)))
    out = {"temperature_fitted": temperature, "temperature_used": classifier.temperature}
    for name, rows, labels in (("ferplus_majority", has, majority[has]), ("fer2013_labels", slice(None),
                                                                          public.fer_labels)):
        out[name] = scores(raw[rows].argmax(1), labels, all_classes)
        out[name]["ece_raw"] = ece(raw[rows], labels)
        out[name]["ece_temperature"] = ece(scaled[rows], labels)
    return out


def evaluate_ckplus(classifier: EmotionClassifier) -> dict:
    paths, labels = load_ckplus()
    faces = np.stack([np.asarray(Image.open(p).convert("L")) for p in paths])
    probs = classifier.probs(faces)
    out = scores(probs.argmax(1), labels, sorted(set(labels.tolist())))
    out["ece"] = ece(probs, labels)
    return out


def evaluate_jaffe(classifier: EmotionClassifier, detector: HaarFaceDetector | None = None) -> dict:
    paths, labels = load_jaffe()
    detector = detector or HaarFaceDetector()
    pred = np.full(len(paths), -1)
    probs = np.zeros((len(paths), len(LABELS)))
    for i, p in enumerate(paths):
        try:
            reading = read_emotion(p, classifier=classifier, detector=detector)
        except NoFaceError:
            continue
        pred[i] = LABELS.index(reading.label)
        probs[i] = [reading.probs[k] for k in LABELS]
    found = pred >= 0
    out = scores(pred[found], labels[found], list(range(len(LABELS))))
    out["detection_recall"] = float(found.mean())
    out["accuracy_all_images"] = float((pred == labels).mean())
    out["ece"] = ece(probs[found], labels[found]) if found.any() else float("nan")
    return out


def evaluate(classifier: EmotionClassifier, publictest: dict | None = None) -> dict:
    """All sets; ``publictest`` may be passed in when it was already computed (export fits T on it first)."""
    return {"model": classifier.name, "publictest": publictest or evaluate_publictest(classifier),
            "ckplus48": evaluate_ckplus(classifier), "jaffe": evaluate_jaffe(classifier)}


def format_report(metrics: dict) -> str:
    lines = [f"model: {metrics['model']}"]
    pt = metrics["publictest"]
    lines.append(f"temperature: fitted {pt['temperature_fitted']:.3f}, used {pt['temperature_used']:.3f}")
    sections = [("FER2013 PublicTest, FER+ majority", pt["ferplus_majority"]),
                ("FER2013 PublicTest, original FER2013 labels", pt["fer2013_labels"]),
                ("CK+48 (contempt left out)", metrics["ckplus48"]),
                ("JAFFE full images through the detector, detected faces", metrics["jaffe"])]
    for title, s in sections:
        lines += ["", f"== {title} (n={s['n']})",
                  f"accuracy {s['accuracy']:.4f}   macro-F1 {s['macro_f1']:.4f}"]
        if "ece_raw" in s:
            lines.append(f"ECE raw {s['ece_raw']:.4f}   ECE with temperature {s['ece_temperature']:.4f}")
        else:
            lines.append(f"ECE (with the model's temperature) {s['ece']:.4f}")
        if "detection_recall" in s:
            lines.append(f"face detection recall {s['detection_recall']:.4f}   accuracy over all images "
                         f"(a missed face counts as wrong) {s['accuracy_all_images']:.4f}")
        lines.append("recall: " + "  ".join(f"{k} {v:.3f}" for k, v in s["recall"].items()))
        lines.append("confusion (rows = truth, columns = prediction): " + " ".join(x[:3] for x in LABELS))
        lines += [f"  {LABELS[i]:<8} " + " ".join(f"{v:4d}" for v in row)
                  for i, row in enumerate(s["confusion"]) if sum(row)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Evaluate the emotion model on PublicTest, CK+48 and JAFFE.")
    p.add_argument("--weights", type=Path, default=WEIGHTS_DIR)
    p.add_argument("--json", type=Path, help="also write the metrics here")
    args = p.parse_args(argv)
    metrics = evaluate(EmotionClassifier.from_pretrained(args.weights))
    print(format_report(metrics))
    if args.json:
        args.json.write_text(json.dumps(metrics, indent=2))


if __name__ == "__main__":
    main()
