"""Per-person memory of shown songs, so "new songs" never repeats until the pool runs out."""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping

import numpy as np

from music.catalogue import Catalogue, track_key
from music.recommender import LANGUAGE_ANY, recommend
from music.types import SongsExhaustedError, Track

log = logging.getLogger(__name__)


class SongSession:
    """Wraps :func:`recommend` with the set of song keys already shown to one person.

    When every song that fits the current choices has been shown, the memory starts over
    (the songs of the list shown last stay excluded, so a reroll still changes the list).
    Not thread-safe: keep one per UI session.
    """

    def __init__(self, catalogue: Catalogue | None = None,
                 rng: np.random.Generator | int | None = None) -> None:
        self._catalogue = catalogue
        self._rng = np.random.default_rng(rng)
        self._shown: set[str] = set()
        self._last: frozenset[str] = frozenset()

    @property
    def shown(self) -> frozenset[str]:
        return frozenset(self._shown)

    def reset(self) -> None:
        self._shown.clear()
        self._last = frozenset()

    def suggest(self, emotion_probs: Mapping[str, float], strategy: str = "match",
                language_pref: str = LANGUAGE_ANY, k: int = 5, *, submood: str | None = None,
                genres: Collection[str] | None = None) -> list[Track]:
        def ask(exclude: Collection[str]) -> list[Track]:
            return recommend(emotion_probs, strategy, language_pref, exclude, k, submood=submood,
                             genres=genres, catalogue=self._catalogue, rng=self._rng)

        try:
            tracks = ask(self._shown)
        except SongsExhaustedError:
            log.info("every fitting song was shown (%d keys); starting the pool over",
                     len(self._shown))
            self._shown.clear()
            try:
                tracks = ask(self._last)
            except SongsExhaustedError:  # the last list was the whole pool
                tracks = ask(())
        self.remember(tracks)
        return tracks

    def remember(self, tracks: Collection[Track]) -> None:
        """Count ``tracks`` as shown (songs suggested elsewhere, e.g. with a reply), so rerolls skip them."""
        self._last = frozenset(track_key(t) for t in tracks)
        self._shown |= self._last
