"""Ship a training run's best weights: fp16 transformers files, fitted temperature, metrics.

    python -m vision.export --run runs/vit_s84 --out vision/weights

Writes ``config.json`` + ``model.safetensors`` (fp16: half the size, and the
classifier computes in float32, bf16 or int8 anyway), ``calibration.json`` (temperature
fitted on FER2013 PublicTest FER+ majority, with the fp16 weights as shipped)
and ``metrics.json`` (everything ``python -m vision.evaluate`` reports).
The model card ``README.md`` beside them is written by hand from those numbers.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from vision.classifier import CALIBRATION_FILE, WEIGHTS_DIR, EmotionClassifier
from vision.evaluate import evaluate, evaluate_publictest, format_report


def export(run: Path, out: Path, name: str) -> dict:
    from transformers import ViTForImageClassification

    model = ViTForImageClassification.from_pretrained(run / "best", dtype=torch.float32)
    out.mkdir(parents=True, exist_ok=True)
    model.to(torch.float16).save_pretrained(out)
    # Temperature and metrics from float32, the reference the other numeric paths are checked against.
    classifier = EmotionClassifier.from_pretrained(out, temperature=1.0, name=name, precision="fp32")
    publictest = evaluate_publictest(classifier)
    temperature = publictest["temperature_fitted"]
    classifier.temperature = temperature  # CK+ and JAFFE calibration are then measured as users get it
    metrics = evaluate(classifier, publictest)
    training = json.loads((run / "args.json").read_text())
    best = json.loads((run / "best" / "metrics.json").read_text())
    (out / CALIBRATION_FILE).write_text(json.dumps(
        {"name": name, "temperature": temperature,
         "fitted_on": "FER2013 PublicTest, FER+ majority rows, negative log-likelihood",
         "training": training, "best_step": best["step"]}, indent=2) + "\n")
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Export a run's best checkpoint into vision/weights.")
    p.add_argument("--run", type=Path, default=Path("runs/vit_s84"))
    p.add_argument("--out", type=Path, default=WEIGHTS_DIR)
    p.add_argument("--name", default="haru-vit-s14-ferplus-84")
    args = p.parse_args(argv)
    metrics = export(args.run, args.out, args.name)
    print(format_report(metrics))


if __name__ == "__main__":
    main()
