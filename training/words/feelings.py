"""Train the seven-feeling layer on GoEmotions (en) + KOTE (ko) and score it on their test splits.

    python -m training.words.feelings

Tuning (L2 strength) uses GoEmotions dev and a fixed 20 % of KOTE val (seed 16); the final layer is
fitted on GoEmotions train + dev and all of KOTE val (KOTE publishes no train split here). The two test
splits are scored once, never trained on. Multi-label items teach every feeling they carry (soft
targets); scoring uses items whose most-named feeling is unique (ties left out; counts printed).
"""

from __future__ import annotations

import argparse

import numpy as np

from training.words.data import goemotions, kote, single_label
from training.words.fit import balanced_weights, macro_f1, softmax, train_softmax, vectors
from words.feelings import WEIGHTS
from words.types import LABELS

SEED = 16
L2_GRID = (1e-5, 1e-4, 1e-3)
STEPS = 500


def _weights(targets_by_language: list[np.ndarray]) -> np.ndarray:
    """Each language half the total weight, each feeling an equal share within its language."""
    labels = np.concatenate([t.argmax(axis=1) for t in targets_by_language])
    groups = np.concatenate([np.full(len(t), i) for i, t in enumerate(targets_by_language)])
    return balanced_weights(labels, groups)


def _fit(parts: list[tuple[np.ndarray, np.ndarray]], l2: float):
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    return train_softmax(x, y, _weights([p[1] for p in parts]), l2=l2, steps=STEPS)


def score(w: np.ndarray, b: np.ndarray, x: np.ndarray, targets: np.ndarray) -> tuple[float, list[float], int]:
    truth = single_label(targets)
    keep = truth >= 0
    predicted = softmax(x @ w + b).argmax(axis=1)
    f1, per_class = macro_f1(truth[keep], predicted[keep], len(LABELS))
    return f1, per_class, int(keep.sum())


def main(argv: list[str] | None = None) -> None:
    argparse.ArgumentParser(prog="python -m training.words.feelings", description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter).parse_args(argv)
    sets = {name: (vectors(texts), targets) for name, (texts, targets) in {
        "ge_train": goemotions("train"), "ge_dev": goemotions("dev"), "ge_test": goemotions("test"),
        "kote_val": kote("val"), "kote_test": kote("test")}.items()}
    x_kv, y_kv = sets["kote_val"]
    tune_dev = np.random.default_rng(SEED).permutation(len(x_kv)) < len(x_kv) // 5
    kote_fit, kote_dev = (x_kv[~tune_dev], y_kv[~tune_dev]), (x_kv[tune_dev], y_kv[tune_dev])

    best = None
    for l2 in L2_GRID:
        w, b = _fit([sets["ge_train"], kote_fit], l2)
        en = score(w, b, *sets["ge_dev"])[0]
        ko = score(w, b, *kote_dev)[0]
        print(f"l2 {l2:g}: macro-F1 GoEmotions dev {en:.3f}, KOTE val 20 % {ko:.3f}")
        if best is None or en + ko > best[0]:
            best = (en + ko, l2)
    l2 = best[1]
    w, b = _fit([sets["ge_train"], sets["ge_dev"], sets["kote_val"]], l2)
    np.savez(WEIGHTS, w=w.astype(np.float32), b=b.astype(np.float32), l2=np.float32(l2))
    print(f"saved {WEIGHTS.name} (l2 {l2:g})")
    for name in ("ge_test", "kote_test"):
        f1, per_class, n = score(w, b, *sets[name])
        detail = ", ".join(f"{label} {f:.2f}" for label, f in zip(LABELS, per_class))
        print(f"{name}: macro-F1 {f1:.3f} on {n} single-feeling items ({detail})")


if __name__ == "__main__":
    main()
