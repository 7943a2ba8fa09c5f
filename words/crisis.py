"""Does this text sound like a person in danger? A classifier on sentence vectors, tuned for recall.

It was trained on two writers' bilingual exemplar banks (``words/data``: plans and means, goodbyes, giving
things away, hopelessness, being a burden, passive wishes, method questions, against hyperbole, sad-but-safe
days, talk about others, news and lyrics) and its threshold was chosen for recall on their training halves
only. ``chat.safety`` ORs it with the reviewed patterns, which stay the floor.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from words.encoder import encode, sentences
from words.feelings import unhappy_shares

WEIGHTS = Path(__file__).resolve().parent / "weights" / "crisis.npz"
# A single sentence of a longer text must look this sure: at the whole-message threshold, sentence
# scoring flagged about half of ordinary multi-sentence comments (docs/words.md).
SENTENCE_THRESHOLD = 0.9
# Sure enough to set the conversation aside for the crisis reply: the 95th percentile of the train split's hard
# negatives, both writers (docs/words.md). Below it, down to the recall threshold, the turn goes on with the helplines shown.
CONFIDENT_THRESHOLD = 0.684
# ...and only when the words read unhappy: alone, the classifier gave the crisis reply to plain wishes ("I want
# pizza tonight" 0.71, "여행 가고 싶다" 0.85). Chosen on the train split and the team's wishes (docs/words.md).
CONFIDENT_MIN_UNHAPPY = 0.35

# Everyday death idioms the encoder reads as danger ("더워 죽겠어", "this exam is killing me"): a sentence
# using one is left to the reviewed patterns (which still catch "죽고 싶어" in it), not to the classifier.
_KO_IDIOMS = re.compile(r"죽겠|죽을맛|죽을것같|죽는줄|죽여준|죽인다|자살골|(배터리|핸드폰|폰|캐릭터|화분)[이가은는]?(또)?죽")
_EN_IDIOMS = re.compile(
    r"\bdying\s+(to|for)\b|\bkilling\s+me\b|\b(could|would|'d)\s+(kill|die)\s+for\b|\bdead\s+tired\b"
    r"|\b(almost|nearly)\s+died\b|\blaughed\s+so\s+hard\b|\bdie[ds]?\s+of\s+(embarrassment|boredom|laughter)\b"
    r"|\b(phone|battery|laptop|plants?)\s+(died|is\s+dying|is\s+dead)\b")


def is_idiom(sentence: str) -> bool:
    """True when the sentence uses an everyday death idiom (see above)."""
    return bool(_KO_IDIOMS.search(re.sub(r"\s+", "", sentence))
                or _EN_IDIOMS.search(sentence.lower().replace("\u2019", "'")))


@lru_cache(maxsize=1)
def _classifier() -> tuple[np.ndarray, np.ndarray, float]:
    with np.load(WEIGHTS) as z:
        return z["w"], z["b"], float(z["threshold"])


def crisis_threshold() -> float:
    """The whole-text score at or above which :func:`sounds_like_crisis` is True (chosen for recall)."""
    return _classifier()[2]


def crisis_scores(texts: list[str]) -> np.ndarray:
    """Probability-like crisis score of each text taken whole (one encoder call for all of them)."""
    w, b, _ = _classifier()
    z = encode(texts) @ w + b
    return 1.0 / (1.0 + np.exp(-(z[:, 1] - z[:, 0])))


def crisis_score(text: str) -> float:
    """The classifier's score for the text taken whole; 0 for no words or a death idiom."""
    if not text or not text.strip() or is_idiom(text):
        return 0.0
    return float(crisis_scores([text.strip()])[0])


def sounds_like_crisis(text: str, threshold: float | None = None) -> bool:
    """True when the whole text reaches ``threshold`` (default: the recall threshold), or one of its sentences
    reaches the stricter :data:`SENTENCE_THRESHOLD` (one dark line in a long diary entry counts; ordinary lines
    must not)."""
    if not text or not text.strip():
        return False
    parts = sentences(text)
    pieces = [text.strip()] + (parts if len(parts) > 1 else [])
    keep = [not is_idiom(p) for p in pieces]
    if not any(keep):
        return False
    scores = crisis_scores([p for p, k in zip(pieces, keep) if k])
    whole = crisis_threshold() if threshold is None else threshold
    limits = [whole if i == 0 else SENTENCE_THRESHOLD for i, k in enumerate(keep) if k]
    return bool(np.any(scores >= np.array(limits)))


def sure_of_crisis(text: str) -> bool:
    """True when the classifier is sure (:data:`CONFIDENT_THRESHOLD`) and the words read unhappy
    (:data:`CONFIDENT_MIN_UNHAPPY`): the bar for setting the conversation aside for the crisis reply."""
    if not sounds_like_crisis(text, CONFIDENT_THRESHOLD):
        return False
    return bool(unhappy_shares([text.strip()])[0] >= CONFIDENT_MIN_UNHAPPY)
