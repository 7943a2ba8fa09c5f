"""Accuracy, per-class recall, confusion, macro-F1, calibration and no-face rate of the emotion model.

Sets (model selection and the temperature use PublicTest only):

* FER2013 PublicTest, scored against the FER+ majority (the unique largest of
  the 7 emotion vote counts, beating contempt, unknown and not-a-face) and
  against the original FER2013 labels (for comparison with the literature);
* the held-out subjects (``training/vision/splits.json``) of CK+48 (48x48 crops, used
  as they are; contempt left out), JAFFE (256x256 grey photos) and faces_real
  (256x256 colour photos of 12 Taiwanese performers; also the subset whose
  posed label the ~100 raters agreed with). Photos go through the detector,
  eye levelling and crop exactly as ``read_emotion`` does
  (``training.vision.data.posed_crops``), then one batch through the classifier; a
  photo without a face counts as wrong in ``accuracy_all_images`` and is
  reported as ``no_face_rate``.

Computed in float32 (the same numbers on every CPU). ECE: 15 equal-width
confidence bins, raw softmax and with the fitted temperature.

    python -m training.vision.evaluate                 # the shipped weights
    python -m training.vision.evaluate --weights runs/x/final --json metrics.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from training.vision.data import POSED_SETS, load_fer, posed_crops
from vision.classifier import WEIGHTS_DIR, EmotionClassifier
from vision.types import LABELS

ECE_BINS = 15
PHOTO_SETS = ("ckplus48", "jaffe", "faces_real")


def load_classifier(path: Path, **kwargs) -> EmotionClassifier:
    """The model in ``path`` (the ViT teacher or the DeiT student) on the float32 path, the reference the
    other numeric paths are checked against."""
    return EmotionClassifier.from_pretrained(path, precision="fp32", **kwargs)


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
            "recall": recall, "min_recall": float(min(recall.values())), "confusion": confusion.tolist()}


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


def evaluate_photos(classifier: EmotionClassifier, name: str, part: str = "test",
                    temperature: float | None = None) -> dict:
    """One posed set's ``part`` through detector + classifier; faces_real also on its rater-agreed subset.
    ECE with the classifier's temperature and, when given, with ``temperature`` (the one PublicTest fits)."""
    posed = POSED_SETS[name]()
    crops = posed_crops(posed)
    keep = np.isin(np.asarray(posed.subjects), posed.part(part).subjects)
    labels, found, agrees = posed.labels[keep], crops.found[keep], posed.agrees[keep]
    logits = classifier.logits(crops.grey[keep][found]) if found.any() else torch.zeros(0, len(LABELS))
    probs = softmax(logits, classifier.temperature)
    pred = np.full(len(labels), -1)
    pred[found] = probs.argmax(1)
    classes = sorted(set(labels.tolist()))
    out = scores(pred[found], labels[found], classes)
    out.update(no_face_rate=float(1 - found.mean()), accuracy_all_images=float((pred == labels).mean()),
               ece=ece(probs, labels[found]), subjects=len(set(np.asarray(posed.subjects)[keep])))
    if temperature is not None:
        out["ece_fitted_temperature"] = ece(softmax(logits, temperature), labels[found])
    if not agrees.all():
        sub = found & agrees
        out["raters_agree"] = scores(pred[sub], labels[sub], classes)
    return out


def evaluate(classifier: EmotionClassifier, publictest: dict | None = None) -> dict:
    """All sets; ``publictest`` may be passed in when it was already computed (export fits T on it first)."""
    publictest = publictest or evaluate_publictest(classifier)
    return {"model": classifier.name, "publictest": publictest,
            **{name: evaluate_photos(classifier, name, temperature=publictest["temperature_fitted"])
               for name in PHOTO_SETS}}


def format_report(metrics: dict) -> str:
    lines = [f"model: {metrics['model']}"]
    pt = metrics["publictest"]
    lines.append(f"temperature: fitted {pt['temperature_fitted']:.3f}, used {pt['temperature_used']:.3f}")
    sections = [("FER2013 PublicTest, FER+ majority", pt["ferplus_majority"]),
                ("FER2013 PublicTest, original FER2013 labels", pt["fer2013_labels"]),
                ("CK+48 held-out subjects (contempt left out)", metrics["ckplus48"]),
                ("JAFFE held-out posers, photos through the detector", metrics["jaffe"]),
                ("faces_real held-out performers, colour photos through the detector", metrics["faces_real"])]
    if "raters_agree" in metrics["faces_real"]:
        sections.append(("faces_real held-out, only photos the raters read as posed",
                         metrics["faces_real"]["raters_agree"]))
    for title, s in sections:
        lines += ["", f"== {title} (n={s['n']})",
                  f"accuracy {s['accuracy']:.4f}   macro-F1 {s['macro_f1']:.4f}   lowest recall {s['min_recall']:.3f}"]
        if "ece_raw" in s:
            lines.append(f"ECE raw {s['ece_raw']:.4f}   ECE with temperature {s['ece_temperature']:.4f}")
        elif "ece" in s:
            lines.append(f"ECE with the model's temperature {s['ece']:.4f}" + (
                f"   with the fitted one {s['ece_fitted_temperature']:.4f}" if "ece_fitted_temperature" in s else ""))
        if "no_face_rate" in s:
            lines.append(f"no face found {s['no_face_rate']:.4f}   accuracy over all images "
                         f"(a missed face counts as wrong) {s['accuracy_all_images']:.4f}")
        lines.append("recall: " + "  ".join(f"{k} {v:.3f}" for k, v in s["recall"].items()))
        lines.append("confusion (rows = truth, columns = prediction): " + " ".join(x[:3] for x in LABELS))
        lines += [f"  {LABELS[i]:<8} " + " ".join(f"{v:4d}" for v in row)
                  for i, row in enumerate(s["confusion"]) if sum(row)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Evaluate the emotion model on PublicTest and the held-out photo sets.")
    p.add_argument("--weights", type=Path, default=WEIGHTS_DIR)
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    p.add_argument("--json", type=Path, help="also write the metrics here")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    metrics = evaluate(load_classifier(args.weights))
    print(format_report(metrics))
    if args.json:
        args.json.write_text(json.dumps(metrics, indent=2))


if __name__ == "__main__":
    main()
