"""Readers for the labelled text in ../shared/data/text (read in place, never copied) and the crisis bank.

Every text set becomes (texts, targets) where a target is a distribution over the seven face labels,
so a multi-label comment can teach every feeling it was given.
"""

from __future__ import annotations

import csv
import json
import lzma
import os
from pathlib import Path

import numpy as np

from words.types import LABELS

REPO = Path(__file__).resolve().parents[2]
SHARED_TEXT = Path(os.environ.get("HARU_SHARED_DATA", REPO / ".." / "shared" / "data")) / "text"
BANK = REPO / "words" / "data"
_EKMAN_TO_FACE = {"anger": "angry", "disgust": "disgust", "fear": "fear", "joy": "happy",
                  "sadness": "sad", "surprise": "surprise", "neutral": "neutral"}

# KOTE's 44 labels onto the seven, following GoEmotions' own Ekman grouping where KOTE has a twin
# (annoyance/disapproval -> angry, embarrassment/remorse -> sad, confusion/curiosity/realization ->
# surprise, caring/optimism/admiration -> happy). Labels with no clear direction are left out.
KOTE_TO_FACE = {
    "불평/불만": "angry", "화남/분노": "angry", "짜증": "angry", "지긋지긋": "angry",
    "역겨움/징그러움": "disgust", "증오/혐오": "disgust", "한심함": "disgust",
    "공포/무서움": "fear", "불안/걱정": "fear",
    "환영/호의": "happy", "감동/감탄": "happy", "고마움": "happy", "존경": "happy", "기대감": "happy",
    "뿌듯함": "happy", "편안/쾌적": "happy", "아껴주는": "happy", "즐거움/신남": "happy",
    "흐뭇함(귀여움/예쁨)": "happy", "행복": "happy", "기쁨": "happy", "안심/신뢰": "happy",
    "슬픔": "sad", "안타까움/실망": "sad", "절망": "sad", "패배/자기혐오": "sad", "힘듦/지침": "sad",
    "서러움": "sad", "불쌍함/연민": "sad", "죄책감": "sad", "부끄러움": "sad",
    "놀람": "surprise", "경악": "surprise", "신기함/관심": "surprise", "당황/난처": "surprise",
    "깨달음": "surprise",
    "없음": "neutral",
}
KOTE_LEFT_OUT = ("우쭐댐/무시함", "비장함", "의심/불신", "어이없음", "귀찮음", "부담/안_내킴", "재미없음")


def _distribution(names: list[str]) -> np.ndarray | None:
    counts = np.zeros(len(LABELS), np.float32)
    for name in names:
        counts[LABELS.index(name)] += 1
    return counts / counts.sum() if counts.sum() else None


def goemotions(split: str) -> tuple[list[str], np.ndarray]:
    """GoEmotions ``train`` / ``dev`` / ``test`` with the official Ekman mapping (neutral stays neutral)."""
    folder = SHARED_TEXT / "goemotions"
    names = (folder / "emotions.txt").read_text().split()
    ekman = json.loads((folder / "ekman_mapping.json").read_text())
    fine_to_face = {fine: _EKMAN_TO_FACE[group] for group, fines in ekman.items() for fine in fines}
    fine_to_face["neutral"] = "neutral"
    path = folder / f"{split}.tsv"
    opener = (lambda: lzma.open(path.with_suffix(".tsv.xz"), "rt", encoding="utf-8")) if split == "train" \
        else (lambda: open(path, encoding="utf-8"))
    texts, targets = [], []
    with opener() as f:
        for text, ids, _id in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            target = _distribution([fine_to_face[names[int(i)]] for i in ids.split(",")])
            texts.append(text)
            targets.append(target)
    return texts, np.stack(targets)


def kote(split: str) -> tuple[list[str], np.ndarray]:
    """KOTE ``val`` / ``test`` mapped by :data:`KOTE_TO_FACE`; comments with no mapped label are dropped."""
    folder = SHARED_TEXT / "kote"
    names = (folder / "labels.txt").read_text(encoding="utf-8").split()
    texts, targets = [], []
    with open(folder / f"{split}.tsv", encoding="utf-8") as f:
        for _id, text, ids in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            target = _distribution([KOTE_TO_FACE[names[int(i)]] for i in ids.split(",")
                                    if names[int(i)] in KOTE_TO_FACE])
            if target is not None:
                texts.append(text)
                targets.append(target)
    return texts, np.stack(targets)


def single_label(targets: np.ndarray) -> np.ndarray:
    """Index of the one most-named feeling per row; -1 where two or more tie (left out of scoring)."""
    top = targets.max(axis=1, keepdims=True)
    clear = (targets == top).sum(axis=1) == 1
    return np.where(clear, targets.argmax(axis=1), -1)


WRITERS = ("team", "other")


def crisis_bank(split: str, writers: tuple[str, ...] = WRITERS) -> list[dict]:
    """The bilingual crisis exemplar bank, ``train`` or ``test``, each line tagged with its ``writer``: the
    team's bank and another writer's (each split once, see docs/words.md)."""
    rows = []
    for writer in writers:
        name = f"crisis_{split}.jsonl" if writer == "team" else f"crisis_{writer}_{split}.jsonl"
        with open(BANK / name, encoding="utf-8") as f:
            rows += [{**json.loads(line), "writer": writer} for line in f if line.strip()]
    return rows
