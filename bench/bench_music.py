"""Music stage benchmark: recommend() latency on the large shared catalogue, load time, and how
close our hand estimates are to the measured audio features.

``python -m bench.bench_music [--quick]`` prints the rows; ``python -m bench`` collects them.
"""

from __future__ import annotations

import itertools
import os
import sys
import time
from pathlib import Path

from bench.common import Row, p50, p95, timeit
from music import SongSession, load_catalogue, recommend
from music.catalogue import read_catalogue
from training.music.compare import compare_catalogues

SHARED_DATA = Path(os.environ.get("HARU_SHARED_DATA",
                                  Path(__file__).resolve().parents[1] / ".." / "shared" / "data"))
SHARED_TRACKS = SHARED_DATA / "music" / "tracks.csv"
GOAL_MS = 5.0
MOODS = ({"sad": 0.7, "neutral": 0.3}, {"happy": 0.9, "surprise": 0.1}, {"angry": 0.6, "fear": 0.4})


def _recommend_ms(catalogue, strategy: str, language: str, repeat: int) -> list[float]:
    calls = itertools.count()

    def call() -> None:
        i = next(calls)
        recommend(MOODS[i % len(MOODS)], strategy, language, k=5, catalogue=catalogue, rng=i)

    return timeit(call, repeat=repeat, warmup=5)


def _latency_rows(catalogue, name: str, repeat: int) -> list[Row]:
    rows = []
    for strategy, language in (("match", "any"), ("lift", "any"), ("calm", "any"), ("lift", "ko")):
        times = _recommend_ms(catalogue, strategy, language, repeat)
        rows.append(Row("music", f"recommend {strategy} k=5 language={language}, {name} p50",
                        p50(times), "ms", f"< {GOAL_MS:g} ms",
                        f"p95 {p95(times):.2f} ms, {len(catalogue):,} songs"))
    return rows


def _reroll_row(catalogue, rerolls: int) -> Row:
    session = SongSession(catalogue, rng=0)
    times = timeit(lambda: session.suggest(MOODS[0], "lift", k=5), repeat=rerolls, warmup=0)
    return Row("music", f"SongSession rerolls 1-{rerolls} (up to {5 * (rerolls - 1)} excluded) p50",
               p50(times), "ms", f"< {GOAL_MS:g} ms", f"p95 {p95(times):.2f} ms")


def run(quick: bool = False) -> list[Row]:
    repeat = 50 if quick else 300
    curated = load_catalogue()
    rows = _latency_rows(curated, "curated", repeat)
    if not SHARED_TRACKS.is_file():
        return rows + [Row("music", "shared catalogue", float("nan"), "", "",
                           f"skipped: {SHARED_TRACKS} not found")]
    t0 = time.perf_counter()
    shared = read_catalogue(SHARED_TRACKS.resolve())
    load_ms = (time.perf_counter() - t0) * 1000
    rows.append(Row("music", "load shared catalogue (parse + validate)", load_ms, "ms", "",
                    f"{len(shared):,} songs, once per process (cached)"))
    rows += _latency_rows(shared, "shared", repeat)
    rows.append(_reroll_row(shared, 40 if quick else 200))
    result = compare_catalogues(curated, shared)
    note = f"{result.matched} of {len(curated)} curated songs found in the shared catalogue"
    rows.append(Row("music", "curated vs measured valence, mean abs diff", result.mad_valence, "",
                    "", note))
    rows.append(Row("music", "curated vs measured energy, mean abs diff", result.mad_energy, "",
                    "", note))
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv[1:]):
        print(f"{row.metric:<62} {row.value:>9.3f} {row.unit:<3} {row.goal:<9} {row.note}")
