"""What training draws from: FER2013 ``Training`` (FER+ vote distributions) mixed with the posed sets' training
subjects, their sampling weights, and the camera-photo augmentation applied to each draw (``augment``).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from training.vision.data import FerSplit, load_fer
from training.vision.pack import load_pack, posed_training_crops

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
