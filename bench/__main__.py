"""Run every benchmark module, print one table and write docs/benchmarks.md.

    python -m bench                 # everything
    python -m bench --quick         # fewer repetitions
    python -m bench --only vision,music
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
import time
import traceback
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import bench
from bench.common import Row, cpu_kind, machine

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
INTRO = """# Benchmarks

Written by `python -m bench`. A figure holds only on the CPU its section names (model, family and model
numbers, and the instruction sets that decide the numeric paths: native bf16 or emulated made 50x
differences), so each CPU kind keeps its own table; a run replaces, in its own CPU's section, the rows of the
stages it measured. The column *numeric path* says how each stage computed. Each run line gives the load
average when it started: above zero, other work shared the cores and the figures are upper bounds.
"""
SECTION = "## CPU: "
HEADER = ["| stage | metric | value | unit | goal | numeric path | note |", "|---|---|---:|---|---|---|---|"]


def table(rows: list[Row]) -> str:
    lines = list(HEADER)
    for r in rows:
        lines.append(f"| {r.stage} | {r.metric} | {r.value:,.3g} | {r.unit} | {r.goal} | {r.path} | {r.note} |")
    return "\n".join(lines)


def _sections(text: str) -> tuple[str, dict[str, list[str]]]:
    """The intro and ``{cpu kind: lines}`` of an existing docs/benchmarks.md, in order."""
    intro, sections, current = [], {}, None
    for line in text.splitlines():
        if line.startswith(SECTION):
            current = line[len(SECTION):].strip()
            sections[current] = []
        elif current is None:
            intro.append(line)
        else:
            sections[current].append(line)
    return "\n".join(intro).strip() + "\n", sections


def merge_section(old: list[str], rows: list[Row], runs: str) -> list[str]:
    """This CPU's section with the stages in ``rows`` replaced; other stages' rows and run lines kept."""
    fresh = {r.stage for r in rows}
    kept_rows, kept_runs = [], []
    for line in old:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) == len(HEADER[0].strip("|").split("|")) \
                and cells[0] not in ("stage", *fresh):
            kept_rows.append(line)
        elif line.startswith("- ") and line[2:].split(":", 1)[0] not in fresh:
            kept_runs.append(line)
    body = table(rows).splitlines()
    return ["", *sorted(kept_runs + [f"- {stage}: {runs}" for stage in sorted(fresh)]), "",
            *body[:2], *kept_rows, *body[2:], ""]


def record(rows: list[Row], *, quick: bool, setting: str, kind: str, doc: Path = DOC) -> None:
    """Replace the rows of the stages just measured in the section of CPU ``kind``; keep everything else.
    ``setting``: :func:`bench.common.machine` as it was when the run started."""
    intro, sections = _sections(doc.read_text()) if doc.exists() else (INTRO, {})
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    runs = f"{stamp}, `python -m bench{' --quick' if quick else ''}`; {setting}"
    sections[kind] = merge_section(sections.get(kind, []), rows, runs)
    text = intro + "".join(f"\n{SECTION}{key}\n\n" + "\n".join(lines).strip("\n") + "\n"
                           for key, lines in sections.items())
    doc.parent.mkdir(exist_ok=True)
    doc.write_text(text)


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
    setting = machine()
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
        # A module states its stage's numeric path once (NUMERIC_PATH) unless its rows say it themselves.
        default_path = getattr(module, "NUMERIC_PATH", "")
        rows.extend(r if r.path or not default_path else replace(r, path=default_path) for r in got)
        print(f"# {name}: {len(got)} rows in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    print(f"CPU: {cpu_kind()}\n{setting}")
    print(table(rows))
    for failure in failures:
        print(f"FAILED {failure}", file=sys.stderr)
    if not args.no_write:
        record(rows, quick=args.quick, setting=setting, kind=cpu_kind())
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
