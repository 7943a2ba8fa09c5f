"""Train the crisis classifier and measure it on the held-out split of the exemplar bank.

    python -m training.words.crisis [--general 3000]

Both writers' banks were split once (seed 16) before any tuning; everything here (L2 strength,
threshold) is chosen by 5-fold cross-validation on the training halves only, then the test halves are
scored once, per writer. Everyday comments from GoEmotions train / KOTE val that the reviewed
patterns do not flag are added as extra negatives, so ordinary chatter stays quiet.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from chat.safety import matches_patterns
from training.words.data import BANK, WRITERS, crisis_bank, goemotions, kote
from training.words.fit import train_softmax, vectors
from words.crisis import CONFIDENT_THRESHOLD, WEIGHTS, _classifier, is_idiom, sounds_like_crisis
from words.feelings import unhappy_shares

SEED = 16
TARGET_RECALL = 0.97      # per language, on out-of-fold training scores
L2_GRID = (1e-4, 3e-4, 1e-3)
FOLDS = 5


def general_negatives(count: int, seed: int = SEED) -> list[str]:
    """Everyday comments (half English, half Korean) that the reviewed patterns do not flag."""
    rng = np.random.default_rng(seed)
    out = []
    for texts in (goemotions("train")[0], kote("val")[0]):
        picked = [texts[i] for i in rng.permutation(len(texts))]
        out += [t for t in picked if not matches_patterns(t)][:count // 2]
    return out


def whole_scores(w: np.ndarray, b: np.ndarray, x: np.ndarray, idiom: np.ndarray) -> np.ndarray:
    """:func:`words.crisis.crisis_score` for vectors ``x`` (texts using a death idiom score 0)."""
    z = x @ w + b
    return np.where(idiom, 0.0, 1.0 / (1.0 + np.exp(-(z[:, 1] - z[:, 0]))))


def fit(x: np.ndarray, labels: np.ndarray, x_extra: np.ndarray, l2: float):
    y = np.concatenate([labels, np.zeros(len(x_extra), int)])
    # Crises weigh as much as all negatives together; hard negatives as much as everyday ones.
    weights = np.concatenate([np.where(labels == 1, 1.0 / max(1, labels.sum()),
                                       0.5 / max(1, (labels == 0).sum())),
                              np.full(len(x_extra), 0.5 / max(1, len(x_extra)))])
    return train_softmax(np.concatenate([x, x_extra]), np.eye(2, dtype=np.float32)[y], weights, l2=l2, steps=800)


def recall_threshold(scores: np.ndarray, labels: np.ndarray, langs: np.ndarray, recall: float) -> float:
    """The highest threshold that keeps at least ``recall`` of the crises in every language."""
    cuts = []
    for lang in np.unique(langs):
        positive = np.sort(scores[(labels == 1) & (langs == lang)])
        cuts.append(positive[int(np.floor((1 - recall) * len(positive)))])
    return float(min(cuts))


def out_of_fold(x: np.ndarray, idiom: np.ndarray, labels: np.ndarray, x_extra: np.ndarray, l2: float) -> np.ndarray:
    folds = np.random.default_rng(SEED).permutation(len(labels)) % FOLDS
    scores = np.zeros(len(labels))
    for k in range(FOLDS):
        w, b = fit(x[folds != k], labels[folds != k], x_extra, l2)
        scores[folds == k] = whole_scores(w, b, x[folds == k], idiom[folds == k])
    return scores


def report(name: str, rows: list[dict], flagged: np.ndarray) -> None:
    for writer in WRITERS:
        for lang in ("ko", "en"):
            crisis = np.array([r["label"] == 1 and r["lang"] == lang and r["writer"] == writer for r in rows])
            other = np.array([r["label"] == 0 and r["lang"] == lang and r["writer"] == writer for r in rows])
            print(f"{name}, {writer} {lang}: recall {flagged[crisis].mean():.3f} "
                  f"({flagged[crisis].sum()}/{crisis.sum()}), "
                  f"false positives {flagged[other].mean():.3f} ({flagged[other].sum()}/{other.sum()})")


def unhappy_gate_table(gates=(0.0, 0.2, 0.25, 0.3, 0.35, 0.4)) -> None:
    """How the crisis reply's unhappy-words bar trades train-split crises against the team's plain wishes
    (``words/data/wishes.jsonl``, never in the bank): the smallest bar that quiets 90 % of wishes ships."""
    train = crisis_bank("train")
    with open(BANK / "wishes.jsonl", encoding="utf-8") as f:
        wishes = [json.loads(line)["text"] for line in f]
    groups = {"train crises": [r["text"] for r in train if r["label"] == 1],
              "train negatives": [r["text"] for r in train if r["label"] == 0], "wishes": wishes}
    for gate in gates:
        rates = []
        for name, texts in groups.items():
            sure = np.array([sounds_like_crisis(t, CONFIDENT_THRESHOLD) for t in texts])
            sure &= unhappy_shares(texts) >= gate
            rates.append(f"{name} {(np.array([matches_patterns(t) for t in texts]) | sure).mean():.3f}")
        print(f"unhappy >= {gate:.2f}: crisis reply " + ", ".join(rates))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m training.words.crisis", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--general", type=int, default=3000, help="everyday negatives (half per language)")
    parser.add_argument("--unhappy-gates", action="store_true", help="only print the crisis reply's unhappy-bar table")
    args = parser.parse_args(argv)
    if args.unhappy_gates:
        unhappy_gate_table()
        return
    train = crisis_bank("train")
    texts = [r["text"] for r in train]
    labels = np.array([r["label"] for r in train])
    langs = np.array([r["lang"] for r in train])
    extra = general_negatives(args.general)

    x = vectors(texts)
    x_extra = vectors(extra)
    # A second sample of everyday comments, never trained on: how often each choice would show the helplines.
    seen = set(extra)
    x_everyday = vectors([t for t in general_negatives(2 * args.general, seed=SEED + 1) if t not in seen][:2000])
    idiom = np.array([is_idiom(t) for t in texts])
    # The app flags patterns OR classifier, so the recall threshold only has to reach the crises no pattern catches.
    pattern = np.array([matches_patterns(t) for t in texts])
    best = None
    for l2 in L2_GRID:
        oof = np.where(pattern, 1.0, out_of_fold(x, idiom, labels, x_extra, l2))
        threshold = recall_threshold(oof, labels, langs, TARGET_RECALL)
        fpr = float((oof[labels == 0] >= threshold).mean())
        w, b = fit(x, labels, x_extra, l2)
        everyday = float((whole_scores(w, b, x_everyday, np.zeros(len(x_everyday), bool)) >= threshold).mean())
        print(f"l2 {l2:g}: out-of-fold threshold {threshold:.3f}, false positives {fpr:.3f} (hard), "
              f"{everyday:.3f} (everyday)", flush=True)
        if best is None or fpr + everyday < best[0]:
            best = (fpr + everyday, l2, threshold, w, b)
    _cost, l2, threshold, w, b = best
    np.savez(WEIGHTS, w=w.astype(np.float32), b=b.astype(np.float32), threshold=np.float32(threshold),
             l2=np.float32(l2))
    print(f"saved {WEIGHTS.name}: l2 {l2:g}, threshold {threshold:.3f}")

    test = crisis_bank("test")
    _classifier.cache_clear()     # score the test split exactly as the app will, with the new weights
    classifier = np.array([sounds_like_crisis(r["text"]) for r in test])
    patterns = np.array([matches_patterns(r["text"]) for r in test])
    report("test, patterns alone", test, patterns)
    report("test, classifier alone", test, classifier)
    report("test, patterns OR classifier", test, patterns | classifier)


if __name__ == "__main__":
    main()
