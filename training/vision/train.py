"""Train the emotion model: FER2013 with FER+ soft labels plus the posed photo sets; or distil a DeiT student.

Teacher: continue from a ViT (the shipped one or a converted DINOv2) on FER2013
``Training`` (FER+ vote distributions as targets) mixed with the *training
subjects* of CK+48, JAFFE and faces_real (``training/vision/splits.json``; the held-out
subjects are never read here), each posed set class-balanced, with
augmentation towards camera photos (``augment``).

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

from training.vision.data import FerSplit, load_fer
from training.vision.pack import load_pack, posed_training_crops
from vision.preprocess import to_input

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainData:
    images: torch.Tensor    # (N, 48, 48, 3) uint8; FER faces are grey in all three channels
    targets: torch.Tensor   # (N, 7) float32 distributions
    weights: torch.Tensor   # (N,) float64 sampling weights
    public: FerSplit        # PublicTest, for the FER+ majority score during training


def mix_weights(fer_votes: np.ndarray, posed_labels: np.ndarray, posed_source: np.ndarray, *,
                posed_share: float, fer_balance: float) -> np.ndarray:
    """Sampling weights: FER rows by ``prior(top vote) ** -fer_balance``; each posed set class-balanced, the
    posed sets together ``posed_share`` of all draws, shared between sets by their size."""
    top = fer_votes.argmax(1)
    prior = np.bincount(top, minlength=fer_votes.shape[1]) / len(top)
    fer_w = prior[top] ** -fer_balance
    fer_w /= fer_w.sum()
    posed_w = np.zeros(len(posed_labels))
    for s in np.unique(posed_source):
        in_set = posed_source == s
        counts = np.bincount(posed_labels[in_set], minlength=fer_votes.shape[1])
        posed_w[in_set] = in_set.sum() / counts[posed_labels[in_set]] / len(np.unique(posed_labels[in_set]))
    if posed_w.sum() > 0 and posed_share > 0:
        posed_w *= posed_share / posed_w.sum()
        fer_w *= 1 - posed_share
    else:
        posed_w[:] = 0
    return np.concatenate([fer_w, posed_w])


def build_data(args, device: torch.device) -> TrainData:
    if args.pack:
        packed = load_pack(args.pack)
        tr, pt = packed["Training"], packed["PublicTest"]

        def split(d):
            return FerSplit(d["images"], d["fer_labels"].astype(np.int64), d["votes"].astype(np.float32),
                            d["extra"].astype(np.float32), d["rows"].astype(np.int64))
        fer, public = split(tr), split(pt)
        posed_rgb, posed_labels, posed_source = (packed["posed"][k] for k in ("rgb", "labels", "source"))
    else:
        fer = load_fer("Training")
        fer = fer.subset(fer.trainable())
        public = load_fer("PublicTest")
        posed_rgb, posed_labels, posed_source = posed_training_crops()
    if args.limit_rows:  # CPU smoke tests
        fer = fer.subset(np.arange(len(fer)) < args.limit_rows)
        public = public.subset(np.arange(len(public)) < args.limit_rows)
    n_classes = fer.votes.shape[1]
    smooth = np.full((len(posed_labels), n_classes), args.label_smoothing / n_classes, np.float32)
    smooth[np.arange(len(posed_labels)), posed_labels.astype(np.int64)] += 1 - args.label_smoothing
    votes = fer.votes / fer.votes.sum(1, keepdims=True)
    images = np.concatenate([np.repeat(fer.images[..., None], 3, -1), posed_rgb])
    weights = mix_weights(fer.votes, posed_labels.astype(np.int64), posed_source, posed_share=args.posed_share,
                          fer_balance=args.fer_balance)
    log.info("training data: %d FER rows, %d posed rows (share %.2f)", len(fer), len(posed_labels),
             args.posed_share)
    return TrainData(torch.from_numpy(images).to(device), torch.from_numpy(np.concatenate([votes, smooth])).to(device),
                     torch.from_numpy(weights).to(device), public)


def augment(rgb: torch.Tensor, sizes: tuple[int, ...], generator: torch.Generator, *, max_rotate_deg: float = 15.0,
            scale: tuple[float, float] = (0.85, 1.15), max_shift: float = 0.08, brightness: float = 0.15,
            contrast: tuple[float, float] = (0.7, 1.3), gamma: tuple[float, float] = (0.7, 1.4),
            p_lowres: float = 0.3, p_noise: float = 0.3) -> list[torch.Tensor]:
    """Camera-photo augmentation of (N, 48, 48, 3) uint8 faces, one result per size in ``sizes``, all of the
    same random draw (teacher and student see the same face).

    Grey conversion with random channel weights (half the time the standard ones), a resolution drop
    (down to 14-40 px and back) for a random part of the batch, one affine warp (flip, rotation, zoom,
    shift, as detector jitter), gamma, brightness, contrast and sensor noise.
    """
    n, dev = len(rgb), rgb.device

    def uniform(lo: float, hi: float, shape=(n,)) -> torch.Tensor:
        return lo + (hi - lo) * torch.rand(shape, generator=generator, device=dev)

    x = rgb.permute(0, 3, 1, 2).float().div_(255)
    standard = torch.tensor([0.299, 0.587, 0.114], device=dev).expand(n, 3)
    mix = uniform(0.1, 1.0, (n, 3))
    mix = torch.where(uniform(0, 1)[:, None] < 0.5, standard, mix / mix.sum(1, keepdim=True))
    x = (x * mix[:, :, None, None]).sum(1, keepdim=True)
    low = uniform(0, 1) < p_lowres
    side = int(uniform(14, 40, (1,)).item())
    small = F.interpolate(F.interpolate(x, size=(side, side), mode="area"), size=(48, 48), mode="bilinear",
                          align_corners=False)
    x = torch.where(low[:, None, None, None], small, x)
    angle = uniform(-max_rotate_deg, max_rotate_deg) * math.pi / 180
    zoom = uniform(*scale)
    flip = torch.where(uniform(0, 1) < 0.5, -1.0, 1.0)
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    theta = torch.stack([torch.stack([cos * flip, -sin, uniform(-max_shift, max_shift) * 2], 1),
                         torch.stack([sin * flip, cos, uniform(-max_shift, max_shift) * 2], 1)], 1)
    g = uniform(*gamma).view(n, 1, 1, 1)
    gain = uniform(*contrast).view(n, 1, 1, 1)
    shift = uniform(-brightness, brightness).view(n, 1, 1, 1)
    noise_std = torch.where(uniform(0, 1) < p_noise, uniform(0, 0.04), 0.0).view(n, 1, 1, 1)
    outs = []
    for size in sizes:
        grid = F.affine_grid(theta, [n, 1, size, size], align_corners=False)
        out = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
        out = out.clamp(1e-4, 1).pow(g)
        mean = out.mean(dim=(1, 2, 3), keepdim=True)
        noise = torch.randn(out.shape, generator=generator, device=dev) * noise_std
        outs.append(((out - mean) * gain + mean + shift + noise).clamp_(0, 1))
    return outs


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


def _copy(dst: torch.nn.Module, src: torch.nn.Module) -> None:
    """Copy parameters in module order (transformers versions name the same ViT/DeiT parts differently)."""
    pairs = list(zip(dst.state_dict().values(), src.state_dict().values(), strict=True))
    for d, s in pairs:
        if d.shape != s.shape:
            raise ValueError(f"student/teacher shapes differ: {tuple(d.shape)} vs {tuple(s.shape)}")
    with torch.no_grad():
        for d, s in pairs:
            d.copy_(s)


def _layers(backbone) -> torch.nn.ModuleList:
    return backbone.layers if hasattr(backbone, "layers") else backbone.encoder.layer


def make_student(teacher, layers: int, size: int):
    """A DeiT (class + distillation token) copying ``teacher``'s patch embedding, evenly spaced layers, final
    norm and head (both heads); both tokens start as the class token; position embeddings resized to the
    smaller patch grid."""
    from transformers import DeiTConfig, DeiTForImageClassificationWithTeacher

    tc = teacher.config
    config = DeiTConfig(hidden_size=tc.hidden_size, num_hidden_layers=layers, num_attention_heads=tc.num_attention_heads,
                        intermediate_size=tc.intermediate_size, hidden_act=tc.hidden_act, layer_norm_eps=tc.layer_norm_eps,
                        image_size=size, patch_size=tc.patch_size, num_channels=tc.num_channels, qkv_bias=tc.qkv_bias,
                        num_labels=tc.num_labels, id2label=tc.id2label, label2id=tc.label2id)
    student = DeiTForImageClassificationWithTeacher(config)
    t, s = teacher.vit, student.deit
    picked = np.linspace(0, tc.num_hidden_layers - 1, layers).round().astype(int)
    for i, j in enumerate(picked):
        _copy(_layers(s)[i], _layers(t)[j])
    _copy(s.embeddings.patch_embeddings, t.embeddings.patch_embeddings)
    _copy(s.layernorm, t.layernorm)
    _copy(student.cls_classifier, teacher.classifier)
    _copy(student.distillation_classifier, teacher.classifier)
    pos = t.embeddings.position_embeddings.detach()
    old, new = round(math.sqrt(pos.shape[1] - 1)), size // tc.patch_size
    grid = pos[:, 1:].reshape(1, old, old, -1).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, size=(new, new), mode="bicubic", align_corners=False).permute(0, 2, 3, 1)
    with torch.no_grad():
        s.embeddings.cls_token.copy_(t.embeddings.cls_token)
        s.embeddings.distillation_token.copy_(t.embeddings.cls_token)
        s.embeddings.position_embeddings.copy_(torch.cat([pos[:, :1], pos[:, :1], grid.reshape(1, new * new, -1)], 1))
    return student


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


def save_atomic(obj, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    tmp.replace(path)


def rng_states() -> dict:
    return {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()}


def set_rng_states(states: dict) -> None:
    torch.set_rng_state(states["torch"])
    np.random.set_state(states["numpy"])
    random.setstate(states["python"])


def lr_factor(step: int, warmup: int, total: int | None) -> float:
    if step < warmup or total is None:
        return (min(step, warmup - 1) + 1) / warmup
    return 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warmup) / max(1, total - warmup))))


def train(args) -> dict:
    from transformers import AutoModelForImageClassification

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

    teacher = None
    last = out / "last.pt"
    if args.student_of:
        teacher = AutoModelForImageClassification.from_pretrained(args.student_of, dtype=torch.float32).to(device).eval()
        model = make_student(teacher, args.student_layers, args.student_size)
    else:
        model = AutoModelForImageClassification.from_pretrained(args.init, dtype=torch.float32)
    model.to(device)
    sizes = (model.config.image_size,) + ((teacher.config.image_size,) if teacher is not None else ())
    optimizer = torch.optim.AdamW(param_groups(model, args.lr, args.layer_decay, args.weight_decay),
                                  betas=(0.9, 0.999))
    state = {"step": 0, "best": -1.0, "history": [], "total": args.total_steps or None}
    if not state["total"] and not args.budget_minutes:
        state["total"] = int(args.epochs * len(data.images) / args.batch_size)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(step, args.warmup_steps, state["total"]))
    if last.exists():
        ckpt = torch.load(last, map_location=device, weights_only=False)
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        scheduler.load_state_dict(ckpt["scheduler"])
        set_rng_states({k: v.cpu() if torch.is_tensor(v) else v for k, v in ckpt["rng"].items()})
        state.update(ckpt["state"])
        log.info("resumed at step %d of %s", state["step"], state["total"])

    def checkpoint() -> None:
        save_atomic({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                     "scheduler": scheduler.state_dict(), "rng": rng_states(), "state": state}, last)

    def eval_and_keep() -> None:
        metrics = evaluate_public(model, data.public, device, bf16)
        metrics["step"] = state["step"]
        state["history"].append(metrics)
        log.info("step %d PublicTest FER+ %.4f FER2013 %.4f", state["step"], metrics["ferplus_acc"],
                 metrics["fer2013_acc"])
        if metrics["ferplus_acc"] > state["best"]:
            state["best"] = metrics["ferplus_acc"]
            model.save_pretrained(out / "best")
            (out / "best" / "metrics.json").write_text(json.dumps(metrics, indent=2))
        (out / "history.json").write_text(json.dumps(state["history"], indent=2))
        model.train()

    last_save = t0 = time.monotonic()
    seen, timer = 0, None
    model.train()
    while state["total"] is None or state["step"] < min(state["total"], args.stop_at_step or state["total"]):
        step = state["step"]
        gen = torch.Generator(device).manual_seed(args.seed * 1_000_003 + step)
        batch = torch.multinomial(data.weights, args.batch_size, replacement=True, generator=gen)
        inputs = augment(data.images[batch], sizes, gen)
        targets = data.targets[batch]
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
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
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        scheduler.step()
        state["step"] = step + 1
        seen += args.batch_size
        if state["total"] is None:  # budgeted: time steps 10..30 (after the first kernels are built), then fix the total
            if state["step"] == 10:
                timer = time.monotonic()
            elif state["step"] == 30:
                per_step = (time.monotonic() - timer) / 20
                state["total"] = max(args.warmup_steps + 1, int(args.budget_minutes * 60 / per_step))
                if args.epochs:
                    state["total"] = min(state["total"], int(args.epochs * len(data.images) / args.batch_size))
                log.info("%.1f ms/step: %d steps fit in %.1f minutes", per_step * 1000, state["total"],
                         args.budget_minutes)
        if state["step"] % args.log_every == 0:
            log.info("step %d/%s loss %.4f lr %.2e %.0f img/s", state["step"], state["total"], loss.item(),
                     scheduler.get_last_lr()[-1], seen / (time.monotonic() - t0))
        if state["step"] % args.eval_every == 0 or state["step"] == state["total"]:
            eval_and_keep()
        done = state["step"] == state["total"]
        stopping = state["step"] == args.stop_at_step or (
            args.max_minutes and time.monotonic() - t0 > args.max_minutes * 60)
        if time.monotonic() - last_save > args.checkpoint_minutes * 60 or done or stopping:
            checkpoint()
            last_save = time.monotonic()
        if done:
            model.save_pretrained(out / "final")
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
