"""When a confidently read face and the words tell different stories, so Anna gently asks.

Two cases count: the face and the words point opposite ways (a smile above "I cried all day", a sad
face above "I got the job!"), and a face that confidently shows nothing (neutral) above words with a
strong feeling that usually shows (joy, sadness, anger; worry and disgust often stay inside). When
clauses disagree ("failed the exam but dinner cheered me up", "I smiled, but I'm upset"), the feeling
the words end on is the one compared. A surprised or uncertain face never counts. The thresholds were
set on tests/data/prompts_mismatch.tsv and checked on the held-out words/data/mismatch_pairs.tsv
(docs/words.md).
"""

from __future__ import annotations

from words.types import UNHAPPY, Feeling

MISMATCH_MIN_FACE_CONFIDENCE = 0.5
NEUTRAL_FACE_MIN_CONFIDENCE = 0.7     # "shows nothing" needs a surer face than "shows something"
WORDS_MIN_SIDE = 0.45                 # share of the words' probability on one side to call a direction
WORDS_MIXED_SIDE = 0.3                # the other side this large: mixed feelings, no direction
WORDS_STRONG = 0.6                    # a feeling this sure is "strong" next to a neutral face

_POSITIVE = ("happy",)
_VISIBLE = ("happy", "sad", "angry")


def words_direction(feeling: Feeling | None) -> int:
    """+1 / -1 when the words clearly lean positive / negative, 0 when neutral, unsure or mixed."""
    if feeling is None:
        return 0
    if feeling.mixed:       # the feeling they end on is the one to check ("I smiled, but I'm upset")
        return feeling.closing
    positive = sum(feeling.probs.get(label, 0.0) for label in _POSITIVE)
    negative = sum(feeling.probs.get(label, 0.0) for label in UNHAPPY)
    if positive >= WORDS_MIN_SIDE and negative < WORDS_MIXED_SIDE:
        return 1
    if negative >= WORDS_MIN_SIDE and positive < WORDS_MIXED_SIDE:
        return -1
    return 0


def is_mismatch(face_label: str | None, face_confidence: float, feeling: Feeling | None) -> bool:
    """True when the face and the words clearly disagree (see the module's description)."""
    if face_label is None or feeling is None or face_confidence < MISMATCH_MIN_FACE_CONFIDENCE:
        return False
    direction = words_direction(feeling)
    if face_label == "neutral":
        strong = max(feeling.probs.get(label, 0.0) for label in _VISIBLE)
        return face_confidence >= NEUTRAL_FACE_MIN_CONFIDENCE and direction != 0 and strong >= WORDS_STRONG
    if face_label in _POSITIVE:
        return direction < 0
    if face_label in UNHAPPY:
        return direction > 0
    return False
