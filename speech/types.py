from __future__ import annotations

from dataclasses import dataclass, field

from core.errors import HaruError


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str                    # "ko" | "en"
    duration_s: float                # of the input audio
    segments: tuple[Segment, ...] = ()
    model: str = ""
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class AudioClip:
    """Encoded audio a browser can play."""
    data: bytes
    format: str                      # "wav" | "mp3"
    sample_rate: int
    voice: str                       # e.g. "gtts-ko", "piper-joe-en", "espeak-ko"
    text: str = ""                   # the sentence it speaks

    @property
    def mime(self) -> str:
        return "audio/mpeg" if self.format == "mp3" else "audio/wav"


class NothingHeardError(HaruError):
    def __init__(self) -> None:
        super().__init__("I didn't hear anything — please try speaking again, a little closer to the mic.",
                         "아무 소리도 들리지 않았어요. 마이크에 조금 더 가까이에서 다시 말해 주세요.")


class BadAudioError(HaruError):
    pass
