from __future__ import annotations

from dataclasses import dataclass, field

from core.errors import HaruError

STRATEGIES = ("match", "lift", "calm")
SUBMOODS = ("focus", "relax", "energise")


@dataclass(frozen=True)
class Track:
    title: str
    artist: str
    genre: str
    language: str                    # "ko" | "en" | "ja" | ...
    valence: float                   # 0..1
    energy: float                    # 0..1
    year: int | None = None
    tempo: float | None = None
    acousticness: float | None = None
    track_id: str = ""
    reason: str = ""                 # one short line: why this song now (shown on the card)
    links: dict[str, str] = field(default_factory=dict)   # youtube / spotify / melon search URLs
    reason_ko: str = ""              # the same line in Korean

    @property
    def artists(self) -> str:
        """The artists as shown: the catalogue separates several with ";"."""
        return ", ".join(a.strip() for a in self.artist.split(";"))

    def reason_in(self, language: str = "en") -> str:
        """Why this song now, in Korean when asked and the catalogue has it, else in English."""
        return self.reason_ko if language == "ko" and self.reason_ko else self.reason


class NoSongsError(HaruError):
    pass


class SongsExhaustedError(NoSongsError):
    """Every song that fits the filters was already shown: the caller may start the pool over."""


class CatalogueError(HaruError):
    pass
