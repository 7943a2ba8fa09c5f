"""Training resumes exactly: stopping and resuming gives the same weights as one uninterrupted run."""

from __future__ import annotations

import torch

from training.vision.train import main as train_main


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


def test_student_starts_as_the_teachers_layers(tmp_path):
    """The DeiT student copies the teacher's layers, norm and head; same size and depth -> same layer outputs."""
    from transformers import AutoModelForImageClassification

    from training.vision.student import make_student

    teacher = AutoModelForImageClassification.from_pretrained(tiny_vit(tmp_path / "init")).eval()
    student = make_student(teacher, layers=2, size=28).eval()
    hidden = torch.randn(2, 5, 32)
    for t_layer, s_layer in zip(teacher.vit.layers, student.deit.layers, strict=True):
        t_out, s_out = t_layer(hidden), s_layer(hidden)
        t_out = t_out[0] if isinstance(t_out, tuple) else t_out
        s_out = s_out[0] if isinstance(s_out, tuple) else s_out
        assert torch.equal(t_out, s_out)
    assert torch.equal(student.cls_classifier.weight, teacher.classifier.weight)
    assert torch.equal(student.distillation_classifier.weight, teacher.classifier.weight)
    small = make_student(teacher, layers=1, size=14)
    assert small.deit.embeddings.position_embeddings.shape == (1, 1 + 2, 32)  # 1x1 patches + class + distillation
    assert small(pixel_values=torch.rand(3, 1, 14, 14)).logits.shape == (3, 7)


def test_augment_is_reproducible_and_in_range():
    import numpy as np

    from training.vision.mixture import augment

    faces = torch.from_numpy(np.random.default_rng(0).integers(0, 256, (6, 48, 48, 3), dtype=np.uint8))
    a84, a70 = augment(faces, (84, 70), torch.Generator().manual_seed(5))
    b84, _ = augment(faces, (84, 70), torch.Generator().manual_seed(5))
    assert a84.shape == (6, 1, 84, 84) and a70.shape == (6, 1, 70, 70)
    assert torch.equal(a84, b84)
    assert 0 <= float(a84.min()) and float(a84.max()) <= 1
