from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Row:
    stage: str          # "vision", "speech", ...
    metric: str         # "read_emotion 640x480 p50"
    value: float
    unit: str           # "ms", "x", "frames/s", ...
    goal: str = ""      # "<= 40 ms"
    note: str = ""


def timeit(fn: Callable[[], object], repeat: int, warmup: int = 1) -> list[float]:
    """Wall-clock milliseconds of ``repeat`` calls after ``warmup`` untimed ones."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def p50(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
