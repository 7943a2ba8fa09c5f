"""Ship a trained model: fp16 transformers files, fitted temperature, metrics.

    python -m training.vision.export --model runs/teacher/final --out vision/weights
    python -m training.vision.export --model runs/student/final --out vision/weights/deit_student --name ...

Writes ``config.json`` + ``model.safetensors`` (fp16: half the size; the
classifier computes in float32, bf16 or int8), ``calibration.json`` (temperature
fitted on FER2013 PublicTest FER+ majority in float32, with the fp16 weights as
shipped, plus the training arguments and PublicTest history when the folder has them)
and ``metrics.json`` (everything ``python -m training.vision.evaluate`` reports).
``--metrics`` reuses an evaluation already made of the same fp16 weights
(a CPU evaluation takes minutes). The model card ``README.md`` beside them is
written by hand from those numbers.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from training.vision.evaluate import evaluate, format_report, load_classifier
from vision.classifier import CALIBRATION_FILE, WEIGHTS_DIR


def export(source: Path, out: Path, name: str, metrics: dict | None = None) -> dict:
    from transformers import AutoModelForImageClassification

    model = AutoModelForImageClassification.from_pretrained(source, dtype=torch.float32)
    out.mkdir(parents=True, exist_ok=True)
    model.to(torch.float16).save_pretrained(out)
    if metrics is None:
        metrics = evaluate(load_classifier(out, temperature=1.0, name=name))
    metrics["model"] = name
    info = {"name": name, "temperature": metrics["publictest"]["temperature_fitted"],
            "fitted_on": "FER2013 PublicTest, FER+ majority rows, negative log-likelihood"}
    for key, file in (("training", "args.json"), ("publictest_history", "history.json")):
        if (source / file).is_file():
            info[key] = json.loads((source / file).read_text())
    for key, value in info.get("training", {}).items():  # folder names only: where the run lay means nothing here
        if isinstance(value, str) and "/" in value:
            info["training"][key] = Path(value).name
    (out / CALIBRATION_FILE).write_text(json.dumps(info, indent=2) + "\n")
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Export a trained model folder into vision/weights.")
    p.add_argument("--model", type=Path, required=True, help="transformers folder (a run's final/ or best/)")
    p.add_argument("--out", type=Path, default=WEIGHTS_DIR)
    p.add_argument("--name", default="haru-vit-s14-ferplus-photo-84")
    p.add_argument("--metrics", type=Path, help="training.vision.evaluate --json output for these same fp16 weights")
    args = p.parse_args(argv)
    metrics = json.loads(args.metrics.read_text()) if args.metrics else None
    print(format_report(export(args.model, args.out, args.name, metrics)))


if __name__ == "__main__":
    main()
