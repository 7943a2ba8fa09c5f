"""The training checkpoint (``<out>/last.pt``): model, optimiser, scheduler, RNG and run state, written atomically
so that a stopped run resumes exactly where it left off."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import torch


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


def save_checkpoint(path: Path, model, optimizer, scheduler, state: dict) -> None:
    save_atomic({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                 "scheduler": scheduler.state_dict(), "rng": rng_states(), "state": state}, path)


def load_checkpoint(path: Path, device: torch.device, model, optimizer, scheduler, state: dict) -> None:
    """Restore all of it in place; ``state`` is updated, not replaced, as the scheduler's lambda holds that dict."""
    ckpt = torch.load(path, map_location=device, weights_only=False)
    model.load_state_dict(ckpt["model"])
    optimizer.load_state_dict(ckpt["optimizer"])
    scheduler.load_state_dict(ckpt["scheduler"])
    set_rng_states({k: v.cpu() if torch.is_tensor(v) else v for k, v in ckpt["rng"].items()})
    state.update(ckpt["state"])
