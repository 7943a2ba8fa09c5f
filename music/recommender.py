"""Mood -> songs: place the emotion mix on the valence/arousal plane, then rank songs around it.

The emotion distribution (not only its top label) is averaged over each label's place on Russell's
circumplex of affect (Russell 1980; Posner, Russell & Peterson 2005), with valence = pleasantness
and arousal read as Spotify-style *energy*, both on 0..1. A strategy turns that mood point into one
target per list slot:

- ``match``: every slot aims at the mood point (a sub-mood, if chosen, replaces it);
- ``lift``: the iso principle of music therapy (Altshuler 1948; Heiderscheit & Madson 2015): slot 1
  sits at the mood, the last slot at a brighter, mid-energy goal (or the chosen sub-mood), and the
  slots between step along the straight line, so a sad listener is met first and lifted after, and
  an angry one is brought down in energy on the way;
- ``calm``: the mood's valence kept (not below neutral) with energy held low, and slow acoustic
  recordings preferred, for anger and fear.

Each slot then takes the nearest unused song, with a small random jitter so rerolls differ, and
never an artist already in the list. Rows are kept sorted by valence, so each target scores only
the songs in a valence window around it (vectorised), not the whole catalogue.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, quote_plus

import numpy as np

from music.catalogue import Catalogue, load_catalogue, primary_artist
from music.types import STRATEGIES, SUBMOODS, NoSongsError, SongsExhaustedError, Track

EMOTIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")

# (valence, arousal) on 0..1, read off the circumplex placements of the basic emotions.
EMOTION_POINTS: Mapping[str, tuple[float, float]] = {
    "angry": (0.20, 0.85),
    "disgust": (0.25, 0.60),
    "fear": (0.25, 0.75),
    "happy": (0.85, 0.70),
    "sad": (0.20, 0.30),
    "surprise": (0.70, 0.80),
    "neutral": (0.50, 0.45),
}
SUBMOOD_POINTS: Mapping[str, tuple[float, float]] = {
    "focus": (0.50, 0.35),
    "relax": (0.60, 0.20),
    "energise": (0.80, 0.85),
}
LIFT_GOAL_VALENCE = 0.80          # a lift ends brighter...
LIFT_GOAL_ENERGY = 0.50           # ...and neither sleepy nor hectic
LIFT_MIN_RISE = 0.10              # a lift ends brighter than it starts, even from a happy mood
CALM_ENERGY = 0.25
CALM_MIN_VALENCE = 0.50
JITTER = 0.04                     # uniform noise added to distances: light randomness for rerolls
ACOUSTIC_WEIGHT = 0.15            # calm/relax/focus: prefer acoustic recordings...
FAST_WEIGHT = 0.10                # ...and slow tempi

LANGUAGE_ANY = "any"
LANGUAGE_INTERNATIONAL = "intl"   # everything that is not Korean

_EMOTION_KO = {"angry": "화난", "disgust": "불편한", "fear": "불안한", "happy": "기쁜",
               "sad": "슬픈", "surprise": "놀란", "neutral": "차분한"}
_VALENCE_WORDS = ((0.30, "melancholic", "쓸쓸하고"), (0.50, "wistful", "아련하고"),
                  (0.70, "warm", "따뜻하고"), (1.01, "bright", "밝고"))
_ENERGY_WORDS = ((0.30, "calm", "잔잔한"), (0.55, "mellow", "편안한"),
                 (0.80, "lively", "경쾌한"), (1.01, "intense", "강렬한"))
_SUBMOOD_REASONS = {
    "focus": ("steady enough to focus to", "집중하기 좋은"),
    "relax": ("gentle, for unwinding", "쉬어 가기 좋은"),
    "energise": ("to get you moving", "기운을 북돋는"),
}


@dataclass(frozen=True)
class _Plan:
    """Where each slot of the list should land, and how to score songs against it."""
    targets: np.ndarray           # (slots, 2) valence, energy; one row serves every slot
    soft: bool                    # prefer acoustic, slower recordings


def mood_point(emotion_probs: Mapping[str, float]) -> tuple[float, float]:
    """Probability-weighted (valence, arousal) of an emotion mix; empty or all-zero = neutral."""
    unknown = set(emotion_probs) - set(EMOTION_POINTS)
    if unknown:
        raise ValueError(f"unknown emotion label(s) {sorted(unknown)}; expected {EMOTIONS}")
    weights = np.array([max(0.0, float(emotion_probs.get(e, 0.0))) for e in EMOTIONS])
    if not weights.sum() > 0:
        return EMOTION_POINTS["neutral"]
    point = weights @ np.array([EMOTION_POINTS[e] for e in EMOTIONS]) / weights.sum()
    return float(point[0]), float(point[1])


def _plan(mood: tuple[float, float], strategy: str, submood: str | None, k: int) -> _Plan:
    goal = SUBMOOD_POINTS[submood] if submood else None
    soft = submood in ("focus", "relax")
    if strategy == "lift":
        lift_valence = min(0.95, max(LIFT_GOAL_VALENCE, mood[0] + LIFT_MIN_RISE))
        end = np.array(goal or (lift_valence, LIFT_GOAL_ENERGY))
        steps = np.linspace(0.0, 1.0, k)[:, None]
        targets = np.asarray(mood) + steps * (end - np.asarray(mood))
    elif strategy == "calm":
        valence, energy = goal or mood
        targets = np.array([[max(valence, CALM_MIN_VALENCE), min(energy, CALM_ENERGY)]])
        soft = True
    else:
        targets = np.array([goal or mood])
    return _Plan(targets=targets, soft=soft)


def _allowed(catalogue: Catalogue, language_pref: str, genres: Collection[str] | None,
             exclude: Collection[str]) -> np.ndarray:
    """Mask of rows allowed by the filters and not yet shown; raises when none are left."""
    allowed = np.ones(len(catalogue), dtype=bool)
    if language_pref == LANGUAGE_INTERNATIONAL:
        allowed &= ~np.isin(catalogue.language_code, _codes_of(catalogue.language_names, ["ko"]))
    elif language_pref not in (LANGUAGE_ANY, ""):
        allowed &= np.isin(catalogue.language_code,
                           _codes_of(catalogue.language_names, [language_pref.lower()]))
    if genres:
        wanted = _codes_of(catalogue.genre_names, [g.lower() for g in genres])
        allowed &= np.isin(catalogue.genre_code, wanted)
    if not allowed.any():
        shown_genres = ", ".join(genres) if genres else "any"
        raise NoSongsError(
            f"No songs in the catalogue match language '{language_pref}' and genre(s) "
            f"'{shown_genres}'. Try 'any' language or fewer genres.",
            f"언어 '{language_pref}', 장르 '{shown_genres}'에 맞는 노래가 목록에 없어요. "
            "언어를 '전체'로 바꾸거나 장르를 줄여 보세요.")
    seen = [row for row in map(catalogue.index.get, exclude) if row is not None]
    allowed[seen] = False
    if not allowed.any():
        raise SongsExhaustedError(
            "You have already heard every song that fits these choices in this session.",
            "이번 대화에서 이 조건에 맞는 노래를 모두 추천해 드렸어요.")
    return allowed


def _codes_of(names: tuple[str, ...], wanted: Collection[str]) -> list[int]:
    return [i for i, name in enumerate(names) if name in wanted]


@dataclass(frozen=True, eq=False)
class _Index:
    """Rows sorted by valence, so a target only scores the songs in a valence window around it."""
    order: np.ndarray             # rows by ascending valence
    sorted_valence: np.ndarray
    valence: np.ndarray
    energy: np.ndarray
    not_acoustic: np.ndarray      # 1 - acousticness (unknown = 0.5)
    fast: np.ndarray              # 0..1 penalty growing from 100 to 160 BPM (unknown = 0)


@lru_cache(maxsize=8)
def _index(catalogue: Catalogue) -> _Index:
    order = np.argsort(catalogue.valence, kind="stable")
    tempo = np.nan_to_num(catalogue.tempo, nan=100.0)
    return _Index(order=order, sorted_valence=catalogue.valence[order],
                  valence=catalogue.valence, energy=catalogue.energy,
                  not_acoustic=1.0 - np.nan_to_num(catalogue.acousticness, nan=0.5),
                  fast=np.clip((tempo - 100.0) / 60.0, 0.0, 1.0))


def _nearest(index: _Index, allowed: np.ndarray, target: np.ndarray, soft: bool,
             rng: np.random.Generator, want: int) -> np.ndarray:
    """At least ``want`` allowed rows (fewer only if fewer exist), cheapest first.

    Every extra term of the cost is >= 0, so a song outside the valence window
    ``target ± radius`` costs at least ``radius``: once ``want`` songs inside cost less than
    ``radius``, they are exactly the cheapest. Otherwise the window doubles.
    """
    radius = 0.05
    while True:
        lo, hi = np.searchsorted(index.sorted_valence, (target[0] - radius, target[0] + radius))
        rows = index.order[lo:hi]
        rows = rows[allowed[rows]]
        d_valence = index.valence[rows] - target[0]
        d_energy = index.energy[rows] - target[1]
        costs = np.sqrt(d_valence * d_valence + d_energy * d_energy)
        if soft:
            costs += ACOUSTIC_WEIGHT * index.not_acoustic[rows] + FAST_WEIGHT * index.fast[rows]
        costs += rng.uniform(0.0, JITTER, size=rows.size)
        close = costs < radius
        if np.count_nonzero(close) >= want:
            return rows[close][np.argsort(costs[close])]
        if lo == 0 and hi == len(index.order):
            return rows[np.argsort(costs)]
        radius *= 2


def _pick(index: _Index, allowed: np.ndarray, plan: _Plan, k: int,
          rng: np.random.Generator, artist_code: np.ndarray) -> list[int]:
    """Per slot in order, the cheapest allowed song whose artist is not in the list yet.

    Slot ``i`` aims at target row ``min(i, last)``, so one target row serves a whole list.
    """
    picked: list[int] = []
    artists: set[int] = set()
    want = 4 * k + 16
    order = np.empty(0, dtype=np.intp)
    for slot in range(k):
        target = min(slot, len(plan.targets) - 1)
        if slot < len(plan.targets):
            order = _nearest(index, allowed, plan.targets[target], plan.soft, rng, want)
        choice = _first_free(order, artist_code, artists, picked)
        if choice is None:  # the shortlist holds only artists already in the list: widen it
            order = _nearest(index, allowed, plan.targets[target], plan.soft, rng, len(allowed))
            choice = _first_free(order, artist_code, artists, picked)
        if choice is None:
            break
        picked.append(choice)
        artists.add(int(artist_code[choice]))
    return picked


def _first_free(order: np.ndarray, artist_code: np.ndarray, artists: set[int],
                picked: list[int]) -> int | None:
    for candidate in order.tolist():
        if candidate not in picked and int(artist_code[candidate]) not in artists:
            return candidate
    return None


def search_links(title: str, artist: str) -> dict[str, str]:
    """Search pages for the song on YouTube, Spotify and Melon; no API key involved."""
    query = f"{title} {primary_artist(artist)}"
    return {
        "youtube": "https://www.youtube.com/results?search_query=" + quote_plus(query),
        "spotify": "https://open.spotify.com/search/" + quote(query, safe=""),
        "melon": "https://www.melon.com/search/total/index.htm?q=" + quote_plus(query),
    }


def describe(valence: float, energy: float) -> tuple[str, str]:
    """Two-word character of a song, in English and Korean ("wistful and calm", "아련하고 잔잔한")."""
    v_en, v_ko = next((en, ko) for top, en, ko in _VALENCE_WORDS if valence < top)
    e_en, e_ko = next((en, ko) for top, en, ko in _ENERGY_WORDS if energy < top)
    return f"{v_en} and {e_en}", f"{v_ko} {e_ko}"


def _reason(strategy: str, submood: str | None, emotion: str, slot: int, k: int,
            valence: float, energy: float) -> tuple[str, str]:
    en, ko = describe(valence, energy)
    if strategy == "lift" and k > 1:
        return (f"Step {slot + 1} of {k} toward a lighter mood: {en}.",
                f"가벼운 기분으로 가는 {k}곡 중 {slot + 1}번째: {ko} 곡이에요.")
    if strategy == "calm":
        return (f"To help you settle: {en}.", f"마음을 가라앉히는 데 도움이 되는 {ko} 곡이에요.")
    if submood:
        why_en, why_ko = _SUBMOOD_REASONS[submood]
        return f"{en.capitalize()}, {why_en}.", f"{why_ko} {ko} 곡이에요."
    return (f"{en.capitalize()}, in tune with your {emotion} mood.",
            f"지금의 {_EMOTION_KO[emotion]} 마음에 어울리는 {ko} 곡이에요.")


def recommend(emotion_probs: Mapping[str, float], strategy: str = "match",
              language_pref: str = LANGUAGE_ANY, exclude: Collection[str] = (), k: int = 5, *,
              submood: str | None = None, genres: Collection[str] | None = None,
              catalogue: Catalogue | None = None,
              rng: np.random.Generator | int | None = None) -> list[Track]:
    """Up to ``k`` songs for this mood, one per artist, none of whose keys is in ``exclude``.

    ``language_pref``: "any", "intl" (not Korean) or a catalogue language code ("ko", "en"...).
    ``genres``: catalogue genre labels to keep; None = all. Raises :class:`NoSongsError` when the
    filters leave nothing, :class:`SongsExhaustedError` when ``exclude`` has covered everything left.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; expected one of {STRATEGIES}")
    if submood is not None and submood not in SUBMOODS:
        raise ValueError(f"unknown sub-mood {submood!r}; expected one of {SUBMOODS}")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    catalogue = catalogue if catalogue is not None else load_catalogue()
    rng = np.random.default_rng(rng)
    allowed = _allowed(catalogue, language_pref, genres, exclude)
    plan = _plan(mood_point(emotion_probs), strategy, submood, k)
    picked = _pick(_index(catalogue), allowed, plan, k, rng, catalogue.artist_code)
    emotion = max(emotion_probs, key=emotion_probs.__getitem__, default="neutral")
    if not emotion_probs.get(emotion, 0) > 0:  # all-zero probabilities read as neutral, as above
        emotion = "neutral"
    tracks = []
    for slot, row in enumerate(picked):
        title, artist = catalogue.titles[row], catalogue.artists[row]
        reason, reason_ko = _reason(strategy, submood, emotion, slot, len(picked),
                                    catalogue.valence[row], catalogue.energy[row])
        tracks.append(catalogue.track(row, reason=reason, reason_ko=reason_ko,
                                      links=search_links(title, artist)))
    return tracks
