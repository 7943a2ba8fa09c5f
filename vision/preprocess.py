"""The one place that turns 48x48 grey faces into model input.

Training (with augmentation) and inference both go through here, so the model
always sees faces the same way: FER2013's 48x48 crops, upsampled bilinearly to
the model's size, as ``grey / 255`` in one channel (the ImageNet normalisation
is folded into the patch embedding by ``convert_dinov2``).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

FACE_SIZE = 48


def to_input(faces: np.ndarray, size: int) -> torch.Tensor:
    """(N, 48, 48) uint8 -> (N, 1, size, size) float in [0, 1]."""
    x = torch.from_numpy(np.ascontiguousarray(faces)).float().div_(255).unsqueeze(1)
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)


def augment(faces: np.ndarray, size: int, generator: torch.Generator, *, max_rotate_deg: float = 12.0,
            scale: tuple[float, float] = (0.88, 1.12), max_shift: float = 0.08,
            brightness: float = 0.15, contrast: tuple[float, float] = (0.75, 1.25)) -> torch.Tensor:
    """Random flip, rotation, zoom, shift, brightness and contrast, resampled once to ``size``.

    One affine warp (``grid_sample``) does crop, zoom and rotation together, so
    the 48 px face is interpolated only once; with the identity transform it
    equals :func:`to_input`.
    """
    n = len(faces)
    x = torch.from_numpy(np.ascontiguousarray(faces)).float().div_(255).unsqueeze(1)

    def uniform(lo: float, hi: float) -> torch.Tensor:
        return lo + (hi - lo) * torch.rand(n, generator=generator)

    angle = uniform(-max_rotate_deg, max_rotate_deg) * math.pi / 180
    zoom = uniform(*scale)
    flip = torch.where(torch.rand(n, generator=generator) < 0.5, -1.0, 1.0)
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    theta = torch.stack([torch.stack([cos * flip, -sin, uniform(-max_shift, max_shift) * 2], 1),
                         torch.stack([sin * flip, cos, uniform(-max_shift, max_shift) * 2], 1)], 1)
    grid = F.affine_grid(theta, [n, 1, size, size], align_corners=False)
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    mean = out.mean(dim=(1, 2, 3), keepdim=True)
    gain = uniform(*contrast).view(n, 1, 1, 1)
    shift = uniform(-brightness, brightness).view(n, 1, 1, 1)
    return ((out - mean) * gain + mean + shift).clamp_(0, 1)
