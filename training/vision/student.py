"""The distillation student: a smaller DeiT initialised from a ViT teacher's layers (``make_student``)."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F


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
