"""Running the emotion model on 48x48 faces, in batches, without gradients."""

from __future__ import annotations

import numpy as np
import torch

from core.cpu import cpu_features
from vision.preprocess import to_input


def batched_logits(model, faces: np.ndarray, size: int, batch_size: int = 64, *,
                   bf16: bool | None = None) -> torch.Tensor:
    """Float32 logits (N, 7) for (N, 48, 48) uint8 faces; ``model`` is put in eval mode.

    ``bf16`` None: bf16 autocast only where the CPU has it in hardware (emulated, it is slower than fp32).
    """
    bf16 = cpu_features().native_bf16 if bf16 is None else bf16
    model.eval()
    out = []
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        for start in range(0, len(faces), batch_size):
            x = to_input(faces[start:start + batch_size], size)
            out.append(model(pixel_values=x).logits.float())
    return torch.cat(out) if out else torch.empty(0, model.config.num_labels)
