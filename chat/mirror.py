"""The live mirror: webcam frames read by the companion's face stage, the emotion smoothed over the last frames."""

from __future__ import annotations

from typing import Any

from chat.companion import Companion
from core.errors import HaruError
from vision.smooth import EmotionSmoother
from vision.types import EmotionReading


class Mirror:
    """One webcam's frames, one at a time; a new mirror for each camera stream (the smoothing is per stream)."""

    def __init__(self, companion: Companion) -> None:
        self._read = companion.read_emotion
        self._smoother = EmotionSmoother()

    def see(self, frame: Any) -> tuple[EmotionReading | None, HaruError | None]:
        """The emotion smoothed over the last frames (None until a face was seen, or after a long gap),
        and why this frame had no reading, if it had none."""
        try:
            reading, why = self._read(frame), None
        except HaruError as e:
            reading, why = None, e
        return self._smoother.update(reading), why
