"""Catalogue loading: our curated CSV, the shared tracks.csv schema, and clear errors for bad files."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.config import load_config
from core.errors import ErrorCategory
from music import BUNDLED_CATALOGUE, CatalogueError, load_catalogue, track_key
from tests.music_fixtures import (SHARED_TRACKS, any_catalogue, csv_rows, curated,  # noqa: F401
                                  shared_catalogue)
from training.music.compare import compare_catalogues, match_keys

REPO = Path(__file__).resolve().parents[1]
KOREAN_STYLES = {"k-pop", "k-ballad", "k-indie", "k-hiphop", "k-ost"}
HEADER = "title,artist,year,genre,language,valence,energy,tempo,acousticness"
GOOD = "Spring Day,BTS,2017,k-pop,ko,0.4,0.6,107,0.1"


def test_curated_list_is_large_and_at_least_40_percent_korean(curated):
    rows = csv_rows(BUNDLED_CATALOGUE)
    korean = [r for r in rows if r["language"] == "ko"]
    assert len(curated) == len(rows) >= 300
    assert len(korean) / len(rows) >= 0.40
    assert KOREAN_STYLES <= {r["genre"] for r in korean}
    assert len({r["language"] for r in rows} - {"ko"}) >= 2


def test_curated_rows_are_complete_and_in_range(curated):
    assert np.all((curated.valence >= 0) & (curated.valence <= 1))
    assert np.all((curated.energy >= 0) & (curated.energy <= 1))
    assert np.all(curated.year >= 1800)
    assert not np.isnan(curated.acousticness).any()
    assert len(set(curated.keys)) == len(curated)


def test_shared_catalogue_loads_every_row(shared_catalogue):
    rows = csv_rows(SHARED_TRACKS)
    assert len(shared_catalogue) == len(rows)
    row = random.Random(0).randrange(len(rows))
    track = shared_catalogue.track(row)
    assert (track.title, track.artist, track.track_id) == (
        rows[row]["title"], rows[row]["artist"], rows[row]["track_id"])
    assert track.valence == pytest.approx(float(rows[row]["valence"]))
    empty_tempo = sum(r["tempo"] == "" for r in rows)
    assert int(np.isnan(shared_catalogue.tempo).sum()) == empty_tempo


def test_track_key_is_the_catalogue_key(any_catalogue):
    for row in range(0, len(any_catalogue), 97):
        assert track_key(any_catalogue.track(row)) == any_catalogue.keys[row]
        assert any_catalogue.index[any_catalogue.keys[row]] == row


def test_loading_is_cached_by_path_and_empty_means_bundled(tmp_path):
    assert load_catalogue() is load_catalogue("") is load_catalogue(BUNDLED_CATALOGUE)
    path = tmp_path / "mine.csv"
    path.write_text(f"{HEADER}\n{GOOD}\n", encoding="utf-8")
    first = load_catalogue(path)
    assert load_catalogue(str(path)) is first
    path.write_text(f"{HEADER}\n{GOOD}\nHype Boy,NewJeans,2022,k-pop,ko,0.7,0.65,100,0.1\n",
                    encoding="utf-8")
    os.utime(path, ns=(first_mtime := path.stat().st_mtime_ns, first_mtime + 10**9))
    assert len(load_catalogue(path)) == 2


def test_minimal_columns_and_bom_are_accepted(tmp_path):
    path = tmp_path / "minimal.csv"
    path.write_text("\ufefftitle,artist,genre,language,valence,energy\nYellow,Coldplay,rock,en,0.3,0.6\n",
                    encoding="utf-8")
    track = load_catalogue(path).track(0)
    assert (track.title, track.year, track.tempo, track.acousticness) == ("Yellow", None, None, None)


BAD_LINES = [
    ("Butter,BTS,2017,k-pop,ko,abc,0.6,107,0.1", "valence 'abc'"),
    ("Butter,BTS,2017,k-pop,ko,0.4,1.5,107,0.1", "energy '1.5'"),
    ("Butter,BTS,2017,k-pop,ko,0.4,nan,107,0.1", "energy 'nan'"),
    (",BTS,2017,k-pop,ko,0.4,0.6,107,0.1", "title and artist"),
    ("Butter,BTS,2017,k-pop,ko,0.4,0.6,107", "expected 9 fields"),
    ("Butter,BTS,2017,k-pop,ko,0.4,0.6,107,0.1,extra", "expected 9 fields"),
    ("Butter,BTS,20x7,k-pop,ko,0.4,0.6,107,0.1", "year '20x7'"),
    ("Butter,BTS,2017,k-pop,ko,0.4,0.6,-5,0.1", "tempo '-5'"),
    ("Butter,BTS,2017,k-pop,ko,0.4,0.6,107,high", "acousticness 'high'"),
    ("Hype Boy,NewJeans,2022,k-pop,ko,0.7,0.65,100,0.1", "repeats line 3"),
]


@pytest.mark.parametrize("bad, expected", BAD_LINES)
def test_malformed_row_names_its_line(tmp_path, bad, expected):
    path = tmp_path / "broken.csv"
    lines = [HEADER, "Yellow,Coldplay,2000,rock,en,0.3,0.6,87,0.01",
             "Hype Boy,NewJeans,2022,k-pop,ko,0.7,0.65,100,0.1", GOOD, bad]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    assert "broken.csv, line 5" in info.value.en and expected in info.value.en
    assert "5번째 줄" in info.value.ko
    assert info.value.category is ErrorCategory.CONFIG


def test_line_numbers_count_physical_lines_of_quoted_fields(tmp_path):
    path = tmp_path / "multiline.csv"
    path.write_text(f'{HEADER}\n"Two\nLines",Someone,2001,pop,en,0.5,0.5,100,0.5\n'
                    "Bad,Someone Else,2001,pop,en,2,0.5,100,0.5\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="line 4"):
        load_catalogue(path)


@pytest.mark.parametrize("content, expected", [
    ("title,artist,genre\nYellow,Coldplay,rock\n", "missing column(s) language, valence, energy"),
    ("", "missing column(s) title"),
    (f"{HEADER}\n", "has no songs"),
    (b"title,artist,genre,language,valence,energy\n\xff\xfe,x,y,z,0.1,0.1\n", "not UTF-8"),
])
def test_unusable_file_gives_clear_error(tmp_path, content, expected):
    path = tmp_path / "songs.csv"
    (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    assert expected in info.value.en and info.value.ko


def test_missing_file_points_at_the_setting(tmp_path):
    with pytest.raises(CatalogueError, match="HARU_MUSIC_CATALOGUE") as info:
        load_catalogue(tmp_path / "nowhere.csv")
    assert "HARU_MUSIC_CATALOGUE" in info.value.ko


def test_title_variants_match_across_sources():
    assert match_keys("Untitled, 2014", "G-DRAGON") & match_keys("무제(無題) (Untitled, 2014)", "G-DRAGON")
    assert match_keys("Hey Jude", "The Beatles") & match_keys("Hey Jude - Remastered 2015", "The Beatles")
    assert match_keys("Oasis (feat. ZICO)", "Crush;ZICO") & match_keys("Oasis", "Crush")
    assert not match_keys("Hello", "Adele") & match_keys("Hello", "Huh Gak")


def test_our_estimates_track_the_measured_features(curated, shared_catalogue):
    result = compare_catalogues(curated, shared_catalogue)
    assert result.matched >= 30
    mine, theirs = (np.array(side) for side in zip(*result.pairs))
    shuffled = np.random.default_rng(0).permutation(theirs)
    # Our guesses must be much closer to the measured values than a random pairing is.
    for column, mad in (("valence", result.mad_valence), ("energy", result.mad_energy)):
        ours, ref = getattr(curated, column), getattr(shared_catalogue, column)
        assert mad == pytest.approx(np.abs(ours[mine] - ref[theirs]).mean())
        assert mad < 0.7 * np.abs(ours[mine] - ref[shuffled]).mean()


def test_import_has_no_side_effects():
    code = ("import logging, music, music.catalogue as c, music.recommender as r\n"
            "assert c._load_cached.cache_info().currsize == 0 and r._index.cache_info().currsize == 0\n"
            "assert not logging.getLogger().handlers\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == done.stderr == ""


def test_the_setting_points_the_app_at_a_large_catalogue(shared_catalogue):
    config = load_config(env={"HARU_MUSIC_CATALOGUE": str(SHARED_TRACKS)}, dotenv=None)
    assert load_catalogue(config.music_catalogue) is shared_catalogue
    assert load_catalogue(load_config(env={}, dotenv=None).music_catalogue) is load_catalogue()
