"""What every benchmark module shares: the row it returns, timing helpers, and the CPU it ran on.

A figure holds only on the CPU it was taken on (bf16 native or emulated made 50x differences), so
docs/benchmarks.md keeps one table per :func:`cpu_kind`, and each row says which numeric path its stage took.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from core.cpu import cpu_features


@dataclass(frozen=True)
class Row:
    stage: str          # "vision", "speech", ...
    metric: str         # "read_emotion 640x480 p50"
    value: float
    unit: str           # "ms", "x", "frames/s", ...
    goal: str = ""      # "<= 40 ms"
    note: str = ""
    path: str = ""      # numeric path the stage took: "int8 (ONNX Runtime)", "bf16 autocast", "Q4_K_M, 1 thread"


def cpu_kind() -> str:
    """The key of this CPU's table: model (family, model) and the instruction sets that pick numeric paths."""
    return cpu_features().describe()


def machine() -> str:
    """The rest of the machine, and how busy it was: figures taken beside other work are upper bounds."""
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    try:
        load = f", load average {os.getloadavg()[0]:.1f} at the start"
    except OSError:
        load = ""
    return (f"{cpu_features().cores} usable cores{mem}, {platform.system()} {platform.machine()}, "
            f"Python {platform.python_version()}, no GPU{load}")


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
