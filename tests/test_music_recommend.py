"""Recommender properties per emotion and strategy, on the curated list and the large catalogue."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlparse

import numpy as np
import pytest

from music import (EMOTION_POINTS, EMOTIONS, LIFT_GOAL_VALENCE, NoSongsError, STRATEGIES,
                   SUBMOODS, SongsExhaustedError, format_songs, mood_point, recommend,
                   songs_for_prompt, track_key)
from music.catalogue import normalise, primary_artist
from tests.music_fixtures import any_catalogue, curated, only, shared_catalogue  # noqa: F401

SEEDS = range(12)


def lists(catalogue, probs, strategy="match", **kwargs):
    return [recommend(probs, strategy, catalogue=catalogue, rng=seed, **kwargs) for seed in SEEDS]


def mean_of(tracks_lists, column):
    return float(np.mean([getattr(t, column) for tracks in tracks_lists for t in tracks]))


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("emotion", EMOTIONS)
def test_every_emotion_and_strategy_gives_k_songs_by_different_artists(any_catalogue, emotion,
                                                                       strategy):
    tracks = recommend(only(emotion), strategy, k=5, catalogue=any_catalogue, rng=1)
    assert len(tracks) == 5
    assert len({normalise(primary_artist(t.artist)) for t in tracks}) == 5
    assert len({track_key(t) for t in tracks}) == 5
    for t in tracks:
        assert t.reason and t.reason_ko
        assert set(t.links) == {"youtube", "spotify", "melon"}
        assert track_key(t) in any_catalogue.index


def test_match_happy_is_brighter_than_the_median(any_catalogue):
    assert mean_of(lists(any_catalogue, only("happy")), "valence") > np.median(any_catalogue.valence)


def test_match_sad_is_darker_and_quieter_than_the_median(any_catalogue):
    sad = lists(any_catalogue, only("sad"))
    assert mean_of(sad, "valence") < np.median(any_catalogue.valence)
    assert mean_of(sad, "energy") < np.median(any_catalogue.energy)


def test_match_angry_is_dark_and_loud(any_catalogue):
    angry = lists(any_catalogue, only("angry"))
    assert mean_of(angry, "valence") < np.median(any_catalogue.valence)
    assert mean_of(angry, "energy") > np.median(any_catalogue.energy)


@pytest.mark.parametrize("emotion", EMOTIONS)
def test_lift_rises_in_valence_from_first_to_last(any_catalogue, emotion):
    runs = lists(any_catalogue, only(emotion), "lift")
    rises = [tracks[-1].valence - tracks[0].valence for tracks in runs]
    slopes = [np.polyfit(np.arange(len(tracks)), [t.valence for t in tracks], 1)[0] for tracks in runs]
    assert np.mean(rises) > 0 and np.mean(slopes) > 0
    # iso principle: the list opens near the current mood, not at the goal
    first = np.mean([tracks[0].valence for tracks in runs])
    assert abs(first - EMOTION_POINTS[emotion][0]) < abs(first - LIFT_GOAL_VALENCE)

@pytest.mark.parametrize("emotion", ["angry", "fear", "surprise"])
def test_lift_brings_high_energy_moods_down(any_catalogue, emotion):
    runs = lists(any_catalogue, only(emotion), "lift")
    assert np.mean([tracks[-1].energy - tracks[0].energy for tracks in runs]) < 0


@pytest.mark.parametrize("emotion", EMOTIONS)
def test_calm_is_quieter_than_the_median(any_catalogue, emotion):
    assert mean_of(lists(any_catalogue, only(emotion), "calm"), "energy") < np.median(any_catalogue.energy)


@pytest.mark.parametrize("emotion", ["angry", "fear"])
def test_calm_is_quieter_than_matching_the_mood(any_catalogue, emotion):
    calm = mean_of(lists(any_catalogue, only(emotion), "calm"), "energy")
    assert calm < mean_of(lists(any_catalogue, only(emotion)), "energy") - 0.2


def test_neutral_submoods_differ(any_catalogue):
    runs = {s: lists(any_catalogue, only("neutral"), submood=s) for s in SUBMOODS}
    median_energy = np.median(any_catalogue.energy)
    assert mean_of(runs["relax"], "energy") < mean_of(runs["focus"], "energy") < median_energy
    assert mean_of(runs["energise"], "energy") > median_energy
    assert mean_of(runs["energise"], "valence") > np.median(any_catalogue.valence)
    assert mean_of(runs["relax"], "acousticness") > mean_of(runs["energise"], "acousticness")


def test_the_whole_distribution_counts_not_only_the_top_label(any_catalogue):
    happy_point, sad_point = mood_point(only("happy")), mood_point(only("sad"))
    mixed = {"happy": 0.55, "sad": 0.45}
    assert sad_point[0] < mood_point(mixed)[0] < happy_point[0]
    mixed_valence = mean_of(lists(any_catalogue, mixed), "valence")
    assert mean_of(lists(any_catalogue, only("sad")), "valence") < mixed_valence
    assert mixed_valence < mean_of(lists(any_catalogue, only("happy")), "valence")


def test_no_face_means_neutral(curated):
    assert mood_point({}) == mood_point({"happy": 0.0}) == EMOTION_POINTS["neutral"]
    for probs in ({}, {"angry": 0.0, "sad": 0.0}):
        assert "neutral mood" in recommend(probs, catalogue=curated, rng=0)[0].reason


def test_same_seed_same_list_and_seeds_vary(shared_catalogue):
    again = recommend(only("sad"), catalogue=shared_catalogue, rng=7)
    assert again == recommend(only("sad"), catalogue=shared_catalogue, rng=7)
    distinct = {tuple(map(track_key, tracks)) for tracks in lists(shared_catalogue, only("sad"))}
    assert len(distinct) > len(SEEDS) // 2


@pytest.mark.parametrize("language, allowed", [("ko", {"ko"}), ("en", {"en"}), ("ja", {"ja"})])
def test_language_filter(any_catalogue, language, allowed):
    for tracks in lists(any_catalogue, only("happy"), language_pref=language):
        assert tracks and {t.language for t in tracks} == allowed


def test_international_means_not_korean(any_catalogue):
    for tracks in lists(any_catalogue, only("sad"), "lift", language_pref="intl"):
        assert len(tracks) == 5 and all(t.language != "ko" for t in tracks)


def test_genre_filter_is_case_insensitive(curated):
    for tracks in lists(curated, only("sad"), genres=["K-Ballad", "k-ost"]):
        assert tracks and {t.genre for t in tracks} <= {"k-ballad", "k-ost"}


def test_one_song_per_artist_even_when_that_leaves_fewer_than_k(curated):
    reggae = [i for i in range(len(curated)) if curated.genre_of(i) == "reggae"]
    artists = {curated.artists[i] for i in reggae}
    tracks = recommend(only("happy"), genres=["reggae"], k=5, catalogue=curated, rng=0)
    assert len(tracks) == len(artists) < len(reggae)


@pytest.mark.parametrize("kwargs, shown", [
    ({"language_pref": "xx"}, "'xx'"),
    ({"genres": ["polka"]}, "'polka'"),
    ({"language_pref": "ja", "genres": ["k-ballad"]}, "'k-ballad'"),
])
def test_filters_that_leave_nothing_explain_themselves(curated, kwargs, shown):
    with pytest.raises(NoSongsError) as info:
        recommend(only("sad"), catalogue=curated, **kwargs)
    assert shown in info.value.en and shown in info.value.ko
    assert not isinstance(info.value, SongsExhaustedError)


def test_excluding_everything_says_the_pool_is_exhausted(curated):
    ost = [curated.keys[i] for i in range(len(curated)) if curated.genre_of(i) == "k-ost"]
    with pytest.raises(SongsExhaustedError) as info:
        recommend(only("sad"), genres=["k-ost"], exclude=ost, catalogue=curated)
    assert info.value.en and info.value.ko


def test_exclude_is_respected(shared_catalogue):
    first = recommend(only("fear"), "calm", catalogue=shared_catalogue, rng=0)
    second = recommend(only("fear"), "calm", exclude={track_key(t) for t in first},
                       catalogue=shared_catalogue, rng=0)
    assert not {track_key(t) for t in first} & {track_key(t) for t in second}


@pytest.mark.parametrize("kwargs, message", [
    ({"strategy": "party"}, "unknown strategy"),
    ({"submood": "sleep"}, "unknown sub-mood"),
    ({"k": 0}, "at least 1"),
    ({"emotion_probs": {"contempt": 1.0}}, "unknown emotion"),
])
def test_programming_errors_list_valid_values(curated, kwargs, message):
    args = {"emotion_probs": only("happy"), **kwargs}
    with pytest.raises(ValueError, match=message):
        recommend(catalogue=curated, **args)


def test_links_search_for_title_and_artist(curated):
    row = curated.titles.index("Blood Sweat & Tears")
    track = recommend(only("sad"), exclude=set(curated.keys) - {curated.keys[row]},
                      catalogue=curated)[0]
    query = "Blood Sweat & Tears BTS"
    youtube, spotify, melon = (urlparse(track.links[n]) for n in ("youtube", "spotify", "melon"))
    assert "&" not in youtube.query.split("search_query=")[1]
    assert parse_qs(youtube.query)["search_query"] == [query]
    assert unquote(spotify.path.removeprefix("/search/")) == query
    assert parse_qs(melon.query)["q"] == [query]
    assert (youtube.netloc, spotify.netloc, melon.netloc) == (
        "www.youtube.com", "open.spotify.com", "www.melon.com")


def test_lift_reasons_count_the_steps(curated):
    tracks = recommend(only("sad"), "lift", k=4, catalogue=curated, rng=3)
    assert [t.reason.split(" toward")[0] for t in tracks] == [f"Step {i} of 4" for i in range(1, 5)]
    assert all("4곡 중" in t.reason_ko for t in tracks)


def test_text_for_the_prompt_and_the_reply(curated):
    tracks = recommend(only("happy"), catalogue=curated, rng=0, language_pref="ko")
    note, cards = songs_for_prompt(tracks, "ko"), format_songs(tracks, "ko")
    for t in tracks:
        assert f'"{t.title}"' in note and t.reason_ko in note
        assert t.links["melon"] in cards and t.reason_ko in cards
    assert songs_for_prompt([]) == format_songs([]) == ""
