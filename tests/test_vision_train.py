"""Training resumes exactly: stopping and resuming gives the same weights as one uninterrupted run."""

from __future__ import annotations

import torch

from vision.train import main as train_main


def tiny_vit(path):
    from transformers import ViTConfig, ViTForImageClassification

    torch.manual_seed(0)
    config = ViTConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                       image_size=28, patch_size=14, num_channels=1, num_labels=7)
    ViTForImageClassification(config).save_pretrained(path)
    return path


def run(init, out, *extra):
    train_main(["--init", str(init), "--out", str(out), "--total-steps", "4", "--batch-size", "8",
                "--warmup-steps", "2", "--eval-every", "1000", "--threads", "1", *extra])
    return torch.load(out / "last.pt", weights_only=False)


def test_stop_and_resume_equals_one_run(tmp_path, shared_data):
    init = tiny_vit(tmp_path / "init")
    straight = run(init, tmp_path / "a")
    first_half = run(init, tmp_path / "b", "--stop-at-step", "2")
    assert first_half["state"]["step"] == 2
    resumed = run(init, tmp_path / "b")
    assert straight["state"]["step"] == resumed["state"]["step"] == 4
    for name, value in straight["model"].items():
        assert torch.equal(value, resumed["model"][name]), name
    assert straight["state"]["history"] == resumed["state"]["history"]
    assert (tmp_path / "a" / "best" / "model.safetensors").is_file()
