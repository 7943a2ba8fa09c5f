"""Train the emotion model: FER2013 with FER+ soft labels plus the posed photo sets; or distil a DeiT student.

Teacher: continue from a ViT (the shipped one or a converted DINOv2) on FER2013
``Training`` (FER+ vote distributions as targets) mixed with the *training
subjects* of CK+48, JAFFE and faces_real (``training/vision/splits.json``; the held-out
subjects are never read here), each posed set class-balanced, with
augmentation towards camera photos (``training.vision.mixture.augment``).

Student (``--student-of TEACHER``): a ``DeiTForImageClassificationWithTeacher``
with fewer layers and a smaller input, initialised from the teacher's layers,
trained on the same data and augmentation: its class head learns the targets,
its distillation head the teacher's probabilities on the same augmented face.

Schedule: linear warm-up, then cosine to zero over a fixed number of steps,
stored in the checkpoint. ``--budget-minutes`` chooses that number from the
speed measured during warm-up (the warm-up learning rate does not depend on
it), so a GPU session of known length ends on an annealed model.

Exact resume: each step's batch (sampled with the data weights) and its
augmentation derive from ``(seed, step)``; the checkpoint holds model,
optimiser, scheduler, step and RNG states and is written atomically every
``--checkpoint-minutes`` and at the end. PublicTest (FER+ majority) is scored
every ``--eval-every`` steps; ``best/`` keeps the best of those and ``final/``
the end of the schedule (transformers format).

    python -m training.vision.train --init vision/weights --out runs/teacher --budget-minutes 60
    python -m training.vision.train --student-of runs/teacher/final --out runs/student --budget-minutes 60
    # the same command again resumes from <out>/last.pt
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from training.vision.checkpoint import load_checkpoint, save_checkpoint
from training.vision.data import FerSplit
from training.vision.mixture import TrainData, augment, build_data
from training.vision.student import make_student
from vision.preprocess import to_input

log = logging.getLogger(__name__)


def param_groups(model, lr: float, layer_decay: float, weight_decay: float) -> list[dict]:
    """Lower layers move less: layer i of L gets ``lr * decay**(L - i)``, the embeddings one step less."""
    n_layers = model.config.num_hidden_layers
    groups: dict[tuple[int, bool], dict] = {}
    for name, p in model.named_parameters():
        layer = re.search(r"\.layers?\.(\d+)\.", name)
        if ".embeddings." in name:
            depth = 0
        elif layer:
            depth = int(layer.group(1)) + 1
        else:  # final layer norm and classifier heads
            depth = n_layers + 1
        no_decay = p.ndim == 1 or name.endswith(("cls_token", "distillation_token", "position_embeddings"))
        key = (depth, no_decay)
        if key not in groups:
            groups[key] = {"params": [], "lr": lr * layer_decay ** (n_layers + 1 - depth),
                           "weight_decay": 0.0 if no_decay else weight_decay}
        groups[key]["params"].append(p)
    return list(groups.values())


def soft_ce(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return -(target * F.log_softmax(logits.float(), 1)).sum(1).mean()


def logits_of(model, faces: np.ndarray, device: torch.device, bf16: bool, batch_size: int = 256) -> torch.Tensor:
    """Inference logits through the one input path, ``vision.preprocess.to_input``."""
    model.eval()
    out = []
    with torch.inference_mode(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
        for start in range(0, len(faces), batch_size):
            x = to_input(faces[start:start + batch_size], model.config.image_size).to(device)
            out.append(model(pixel_values=x).logits.float().cpu())
    return torch.cat(out)


def evaluate_public(model, public: FerSplit, device: torch.device, bf16: bool) -> dict:
    pred = logits_of(model, public.images, device, bf16).argmax(1).numpy()
    majority = public.majority()
    has = majority >= 0
    return {"ferplus_acc": float((pred[has] == majority[has]).mean()),
            "fer2013_acc": float((pred == public.fer_labels).mean())}


def lr_factor(step: int, warmup: int, total: int | None) -> float:
    if step < warmup or total is None:
        return (min(step, warmup - 1) + 1) / warmup
    return 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warmup) / max(1, total - warmup))))


@dataclass
class Run:
    """Everything one training run carries between steps; ``state`` is the part saved in the checkpoint."""
    args: argparse.Namespace
    device: torch.device
    bf16: bool
    out: Path
    data: TrainData
    model: torch.nn.Module
    teacher: torch.nn.Module | None
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LambdaLR
    state: dict

    @property
    def last(self) -> Path:
        return self.out / "last.pt"


def epoch_steps(args, n_images: int) -> int:
    return int(args.epochs * n_images / args.batch_size)


def load_models(args, device: torch.device) -> tuple[torch.nn.Module, torch.nn.Module | None]:
    """The model to train, on ``device``, and the frozen teacher when distilling (else None)."""
    from transformers import AutoModelForImageClassification

    teacher = None
    if args.student_of:
        teacher = AutoModelForImageClassification.from_pretrained(args.student_of, dtype=torch.float32).to(device).eval()
        model = make_student(teacher, args.student_layers, args.student_size)
    else:
        model = AutoModelForImageClassification.from_pretrained(args.init, dtype=torch.float32)
    return model.to(device), teacher


def start(args) -> Run:
    """Seed, load the data and models, and build the optimiser and schedule; resume from ``last.pt`` if present."""
    torch.set_num_threads(args.threads)
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                          "cpu" if args.device == "auto" else args.device)
    bf16 = args.bf16 if args.bf16 is not None else device.type == "cuda"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    random.seed(args.seed)
    data = build_data(args, device)
    model, teacher = load_models(args, device)
    optimizer = torch.optim.AdamW(param_groups(model, args.lr, args.layer_decay, args.weight_decay),
                                  betas=(0.9, 0.999))
    state = {"step": 0, "best": -1.0, "history": [], "total": args.total_steps or None}
    if not state["total"] and not args.budget_minutes:
        state["total"] = epoch_steps(args, len(data.images))
    # the lambda reads state["total"] at each step: a budgeted run fixes it after warm-up timing
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(step, args.warmup_steps, state["total"]))
    run = Run(args, device, bf16, out, data, model, teacher, optimizer, scheduler, state)
    if run.last.exists():
        load_checkpoint(run.last, device, model, optimizer, scheduler, state)
        log.info("resumed at step %d of %s", state["step"], state["total"])
    return run


def train_step(run: Run) -> torch.Tensor:
    """One optimiser step on the batch and augmentation of ``(seed, step)``; returns the loss."""
    args, state, model, teacher = run.args, run.state, run.model, run.teacher
    step = state["step"]
    sizes = (model.config.image_size,) + ((teacher.config.image_size,) if teacher is not None else ())
    gen = torch.Generator(run.device).manual_seed(args.seed * 1_000_003 + step)
    batch = torch.multinomial(run.data.weights, args.batch_size, replacement=True, generator=gen)
    inputs = augment(run.data.images[batch], sizes, gen)
    targets = run.data.targets[batch]
    with torch.autocast(run.device.type, dtype=torch.bfloat16, enabled=run.bf16):
        output = model(pixel_values=inputs[0])
        if teacher is not None:
            with torch.no_grad():
                teacher_probs = teacher(pixel_values=inputs[1]).logits.float().softmax(1)
    if teacher is None:
        loss = soft_ce(output.logits, targets)
    else:
        loss = 0.5 * soft_ce(output.cls_logits, targets) + 0.5 * soft_ce(output.distillation_logits, teacher_probs)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
    run.optimizer.step()
    run.optimizer.zero_grad(set_to_none=True)
    run.scheduler.step()
    state["step"] = step + 1
    return loss


def fix_budget(run: Run, timer: float | None) -> float | None:
    """Budgeted run: time steps 10..30 (after the first kernels are built), then fix the total; returns the timer."""
    args, state = run.args, run.state
    if state["step"] == 10:
        return time.monotonic()
    if state["step"] == 30:
        per_step = (time.monotonic() - timer) / 20
        state["total"] = max(args.warmup_steps + 1, int(args.budget_minutes * 60 / per_step))
        if args.epochs:
            state["total"] = min(state["total"], epoch_steps(args, len(run.data.images)))
        log.info("%.1f ms/step: %d steps fit in %.1f minutes", per_step * 1000, state["total"], args.budget_minutes)
    return timer


def eval_and_keep(run: Run) -> None:
    """Score PublicTest, append it to the history and keep the best model so far in ``best/``."""
    state, out = run.state, run.out
    metrics = evaluate_public(run.model, run.data.public, run.device, run.bf16)
    metrics["step"] = state["step"]
    state["history"].append(metrics)
    log.info("step %d PublicTest FER+ %.4f FER2013 %.4f", state["step"], metrics["ferplus_acc"], metrics["fer2013_acc"])
    if metrics["ferplus_acc"] > state["best"]:
        state["best"] = metrics["ferplus_acc"]
        run.model.save_pretrained(out / "best")
        (out / "best" / "metrics.json").write_text(json.dumps(metrics, indent=2))
    (out / "history.json").write_text(json.dumps(state["history"], indent=2))
    run.model.train()


def train(args) -> dict:
    run = start(args)
    state, out = run.state, run.out
    last_save = t0 = time.monotonic()
    seen, timer = 0, None
    run.model.train()
    while state["total"] is None or state["step"] < min(state["total"], args.stop_at_step or state["total"]):
        loss = train_step(run)
        seen += args.batch_size
        if state["total"] is None:
            timer = fix_budget(run, timer)
        if state["step"] % args.log_every == 0:
            log.info("step %d/%s loss %.4f lr %.2e %.0f img/s", state["step"], state["total"], loss.item(),
                     run.scheduler.get_last_lr()[-1], seen / (time.monotonic() - t0))
        if state["step"] % args.eval_every == 0 or state["step"] == state["total"]:
            eval_and_keep(run)
        done = state["step"] == state["total"]
        stopping = state["step"] == args.stop_at_step or (
            args.max_minutes and time.monotonic() - t0 > args.max_minutes * 60)
        if time.monotonic() - last_save > args.checkpoint_minutes * 60 or done or stopping:
            save_checkpoint(run.last, run.model, run.optimizer, run.scheduler, state)
            last_save = time.monotonic()
        if done:
            run.model.save_pretrained(out / "final")
            (out / "final" / "metrics.json").write_text(json.dumps(state["history"][-1], indent=2))
        if stopping and not done:
            log.info("stopping at step %d; run again to resume", state["step"])
            break
    (out / "args.json").write_text(json.dumps({**vars(args), "total_steps": state["total"]}, indent=2, default=str))
    return state


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Train the ViT emotion model or distil a DeiT student (resumable).")
    p.add_argument("--init", default="vision/weights", help="model folder to start from (teacher)")
    p.add_argument("--student-of", help="teacher folder: distil a DeiT student from it instead")
    p.add_argument("--student-layers", type=int, default=6)
    p.add_argument("--student-size", type=int, default=70, help="student input side (a multiple of the patch)")
    p.add_argument("--out", default="runs/teacher")
    p.add_argument("--pack", help="read the data from a training.vision.pack folder instead of ../shared/data")
    p.add_argument("--epochs", type=float, default=3.5, help="schedule length, or its cap with --budget-minutes")
    p.add_argument("--total-steps", type=int, default=0, help="overrides --epochs")
    p.add_argument("--budget-minutes", type=float, default=0,
                   help="choose the schedule length from the measured speed to fit this long")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-4, help="head learning rate, peak")
    p.add_argument("--layer-decay", type=float, default=0.85)
    p.add_argument("--weight-decay", type=float, default=0.05)
    p.add_argument("--warmup-steps", type=int, default=200)
    p.add_argument("--clip", type=float, default=1.0)
    p.add_argument("--posed-share", type=float, default=0.25, help="share of draws from the posed sets' training part")
    p.add_argument("--fer-balance", type=float, default=0.25, help="FER rows weighted by class prior ** -this")
    p.add_argument("--label-smoothing", type=float, default=0.1, help="for the posed sets' one-hot labels")
    p.add_argument("--limit-rows", type=int, default=0, help="use only the first N FER Training and PublicTest rows (smoke tests)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", help="auto (cuda when present), cpu or cuda")
    p.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", "1")))
    p.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=None,
                   help="bf16 autocast (default: on a GPU only)")
    p.add_argument("--eval-every", type=int, default=800)
    p.add_argument("--log-every", type=int, default=20)
    p.add_argument("--checkpoint-minutes", type=float, default=5.0)
    p.add_argument("--max-minutes", type=float, default=0, help="checkpoint and stop after this long (a session's "
                   "budget); the schedule is unchanged, the next run resumes")
    p.add_argument("--stop-at-step", type=int, default=0, help="checkpoint and stop at this step (schedule unchanged)")
    args = p.parse_args(argv)
    if args.budget_minutes and args.warmup_steps <= 30:
        p.error("--budget-minutes times steps 10-30 inside the warm-up: give --warmup-steps above 30")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    train(args)


if __name__ == "__main__":
    main()
