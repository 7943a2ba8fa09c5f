"""Benchmarks: ``python -m bench`` runs every ``bench/bench_*.py`` and writes docs/benchmarks.md.

Each module exposes ``run(quick: bool = False) -> list[Row]``.
"""

from bench.common import Row

__all__ = ["Row"]
