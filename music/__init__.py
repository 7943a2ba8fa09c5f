"""Mood-aware song suggestions: curated catalogue, strategies, reroll without repeats.

Typical use by the orchestrator::

    catalogue = load_catalogue(config.music_catalogue)      # "" = bundled curated list
    songs = turn.prefs.songs
    tracks = recommend(reading.probs, songs.strategy, songs.language,
                       exclude=turn.exclude_songs, submood=songs.submood or None, catalogue=catalogue)

``recommend`` raises :class:`NoSongsError` (a ``HaruError``) when the filters leave nothing, and
its subclass :class:`SongsExhaustedError` when ``exclude`` already covers every fitting song:
retry with an empty ``exclude`` then, or let :class:`SongSession` do it.
"""

from music.catalogue import BUNDLED_CATALOGUE, Catalogue, load_catalogue, track_key
from music.present import format_songs, songs_for_prompt
from music.recommender import (EMOTION_POINTS, EMOTIONS, LANGUAGE_ANY, LANGUAGE_INTERNATIONAL,
                             LIFT_GOAL_ENERGY, LIFT_GOAL_VALENCE, SUBMOOD_POINTS, mood_point,
                             recommend, search_links)
from music.session import SongSession
from music.types import (STRATEGIES, SUBMOODS, CatalogueError, NoSongsError, SongsExhaustedError,
                         Track)

__all__ = [
    "BUNDLED_CATALOGUE", "Catalogue", "CatalogueError", "EMOTIONS", "EMOTION_POINTS",
    "LANGUAGE_ANY", "LANGUAGE_INTERNATIONAL", "LIFT_GOAL_ENERGY", "LIFT_GOAL_VALENCE",
    "NoSongsError", "STRATEGIES", "SUBMOODS", "SUBMOOD_POINTS", "SongSession",
    "SongsExhaustedError", "Track", "format_songs", "load_catalogue",
    "mood_point", "recommend", "search_links", "songs_for_prompt", "track_key",
]
