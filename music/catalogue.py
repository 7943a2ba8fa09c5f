"""Song catalogues as numpy columns: our curated list, or any CSV in the shared tracks.csv schema.

One reader serves both files: the required columns are the ones they share; ``year``, ``tempo``,
``acousticness`` and ``track_id`` are used when present. A bad row fails the whole load with a
:class:`CatalogueError` that names the file and the line, because a half-loaded catalogue would
silently skew every recommendation.
"""

from __future__ import annotations

import csv
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from core.errors import ErrorCategory
from music.types import CatalogueError, Track

BUNDLED_CATALOGUE = Path(__file__).resolve().parent / "data" / "songs.csv"
REQUIRED_COLUMNS = ("title", "artist", "genre", "language", "valence", "energy")
ARTIST_SEPARATOR = ";"


@dataclass(frozen=True, eq=False)
class Catalogue:
    """Column-wise song table; row ``i`` of every array is the same song."""

    path: Path
    titles: tuple[str, ...]
    artists: tuple[str, ...]
    track_ids: tuple[str, ...]
    keys: tuple[str, ...]
    index: Mapping[str, int]            # track key -> row
    valence: np.ndarray                 # float64, 0..1
    energy: np.ndarray                  # float64, 0..1
    tempo: np.ndarray                   # float64 BPM, NaN = unknown
    acousticness: np.ndarray            # float64 0..1, NaN = unknown
    year: np.ndarray                    # int32, 0 = unknown
    artist_code: np.ndarray             # int32 code of the primary artist, for "no artist twice"
    language_code: np.ndarray           # int32 into ``language_names``
    language_names: tuple[str, ...]
    genre_code: np.ndarray              # int32 into ``genre_names``
    genre_names: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.titles)

    def language_of(self, row: int) -> str:
        return self.language_names[self.language_code[row]]

    def genre_of(self, row: int) -> str:
        return self.genre_names[self.genre_code[row]]

    def track(self, row: int, *, reason: str = "", reason_ko: str = "",
              links: Mapping[str, str] | None = None) -> Track:
        tempo = float(self.tempo[row])
        acousticness = float(self.acousticness[row])
        return Track(
            title=self.titles[row], artist=self.artists[row], genre=self.genre_of(row),
            language=self.language_of(row), valence=float(self.valence[row]),
            energy=float(self.energy[row]), year=int(self.year[row]) or None,
            tempo=None if math.isnan(tempo) else tempo,
            acousticness=None if math.isnan(acousticness) else acousticness,
            track_id=self.track_ids[row], reason=reason, reason_ko=reason_ko,
            links=dict(links or {}),
        )


def normalise(text: str) -> str:
    """Case-, width- and spacing-insensitive form used for keys and matching."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("’", "'")
    return " ".join(text.split())


def primary_artist(artist: str) -> str:
    return artist.split(ARTIST_SEPARATOR, 1)[0].strip()


def row_key(title: str, artist: str, track_id: str = "") -> str:
    # A source id survives re-spelt titles; without one, title + all artists tell covers apart.
    if track_id:
        return "id:" + track_id
    return normalise(title) + "|" + normalise(artist)


def track_key(track: Track) -> str:
    """Stable key of a song; the UI keeps these in a per-session set to reroll without repeats."""
    return row_key(track.title, track.artist, track.track_id)


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """The catalogue at ``path`` (None or "" = the bundled curated list), cached by path.

    An edited file (new modification time or size) is read again.
    """
    resolved = Path(path).expanduser().resolve() if path else BUNDLED_CATALOGUE
    try:
        stat = resolved.stat()
    except OSError as e:
        raise CatalogueError(
            f"Music catalogue not found: {resolved}. Check HARU_MUSIC_CATALOGUE.",
            f"음악 목록 파일을 찾을 수 없어요: {resolved}. HARU_MUSIC_CATALOGUE 설정을 확인해 주세요.",
            category=ErrorCategory.CONFIG,
        ) from e
    return _load_cached(str(resolved), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _load_cached(path: str, _mtime_ns: int, _size: int) -> Catalogue:
    return read_catalogue(Path(path))


def _fail(path: Path, line: int | None, en: str, ko: str) -> CatalogueError:
    where_en = f"{path.name}, line {line}" if line else path.name
    where_ko = f"{path.name} {line}번째 줄" if line else path.name
    return CatalogueError(f"Music catalogue {where_en}: {en}", f"음악 목록 {where_ko}: {ko}",
                          category=ErrorCategory.CONFIG)


def _unit(path: Path, line: int, column: str, raw: str, *, optional: bool) -> float:
    """A 0..1 feature; NaN when an optional one is empty."""
    if optional and raw == "":
        return math.nan
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not 0.0 <= value <= 1.0:
        raise _fail(path, line, f"{column} {raw!r} is not a number between 0 and 1.",
                    f"{column} 값 {raw!r}은(는) 0과 1 사이의 숫자가 아니에요.")
    return value


def _tempo(path: Path, line: int, raw: str) -> float:
    if raw == "":
        return math.nan
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not 0.0 < value < 400.0:
        raise _fail(path, line, f"tempo {raw!r} is not a BPM value between 0 and 400.",
                    f"tempo 값 {raw!r}은(는) 0~400 사이의 BPM 값이 아니에요.")
    return value


def _year(path: Path, line: int, raw: str) -> int:
    if raw == "":
        return 0
    if not re.fullmatch(r"\d{4}", raw):
        raise _fail(path, line, f"year {raw!r} is not a four-digit year.",
                    f"year 값 {raw!r}은(는) 네 자리 연도가 아니에요.")
    return int(raw)


def _codes(values: Iterable[str]) -> tuple[np.ndarray, tuple[str, ...]]:
    names: dict[str, int] = {}
    codes = [names.setdefault(v, len(names)) for v in values]
    return np.asarray(codes, dtype=np.int32), tuple(names)


def read_catalogue(path: Path) -> Catalogue:
    """Parse and validate one catalogue file (uncached; use :func:`load_catalogue`)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            return _parse(path, csv.DictReader(fh))
    except UnicodeDecodeError as e:
        raise _fail(path, None, "the file is not UTF-8 text.",
                    "파일이 UTF-8 텍스트가 아니에요.") from e
    except csv.Error as e:
        raise _fail(path, None, f"not a readable CSV file ({e}).",
                    f"CSV 파일로 읽을 수 없어요 ({e}).") from e
    except OSError as e:
        raise _fail(path, None, f"cannot be read ({e.strerror}).",
                    f"파일을 읽을 수 없어요 ({e.strerror}).") from e


def _parse(path: Path, reader: csv.DictReader) -> Catalogue:
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise _fail(path, 1, f"missing column(s) {', '.join(missing)}; "
                             f"needed: {', '.join(REQUIRED_COLUMNS)}.",
                    f"{', '.join(missing)} 열이 없어요. 필요한 열: {', '.join(REQUIRED_COLUMNS)}.")
    titles, artists, ids, keys, genres, languages = [], [], [], [], [], []
    valence, energy, tempo, acousticness, year = [], [], [], [], []
    first_line: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if None in row or None in row.values():
            raise _fail(path, line, f"expected {len(header)} fields like the header.",
                        f"머리글처럼 {len(header)}개 항목이 있어야 해요.")
        cells = {k: v.strip() for k, v in row.items()}
        title, artist, track_id = cells["title"], cells["artist"], cells.get("track_id", "")
        if not title or not artist:
            raise _fail(path, line, "title and artist must not be empty.",
                        "제목과 아티스트는 비어 있으면 안 돼요.")
        key = row_key(title, artist, track_id)
        if key in first_line:
            raise _fail(path, line, f"{title!r} by {artist!r} repeats line {first_line[key]}.",
                        f"{title!r} ({artist})이(가) {first_line[key]}번째 줄과 중복돼요.")
        first_line[key] = line
        valence.append(_unit(path, line, "valence", cells["valence"], optional=False))
        energy.append(_unit(path, line, "energy", cells["energy"], optional=False))
        acousticness.append(_unit(path, line, "acousticness", cells.get("acousticness", ""),
                                  optional=True))
        tempo.append(_tempo(path, line, cells.get("tempo", "")))
        year.append(_year(path, line, cells.get("year", "")))
        titles.append(title)
        artists.append(artist)
        ids.append(track_id)
        keys.append(key)
        genres.append(cells["genre"].lower() or "unknown")
        languages.append(cells["language"].lower() or "unknown")
    if not titles:
        raise _fail(path, None, "the file has no songs.", "파일에 노래가 없어요.")
    artist_code, _ = _codes(normalise(primary_artist(a)) for a in artists)
    language_code, language_names = _codes(languages)
    genre_code, genre_names = _codes(genres)
    return Catalogue(
        path=path, titles=tuple(titles), artists=tuple(artists), track_ids=tuple(ids),
        keys=tuple(keys), index={k: i for i, k in enumerate(keys)},
        valence=np.asarray(valence), energy=np.asarray(energy), tempo=np.asarray(tempo),
        acousticness=np.asarray(acousticness), year=np.asarray(year, dtype=np.int32),
        artist_code=artist_code, language_code=language_code, language_names=language_names,
        genre_code=genre_code, genre_names=genre_names,
    )
