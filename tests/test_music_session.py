"""Reroll ("new songs") through SongSession: no repeats until the pool is used up, then no crash."""

from __future__ import annotations

import logging

import pytest

from music import NoSongsError, SongSession, track_key
from tests.music_fixtures import curated, only, shared_catalogue  # noqa: F401


def pool_keys(catalogue, genre):
    return {catalogue.keys[i] for i in range(len(catalogue)) if catalogue.genre_of(i) == genre}


def test_rerolls_never_repeat_on_the_large_catalogue(shared_catalogue):
    session = SongSession(shared_catalogue, rng=0)
    seen = []
    for _ in range(25):
        seen += [track_key(t) for t in session.suggest(only("sad"), "lift", k=5)]
    assert len(seen) == len(set(seen)) == 125
    assert session.shown == frozenset(seen)


def test_small_pool_is_used_up_before_anything_repeats_then_starts_over(curated, caplog):
    pool = pool_keys(curated, "k-ost")
    session = SongSession(curated, rng=1)
    seen: list[str] = []
    while set(seen) != pool:
        tracks = session.suggest(only("sad"), genres=["k-ost"], k=4)
        assert tracks and len(seen) < len(pool)
        seen += [track_key(t) for t in tracks]
    assert len(seen) == len(set(seen)) == len(pool)
    last = {track_key(t) for t in tracks}
    with caplog.at_level(logging.INFO, logger="music.session"):
        again = session.suggest(only("sad"), genres=["k-ost"], k=4)
    assert again and not {track_key(t) for t in again} & last
    assert "starting the pool over" in caplog.text
    assert session.shown == frozenset(track_key(t) for t in again)


def test_a_pool_of_one_song_keeps_answering(curated):
    (only_song,) = pool_keys(curated, "soundtrack")
    session = SongSession(curated, rng=0)
    for _ in range(3):
        assert [track_key(t) for t in session.suggest(only("sad"), genres=["soundtrack"])] == [only_song]


def test_filters_that_match_nothing_still_raise(curated):
    with pytest.raises(NoSongsError):
        SongSession(curated).suggest(only("sad"), language_pref="xx")


def test_reset_forgets(curated):
    session = SongSession(curated, rng=0)
    session.suggest(only("neutral"), submood="focus")
    session.reset()
    assert session.shown == frozenset()
