"""Words stage benchmark: encoder time per message, crisis recall / false positives on the held-out
split of the exemplar bank, and text-emotion macro-F1 on the GoEmotions and KOTE test splits.

``python -m bench.bench_words [--quick]`` prints the rows; ``python -m bench`` collects them.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from bench.common import Row, p50, p95, timeit
from chat.safety import detect_crisis, needs_check_in
from training.words.data import SHARED_TEXT, WRITERS, crisis_bank, goemotions, kote, single_label
from training.words.fit import macro_f1
from words import encode
from words.feelings import feeling_probs
from words.types import LABELS

GOAL_MS = 10.0
MESSAGES = ["We won the final and I can't stop smiling!", "면접 붙었어! 날아갈 것 같아.",
            "I had a sandwich for lunch and then answered emails.", "오늘 하루 종일 울었어. 너무 외로워.",
            "My landlord still hasn't fixed the heater and I'm furious about it."]


def cpu() -> str:
    """The CPU's model name and whether it has AVX2 / AVX-512 (numpy's speed depends on them)."""
    name, flags = "unknown CPU", set()
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            name = line.split(":", 1)[1].strip()
        elif line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
    simd = [f for f in ("avx2", "avx512f") if f in flags]
    return f"{name} ({', '.join(simd) or 'no AVX2'})"


def _encoder_rows(repeat: int) -> list[Row]:
    t0 = time.perf_counter()
    encode(["first use"])
    first = (time.perf_counter() - t0) * 1000
    calls = iter(range(10 ** 9))
    times = timeit(lambda: encode([MESSAGES[next(calls) % len(MESSAGES)]]), repeat=repeat, warmup=3)
    return [Row("words", "encoder ms/message p50 (one message per call)", p50(times), "ms",
                f"<= {GOAL_MS:g} ms", f"p95 {p95(times):.2f} ms; {cpu()}"),
            Row("words", "encoder first use (build model)", first, "ms", "", "once per process")]


def _crisis_rows() -> list[Row]:
    rows = []
    for writer in WRITERS:
        test = crisis_bank("test", (writer,))
        for lang in ("ko", "en"):
            crisis = [r["text"] for r in test if r["lang"] == lang and r["label"] == 1]
            other = [r["text"] for r in test if r["lang"] == lang and r["label"] == 0]
            where = f"held-out bank, {writer} writer ({lang})"
            for tier, flags in (("crisis reply", detect_crisis),
                                ("any helpline", lambda t: detect_crisis(t) or needs_check_in(t))):
                caught = sum(map(flags, crisis))
                flagged = sum(map(flags, other))
                rows += [Row("words", f"{tier} recall, {where}", caught / len(crisis), "", ">= 0.97",
                             f"{caught}/{len(crisis)}"),
                         Row("words", f"{tier} false-positive rate, {where}", flagged / len(other), "",
                             "<= 0.05", f"{flagged}/{len(other)} hard negatives")]
    return rows


def _feeling_rows(limit: int | None) -> list[Row]:
    if not SHARED_TEXT.is_dir():
        return [Row("words", "text-emotion macro-F1", float("nan"), "", "", f"skipped: {SHARED_TEXT} not found")]
    rows = []
    for lang, name, (texts, targets) in (("en", "GoEmotions test", goemotions("test")),
                                         ("ko", "KOTE test", kote("test"))):
        truth = single_label(targets)
        keep = np.flatnonzero(truth >= 0)[:limit]
        probs = np.concatenate([feeling_probs([texts[i] for i in keep[j:j + 256]])
                                for j in range(0, len(keep), 256)])
        f1, _ = macro_f1(truth[keep], probs.argmax(axis=1), len(LABELS))
        rows.append(Row("words", f"text-emotion macro-F1, {name} ({lang})", f1, "", "",
                        f"{len(keep)} single-feeling items{' (quick: first ones only)' if limit else ''}"))
    return rows


def run(quick: bool = False) -> list[Row]:
    return _encoder_rows(100 if quick else 500) + _crisis_rows() + _feeling_rows(1000 if quick else None)


if __name__ == "__main__":
    from bench.__main__ import table
    print(table(run(quick="--quick" in sys.argv)))
