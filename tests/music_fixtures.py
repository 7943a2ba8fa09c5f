"""Shared fixtures for the music tests: the bundled curated list and the large shared catalogue."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from music import load_catalogue

SHARED_DATA = Path(os.environ.get("HARU_SHARED_DATA",
                                  Path(__file__).resolve().parents[1] / ".." / "shared" / "data"))
SHARED_TRACKS = SHARED_DATA / "music" / "tracks.csv"


@pytest.fixture(scope="session")
def curated():
    return load_catalogue()


@pytest.fixture(scope="session")
def shared_catalogue():
    if not SHARED_TRACKS.is_file():
        pytest.skip(f"shared music catalogue not found at {SHARED_TRACKS} (set HARU_SHARED_DATA)")
    return load_catalogue(SHARED_TRACKS)


@pytest.fixture(params=["curated", "shared"])
def any_catalogue(request):
    return request.getfixturevalue("curated" if request.param == "curated" else "shared_catalogue")


def csv_rows(path: Path) -> list[dict[str, str]]:
    """The file read independently of the loader, to check it against."""
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def only(label: str) -> dict[str, float]:
    return {label: 1.0}
