"""Text emotion and the face/words mismatch decision, on a hand-labelled ko/en set."""

from __future__ import annotations

import pytest

from prompts import estimate_text_emotion, is_mismatch
from tests.prompts_fixtures import read_tsv

MIN_ACCURACY = 0.9


def mismatch_accuracy() -> tuple[float, int, list[str]]:
    rows = read_tsv("prompts_mismatch.tsv")
    wrong = [f"{face} {confidence} -> expected {expected}: {text}"
             for face, confidence, expected, _lang, text in rows
             if is_mismatch(face, float(confidence), estimate_text_emotion(text)) != (expected == "1")]
    return 1 - len(wrong) / len(rows), len(rows), wrong


def test_mismatch_decision_accuracy_on_the_labelled_set():
    rows = read_tsv("prompts_mismatch.tsv")
    assert len(rows) >= 30 and {r[3] for r in rows} == {"ko", "en"}
    assert {r[2] for r in rows} == {"0", "1"}
    accuracy, n, wrong = mismatch_accuracy()
    print(f"mismatch accuracy {accuracy:.1%} on {n} pairs; misses: {wrong}")
    assert accuracy >= MIN_ACCURACY, wrong


@pytest.mark.parametrize("text, label", [
    ("오늘 시험 합격해서 너무 기뻐!", "happy"),
    ("기분이 안 좋아", "sad"),
    ("I'm not happy today", "sad"),
    ("회사에서 상사 때문에 화가 났어", "angry"),
    ("내일 면접이라 너무 긴장돼", "fear"),
    ("갑자기 연락이 와서 깜짝 놀랐어", "surprise"),
    ("That smell was disgusting.", "disgust"),
    ("I didn't get the job. I smiled through it but honestly I'm really upset.", "sad"),
    ("My grandmother passed away last week.", "sad"),
    ("오늘 점심은 김밥이었다", "neutral"),
])
def test_text_emotion_on_clear_sentences(text, label):
    assert estimate_text_emotion(text) == label


def test_no_words_no_emotion():
    assert estimate_text_emotion("") is None and estimate_text_emotion("   \n") is None


def test_only_a_confident_face_with_opposite_valence_is_a_mismatch():
    assert is_mismatch("happy", 0.9, "sad")
    assert is_mismatch("angry", 0.7, "happy")
    assert not is_mismatch("happy", 0.3, "sad")          # uncertain face
    assert not is_mismatch("neutral", 0.9, "sad")        # a still face is not a contradiction
    assert not is_mismatch("surprise", 0.9, "happy")
    assert not is_mismatch("sad", 0.9, "fear")           # both negative
    assert not is_mismatch(None, 0.0, "sad")
    assert not is_mismatch("happy", 0.9, None)
