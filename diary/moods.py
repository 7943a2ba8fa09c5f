"""The seven emotion labels and how the diary shows and scores them."""

from __future__ import annotations

from core.errors import HaruError

LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")

EMOJI = {"angry": "😠", "disgust": "🤢", "fear": "😨", "happy": "😊",
         "sad": "😢", "surprise": "😮", "neutral": "😐"}

COLOUR = {"angry": "#e53935", "disgust": "#7cb342", "fear": "#8e24aa", "happy": "#fdd835",
          "sad": "#1e88e5", "surprise": "#fb8c00", "neutral": "#9e9e9e"}

NAME_KO = {"angry": "화남", "disgust": "불쾌함", "fear": "두려움", "happy": "기쁨",
           "sad": "슬픔", "surprise": "놀람", "neutral": "평온"}

# A valence-like score in [-1, 1] so a day's mood can be drawn as one line; the numbers follow the
# pleasant/unpleasant axis of the circumplex model, not a measurement of this user.
VALENCE = {"angry": -0.8, "disgust": -0.6, "fear": -0.7, "happy": 1.0,
           "sad": -0.8, "surprise": 0.3, "neutral": 0.0}

EMPTY_COLOUR = "transparent"


def name(label: str, language: str = "en") -> str:
    return NAME_KO[label] if language == "ko" else label


def check_label(label: str | None, what: str) -> None:
    if label is not None and label not in LABELS:
        raise HaruError(f"Unknown {what} {label!r}; expected one of {', '.join(LABELS)}.",
                        f"알 수 없는 감정 값이에요: {label!r} (가능한 값: {', '.join(LABELS)})")
