"""Run every benchmark module, print one table and write docs/benchmarks.md.

    python -m bench                 # everything
    python -m bench --quick         # fewer repetitions
    python -m bench --only vision,music
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import platform
import pkgutil
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

import bench
from bench.common import Row

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (f"{cpu}, {os.cpu_count()} cores{mem}, {platform.system()} {platform.machine()}, "
            f"Python {platform.python_version()}, no GPU")


def table(rows: list[Row]) -> str:
    lines = ["| stage | metric | value | unit | goal | note |", "|---|---|---:|---|---|---|"]
    for r in rows:
        lines.append(f"| {r.stage} | {r.metric} | {r.value:,.3g} | {r.unit} | {r.goal} | {r.note} |")
    return "\n".join(lines)


def record(rows: list[Row], quick: bool) -> None:
    """Replace the rows of the stages just measured; keep the other stages' last results."""
    fresh = {r.stage for r in rows}
    kept = []
    if DOC.exists():
        for line in DOC.read_text().splitlines():
            cells = [c.strip() for c in line.strip("|").split("|")]
            if line.startswith("| ") and len(cells) == 6 and cells[0] not in ("stage", *fresh):
                kept.append(line)
    body = table(rows).splitlines()
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    header = (f"# Benchmarks\n\nWritten by `python -m bench{' --quick' if quick else ''}`; last run {stamp} "
              f"(stages {', '.join(sorted(fresh))}).\n\nMachine: {machine()}.\n\n")
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(header + "\n".join(body[:2] + kept + body[2:]) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--only", default="", help="comma-separated module suffixes, e.g. vision,music")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    names = sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_"))
    if args.only:
        wanted = {f"bench_{n.strip()}" for n in args.only.split(",")}
        names = [n for n in names if n in wanted]
    rows: list[Row] = []
    failures: list[str] = []
    for name in names:
        t0 = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{name}")
            got = module.run(quick=args.quick)
        except Exception:
            failures.append(f"{name}: {traceback.format_exc(limit=3)}")
            continue
        rows.extend(got)
        print(f"# {name}: {len(got)} rows in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    text = table(rows)
    print(text)
    for failure in failures:
        print(f"FAILED {failure}", file=sys.stderr)
    if not args.no_write:
        record(rows, quick=args.quick)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
