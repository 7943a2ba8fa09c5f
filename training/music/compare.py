"""Check our hand estimates against a reference catalogue with measured audio features."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from music.catalogue import Catalogue, normalise, primary_artist


@dataclass(frozen=True)
class Comparison:
    matched: int
    mad_valence: float            # mean absolute difference, ours vs reference
    mad_energy: float
    pairs: tuple[tuple[int, int], ...]   # (row in ours, row in reference)


_BRACKETS = re.compile(r"\(([^)]*)\)|\[([^]]*)\]")
_FEAT = re.compile(r"\b(feat|ft|with|prod)\b.*$")
_PUNCT = re.compile(r"[^\w\s]")


def _clean(text: str) -> str:
    text = _FEAT.sub("", normalise(text))
    return " ".join(_PUNCT.sub(" ", text).split())


def match_keys(title: str, artist: str) -> set[str]:
    """Keys under which a song may appear elsewhere: normalised title variants + primary artist.

    Variants drop bracketed parts and " - Remastered"-style suffixes, and also try the bracketed
    text alone, because Korean songs are listed as "Spring Day" in one source and "봄날" in another.
    """
    artist_key = _clean(primary_artist(artist))
    titles = {_clean(title), _clean(_BRACKETS.sub(" ", title)), _clean(title.split(" - ")[0])}
    titles |= {_clean(a or b) for a, b in _BRACKETS.findall(title)}
    return {f"{t}|{artist_key}" for t in titles if t}


def compare_catalogues(ours: Catalogue, reference: Catalogue) -> Comparison:
    """Songs present in both (by :func:`match_keys`) and how far our estimates are from theirs."""
    where: dict[str, int] = {}
    for row, (title, artist) in enumerate(zip(reference.titles, reference.artists)):
        for key in match_keys(title, artist):
            where.setdefault(key, row)
    pairs = []
    for row, (title, artist) in enumerate(zip(ours.titles, ours.artists)):
        hits = sorted(where[key] for key in match_keys(title, artist) if key in where)
        if hits:
            pairs.append((row, hits[0]))
    if not pairs:
        return Comparison(0, float("nan"), float("nan"), ())
    mine, theirs = (np.array(side) for side in zip(*pairs))
    return Comparison(
        matched=len(pairs),
        mad_valence=float(np.abs(ours.valence[mine] - reference.valence[theirs]).mean()),
        mad_energy=float(np.abs(ours.energy[mine] - reference.energy[theirs]).mean()),
        pairs=tuple(pairs),
    )
