"""Which numeric path runs the emotion model, chosen from what the CPU can do.

* ``bf16``: torch with bf16 autocast — only where the CPU has bf16 in hardware;
* ``fp32``: torch in float32;
* ``int8``: ONNX Runtime on a dynamically quantised copy of the model (int8 weights and matmuls), built
  once per weights file into the model cache.

``HARU_VISION_PRECISION`` = auto | bf16 | fp32 | int8 forces one (for measuring; docs/vision.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import logging
import os
import tempfile
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import torch

from core.config import VISION_PRECISIONS as CHOICES
from core.cpu import CpuFeatures, free_cores, threads_for, usable_cores

log = logging.getLogger(__name__)

PATHS = CHOICES[1:]
INT8_FORMAT = "ort-dynamic-qint8-per-channel-v1"       # part of the cache key: a new recipe never reuses an old file
ONNX_OPSET = 17
MAX_THREADS = 4         # a 37-token ViT-S gains little beyond this


def choose_path(cpu: CpuFeatures, requested: str = "auto", *, int8_ready: bool = True) -> str:
    """The numeric path for ``requested`` on ``cpu``; ``int8_ready``: ONNX Runtime (and a graph) is at hand.

    auto: int8 where ONNX Runtime is at hand (about twice as fast per face as even native bf16, within a
    point of fp32: docs/vision.md), else bf16 where the CPU has it natively, else fp32. A forced path is
    honoured, except int8 without ONNX Runtime (fp32).
    """
    if requested not in CHOICES:
        raise ValueError(f"HARU_VISION_PRECISION must be one of {', '.join(CHOICES)}, got {requested!r}")
    if requested in ("auto", "int8") and int8_ready:
        return "int8"
    if requested == "int8":
        log.warning("int8 needs onnxruntime (and onnx to build the graph once); using fp32")
        return "fp32"
    if requested == "auto":
        return "bf16" if cpu.native_bf16 else "fp32"
    if requested == "bf16" and not cpu.native_bf16:
        log.warning("bf16 forced on a CPU without native bf16 (%s): it is emulated and slow", cpu.model)
    return requested


def int8_available(cached: Path | None = None) -> bool:
    """ONNX Runtime can run the int8 path: the graph is cached, or onnx is there to build it."""
    if importlib.util.find_spec("onnxruntime") is None:
        return False
    return (cached is not None and cached.is_file()) or importlib.util.find_spec("onnx") is not None


def int8_cache_path(weights: Path, cache_dir: Path, name: str) -> Path:
    """Where the int8 graph of the weights in ``weights`` lives: keyed by their bytes and the recipe."""
    digest = hashlib.sha256(INT8_FORMAT.encode())
    for part in sorted(f for f in weights.iterdir() if f.name == "config.json" or f.suffix in (".safetensors", ".bin")):
        with open(part, "rb") as f:
            while block := f.read(8 << 20):
                digest.update(block)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "model"
    return cache_dir / f"{safe}-{digest.hexdigest()[:16]}.int8.onnx"


class _Logits(torch.nn.Module):
    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.model(pixel_values=pixel_values).logits


def build_int8(model: torch.nn.Module, size: int, target: Path) -> Path:
    """Export ``model`` to ONNX and quantise its weights to int8 into ``target`` (once: docs/vision.md)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        fp32, int8 = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        example = torch.zeros(2, int(model.config.num_channels), size, size)
        # Tracing warns about Python conditions in transformers' code and the quantiser logs every tensor
        # to the root logger: neither means anything to someone starting the app.
        with warnings.catch_warnings(), _quiet_quantiser():
            warnings.simplefilter("ignore")
            # The TorchScript exporter: the newer one needs onnxscript, which the app does not carry.
            torch.onnx.export(_Logits(model.eval().float()), (example,), str(fp32), dynamo=False,
                              input_names=["pixel_values"], output_names=["logits"], opset_version=ONNX_OPSET,
                              dynamic_axes={"pixel_values": {0: "batch"}, "logits": {0: "batch"}})
            # Per output channel: more faces keep their fp32 label than with one scale per tensor, at the
            # same speed (docs/vision.md).
            quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
        os.replace(int8, target)      # atomic: another process building the same file sees old or new
    log.info("built the int8 emotion model %s in %.1f s", target.name, time.perf_counter() - t0)
    return target


@contextlib.contextmanager
def _quiet_quantiser():
    def keep(record: logging.LogRecord) -> bool:
        return "onnxruntime" not in record.pathname

    root = logging.getLogger()
    root.addFilter(keep)
    try:
        yield
    finally:
        root.removeFilter(keep)


class Int8Runner:
    """The quantised graph in ONNX Runtime, on as many threads as cores are free at each call.

    Threads wait on each other at every layer, so one on a core that other work holds stalls the rest:
    under load two threads took twice as long per face as one (docs/vision.md). A session per thread
    count, made on first need.
    """

    def __init__(self, path: Path, max_threads: int = MAX_THREADS) -> None:
        self.path = Path(path)
        self.max_threads = max_threads
        self._sessions: dict[int, object] = {}
        self._lock = threading.Lock()

    def threads(self) -> int:
        cores = usable_cores()
        return threads_for(cores, free_cores(cores), self.max_threads)

    def session(self, threads: int):
        with self._lock:
            if threads not in self._sessions:
                self._sessions[threads] = _ort_session(self.path, threads)
            return self._sessions[threads]

    def run(self, pixel_values: np.ndarray) -> np.ndarray:
        return self.session(self.threads()).run(None, {"pixel_values": pixel_values})[0]


def _ort_session(path: Path, threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Speech and the LLM share these cores: idle threads sleep instead of spinning on them.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
