"""Is a reply sentence about the person, and only about what they said?

A 1.5B model retells the user's day as its own ("오늘 일은 복잡하고 싸웠어요", "I passed my exam too") and
borrows events from its examples or its imagination (a move, a trip, a boss nobody mentioned). These rules
are plain word lists, the same for the guard that skips such sentences and for ``bench/bench_replies.py``
that counts them, so a miss of one is a miss of both: docs/prompts.md shows replies for people to read.
"""

from __future__ import annotations

import re

# People, places and events a reply may only name when the person (profile, earlier turns) did. Generic
# comfort words ("집에서 쉬어", "friend") are left out: Anna may say them without inventing anything.
KO_ENTITIES = ("엄마", "아빠", "부모님", "동생", "언니", "오빠", "누나", "할머니", "할아버지", "남자친구",
               "여자친구", "애인", "선생님", "교수님", "상사", "사장님", "동료", "룸메이트", "회사", "학교",
               "도서관", "카페", "공원", "병원", "바다", "여행", "휴가", "이사", "시험", "면접", "결혼식", "생일",
               "파티", "공연", "콘서트", "졸업", "취업", "승진", "합격", "헬스", "고양이", "강아지", "제주",
               "서울", "부산", "발표", "과제", "알바", "드라마", "영화", "새 집", "집들이")
EN_ENTITIES = ("mom", "dad", "mother", "father", "parents", "sister", "brother", "grandma", "grandmother",
               "grandpa", "boyfriend", "girlfriend", "boss", "manager", "professor", "teacher", "roommate",
               "coworker", "colleague", "office", "school", "library", "cafe", "park", "hospital", "beach",
               "trip", "vacation", "holiday", "moving", "move", "exam", "exams", "interview", "wedding",
               "birthday", "party", "concert", "graduation", "promotion", "gym", "cat", "dog", "pasta",
               "internship", "scholarship", "license", "apartment", "series", "movie", "presentation")
# Capitalised words Anna may use mid-sentence without naming someone new.
_EN_COMMON_CAPS = {"I", "Anna", "Korean", "English", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                   "Saturday", "Sunday", "OK", "Okay"}

# "I"/"my"/"we" not followed by Anna's own feelings about the person ("I'm sorry", "I hope", "I hear you").
_EN_FIRST_PERSON = re.compile(
    r"\b(?:I|I've|I'd|we|my|our)\b(?!'m|\s+(?:am|hope|think|know|wonder|understand|hear|can|could|would|will"
    r"|bet|imagine|love|really|just|totally|completely|get|feel\s+for|'m))", re.IGNORECASE)
_KO_FIRST_PERSON = re.compile(r"(?:^|\s)(?:나는|내가|나도|저는|제가|저도|우리는|우리가)(?=\s)")
# Signs that a Korean sentence is about the person: guessing (-겠), noticing (-구나, -네요), reported
# speech (-다니, -다고), second person, a question.
_KO_ABOUT_YOU = re.compile(r"겠|구나|네요|군요|잖아|다니|다고|라니|라고|너|네가|당신|님|\?")
_KO_PAST = re.compile(r"[었았였했갔왔봤줬됐났]")


def _content_words(text: str, language: str) -> set[str]:
    """Word stems that carry the content: Korean words by their first two syllables (particles and
    endings vary), English words of four or more letters by their first five."""
    if language == "ko":
        return {w[:2] for w in re.findall(r"[가-힣]{2,}", text)}
    return {w.lower()[:5] for w in re.findall(r"[A-Za-z]{4,}", text)}


def claims_as_own(sentence: str, user_words: str, language: str) -> bool:
    """The sentence tells what the person said happened to them as if it happened to Anna."""
    shared = _content_words(sentence, language) & _content_words(user_words, language)
    if language == "en":
        return bool(shared) and bool(_EN_FIRST_PERSON.search(sentence)) and "you" not in sentence.lower()
    if _KO_FIRST_PERSON.search(sentence):
        return bool(shared)
    # Korean drops the subject: a plain past-tense retelling of two or more of the person's words, with
    # nothing that makes it about them, is Anna narrating their day.
    return len(shared) >= 2 and bool(_KO_PAST.search(sentence)) and not _KO_ABOUT_YOU.search(sentence)


def invented(sentence: str, known: str, language: str) -> list[str]:
    """People, places and events the sentence names that ``known`` (what the person said) does not."""
    low = known.lower()
    if language == "ko":
        return [w for w in KO_ENTITIES if w in sentence and w not in low]
    words = {w.lower() for w in re.findall(r"[A-Za-z]+", sentence)}
    found = [w for w in EN_ENTITIES if w in words and w not in low]
    names = re.findall(r"(?<=[a-z,] )[A-Z][a-z]+", sentence)
    return found + [n for n in names if n not in _EN_COMMON_CAPS and n.lower() not in low]
