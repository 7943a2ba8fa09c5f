"""The one place that turns 48x48 grey faces into model input.

Inference and training's evaluation go through here, and training's
augmentation (``training.vision.mixture.augment``) ends in the same form, so the model
always sees faces the same way: FER2013's 48x48 crops, upsampled bilinearly to
the model's size, as ``grey / 255`` in one channel (the ImageNet normalisation
is folded into the patch embedding by ``convert_dinov2``).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

FACE_SIZE = 48


def to_input(faces: np.ndarray, size: int) -> torch.Tensor:
    """(N, 48, 48) uint8 -> (N, 1, size, size) float in [0, 1]."""
    x = torch.from_numpy(np.ascontiguousarray(faces)).float().div_(255).unsqueeze(1)
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
