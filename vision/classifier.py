"""The shipped emotion model: a fine-tuned ViT in transformers' format plus a temperature.

``vision/weights/`` holds ``config.json`` + ``model.safetensors`` (fp16 to stay
small; computed on the numeric path :mod:`vision.precision` picks for this CPU)
and ``calibration.json`` with the temperature fitted on FER2013 PublicTest, so
``softmax(logits / T)`` gives confidences that match how often the model is right.
"""

from __future__ import annotations

import json
import logging
import threading
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import torch

from core.config import AppConfig
from core.cpu import cpu_features
from core.errors import ErrorCategory, HaruError
from vision.model import batched_logits
from vision.precision import Int8Runner, build_int8, choose_path, int8_available, int8_cache_path
from vision.preprocess import FACE_SIZE, to_input
from vision.types import ClassifierChoice

log = logging.getLogger(__name__)

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
CALIBRATION_FILE = "calibration.json"
# transformers classes a weights folder may name in config.json "architectures" (DeiT: a distilled student;
# WithTeacher averages its class and distillation heads into ``logits``).
ARCHITECTURES = ("ViTForImageClassification", "DeiTForImageClassification", "DeiTForImageClassificationWithTeacher")


class EmotionClassifier:
    """Probabilities over LABELS for 48x48 grey faces.

    ``model`` is any ``ViTForImageClassification``-like module taking
    ``pixel_values`` (N, 1, S, S) in [0, 1] (tests pass small real ones).
    ``path`` is the numeric path (:data:`vision.precision.PATHS`); ``int8`` needs
    ``int8``, the quantised model's :class:`~vision.precision.Int8Runner`.
    """

    def __init__(self, model, *, temperature: float = 1.0, name: str = "", path: str = "fp32",
                 int8: Int8Runner | None = None, batch_size: int = 64) -> None:
        if path == "int8" and int8 is None:
            raise ValueError("the int8 path runs the quantised graph: pass int8=Int8Runner(path)")
        self.model = model.eval()
        self.size = int(model.config.image_size)
        self.temperature = float(temperature)
        self.name = name
        self.path = path
        self.int8 = int8
        self.batch_size = batch_size

    @property
    def label(self) -> str:
        """The weights and the numeric path, as readings (and the diary) record them."""
        return f"{self.name} ({self.path})"

    @classmethod
    def from_pretrained(cls, path: Path = WEIGHTS_DIR, *, precision: str = AppConfig.vision_precision,
                        cache_dir: Path | None = None, **kwargs) -> "EmotionClassifier":
        """Load ``path``; ``precision`` (auto | bf16 | fp32 | int8) picks the numeric path for this CPU;
        the int8 graph is built once into ``cache_dir`` (default: :class:`ClassifierChoice`'s)."""
        import transformers

        path = Path(path)
        if not (path / "config.json").is_file():
            raise HaruError(f"The emotion model is missing ({path / 'config.json'} not found).",
                            "감정 인식 모델 파일이 없어요.", category=ErrorCategory.CONFIG)
        try:
            architecture = (json.loads((path / "config.json").read_text()).get("architectures")
                            or ARCHITECTURES[:1])[0]
            if architecture not in ARCHITECTURES:
                raise HaruError(f"The emotion model in {path} is a {architecture}; Haru runs "
                                f"{', '.join(ARCHITECTURES)}.",
                                f"{path} 의 감정 인식 모델({architecture})은 지원하지 않는 형식이에요.",
                                category=ErrorCategory.CONFIG)
            model = getattr(transformers, architecture).from_pretrained(path, dtype=torch.float32)
        except HaruError:
            raise
        except Exception as e:  # safetensors, JSON and torch each raise their own kind for a damaged file
            raise HaruError(f"The emotion model in {path} is damaged and cannot be loaded ({type(e).__name__}); "
                            "restore the files in that folder.",
                            f"{path} 의 감정 인식 모델 파일이 손상되어 불러올 수 없어요. 폴더의 파일을 복구해 주세요.",
                            category=ErrorCategory.CONFIG) from e
        calibration = path / CALIBRATION_FILE
        info = json.loads(calibration.read_text()) if calibration.is_file() else {}
        kwargs.setdefault("temperature", info.get("temperature", 1.0))
        kwargs.setdefault("name", info.get("name", path.name))
        cache_dir = cache_dir or ClassifierChoice().cache_dir
        cached = int8_cache_path(path, cache_dir, kwargs["name"]) if precision in ("auto", "int8") else None
        chosen = choose_path(cpu_features(), precision, int8_ready=cached is not None and int8_available(cached))
        if chosen == "int8":
            try:
                if not cached.is_file():
                    build_int8(model, int(model.config.image_size), cached)
                kwargs["int8"] = Int8Runner(cached)
                kwargs["int8"].session(kwargs["int8"].threads())     # a damaged graph shows here, not mid-turn
            except Exception as e:  # export, quantiser and ONNX Runtime raise many kinds; torch still works
                log.warning("the int8 emotion model %s could not be built or loaded (%s: %s); using torch, "
                            "and building it again next start", cached, type(e).__name__, e)
                cached.unlink(missing_ok=True)
                kwargs.pop("int8", None)
                chosen = choose_path(cpu_features(), "auto", int8_ready=False)
        log.info("emotion model %s on the %s path (asked: %s)", kwargs["name"], chosen, precision)
        return cls(model, path=chosen, **kwargs)

    def logits(self, faces: np.ndarray) -> torch.Tensor:
        if self.path != "int8":
            return batched_logits(self.model, faces, self.size, self.batch_size, bf16=self.path == "bf16")
        # One face per run: dynamic quantisation scales the activations over the whole input, so in a batch
        # a face's reading would depend on the other faces (docs/vision.md).
        out = [self.int8.run(x[None])
               for start in range(0, len(faces), self.batch_size)
               for x in to_input(faces[start:start + self.batch_size], self.size).numpy()]
        return torch.from_numpy(np.concatenate(out)) if out else torch.empty(0, self.model.config.num_labels)

    def probs(self, faces: np.ndarray) -> np.ndarray:
        """(N, 48, 48) uint8 -> (N, 7) float64 rows summing to 1."""
        p = torch.softmax(self.logits(faces).double() / self.temperature, dim=1).numpy()
        return p / p.sum(1, keepdims=True)


_LOAD_LOCK = threading.Lock()


def default_classifier(choice: ClassifierChoice = ClassifierChoice()) -> EmotionClassifier:
    # The app's warm-up thread and a first turn can ask at once; transformers' lazy imports are not
    # safe against that (one caller sees "cannot import name ViTForImageClassification").
    with _LOAD_LOCK:
        return _load_default(choice)


STUDENT_DIR = WEIGHTS_DIR / "deit_student"


@lru_cache(maxsize=1)
def _load_default(choice: ClassifierChoice) -> EmotionClassifier:
    return EmotionClassifier.from_pretrained(STUDENT_DIR if choice.model == "student" else WEIGHTS_DIR,
                                             precision=choice.precision, cache_dir=choice.cache_dir)


def to_face48(face: np.ndarray) -> np.ndarray:
    """Any-size grey uint8 crop -> 48x48 (area averaging when shrinking, so no aliasing)."""
    shrink = face.shape[0] > FACE_SIZE or face.shape[1] > FACE_SIZE
    return cv2.resize(np.ascontiguousarray(face), (FACE_SIZE, FACE_SIZE),
                      interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
