"""Speech test fixtures: ``from tests.speech_fixtures import whisper_model`` gives one Whisper base model per
test session (joined into a temporary cache, never downloaded). Spoken clips come from :mod:`testkit.speech`.
"""

from __future__ import annotations

import copy

import pytest


@pytest.fixture(scope="session")
def whisper_model(tmp_path_factory):
    from speech.stt import bundled_model_dir, load_model

    return load_model(str(bundled_model_dir(tmp_path_factory.mktemp("models"))))


class _CountingWhisper:
    """CTranslate2's Whisper with its encoder passes counted (the costly step of a short utterance)."""

    def __init__(self, inner) -> None:
        self._inner = inner
        self.encodes = 0
        self.frames: list[int] = []      # mel frames read by each pass

    def encode(self, features, *args, **kwargs):
        self.encodes += 1
        self.frames.append(features.shape[-1])
        return self._inner.encode(features, *args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._inner, name)


def counting_encoder(model):
    """A shallow copy of a ``WhisperModel`` whose ``.model.encodes`` counts encoder passes (``.frames``: their sizes)."""
    counted = copy.copy(model)
    counted.model = _CountingWhisper(model.model)
    return counted
