from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from core.config import AppConfig
from core.errors import HaruError

# FER2013 order: the integer label in the datasets is the index here.
LABELS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")


@dataclass(frozen=True)
class EmotionReading:
    label: str
    probs: dict[str, float]          # over LABELS, sums to 1
    confidence: float                # probs[label]
    box: tuple[int, int, int, int] | None = None   # x, y, w, h in the input image; None for pre-cropped
    faces_found: int = 1             # >1: the largest face was used (the UI says so)
    model: str = ""                  # which weights produced it, recorded in the diary
    timings_ms: dict[str, float] = field(default_factory=dict)


class NoFaceError(HaruError):
    def __init__(self) -> None:
        super().__init__("No face found — face the camera in good light.",
                         "얼굴을 찾지 못했어요. 밝은 곳에서 카메라를 정면으로 봐 주세요.")


class BadImageError(HaruError):
    pass


@dataclass(frozen=True)
class ClassifierChoice:
    """Which emotion model to load and on which numeric path; the caller builds it once."""
    model: str = AppConfig.vision_model              # "vit" (the teacher) | "student"
    precision: str = AppConfig.vision_precision      # auto | bf16 | fp32 | int8
    cache_dir: Path = field(default_factory=lambda: AppConfig().data_dir / "models" / "vision")  # int8 graph

    @classmethod
    def from_config(cls, config: AppConfig) -> ClassifierChoice:
        return cls(model=config.vision_model, precision=config.vision_precision,
                   cache_dir=Path(config.data_dir) / "models" / "vision")
