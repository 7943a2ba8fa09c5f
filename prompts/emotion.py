"""The emotion of the user's *words*, and when it clearly disagrees with the face.

Method: a small reviewed lexicon of Korean stems and English words per label, counted over the text,
with negated positives ("안 좋아", "not happy") counted as sad. A lexicon was chosen over a model or an
LLM call because it is instant, offline, identical on every backend and easy to audit; it only needs
to be right about the *direction* of a feeling, since the mismatch rule below compares valence, not
exact labels. Its accuracy on ``tests/data/prompts_mismatch.tsv`` is reported by the tests and in
docs/prompts.md.
"""

from __future__ import annotations

import re

LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")

# Korean is matched on stems without spaces (verb endings vary: 슬프다/슬퍼/슬펐어), English on words.
_KO = {
    "happy": ["행복", "기쁘", "기뻐", "기뻤", "좋았", "좋아", "좋다", "신나", "신났", "신난", "ㅎㅎ", "ㅋㅋ", "즐거", "즐겁", "설레", "설렜",
              "뿌듯", "감사", "고마", "웃었", "웃음", "최고", "다행", "만족", "합격", "재밌", "재미있", "행운", "상쾌"],
    "sad": ["슬프", "슬퍼", "슬펐", "우울", "속상", "눈물", "울었", "울고", "울컥", "외로", "외롭", "그립", "그리워",
            "힘들", "힘든", "지쳤", "지친", "지쳐", "허무", "공허", "서운", "아쉽", "아쉬", "실망", "망쳤", "상처",
            "괴로", "괴롭", "쓸쓸", "무기력", "떨어졌"],
    "angry": ["화가", "화나", "화났", "화내", "짜증", "열받", "빡치", "빡쳐", "분노", "억울", "어이없", "미워", "미웠",
              "싸웠", "답답"],
    "fear": ["무서", "무섭", "두렵", "두려", "불안", "걱정", "긴장", "겁나", "겁이", "떨려", "떨린", "초조"],
    "surprise": ["놀랐", "놀라", "깜짝", "믿기지", "믿을수없", "뜻밖", "예상못", "어리둥절"],
    "disgust": ["역겹", "역겨", "징그", "토나", "더럽", "혐오", "구역질", "비위", "정떨어"],
}
_EN = {
    "happy": ["happy", "glad", "great", "joy", "joyful", "excited", "wonderful", "amazing", "awesome", "fun",
              "proud", "grateful", "thankful", "love", "loved", "relieved", "delighted", "good", "fantastic",
              "smile", "smiled", "laughed", r"passed(?!\s+away)", "celebrate", "celebrated", "lucky"],
    "sad": ["sad", "unhappy", "depressed", "down", "lonely", "cry", "cried", "crying", "tears", "miss",
            "missed", "tired", "exhausted", "hurt", "upset", "disappointed", "heartbroken", "miserable",
            "empty", "lost", "failed", "grief", "gloomy", "hopeless", r"passed\s+away", "died", "funeral"],
    "angry": ["angry", "mad", "furious", "annoyed", "annoying", "irritated", "hate", "hated", "rage",
              "frustrated", "frustrating", "unfair", "pissed", "fought", "yelled"],
    "fear": ["afraid", "scared", "fear", "anxious", "anxiety", "worried", "worry", "nervous", "terrified",
             "panic", "dread", "frightened"],
    "surprise": ["surprised", "surprise", "shocked", "unexpected", "unbelievable", "suddenly", "wow",
                 "astonished", "stunned"],
    "disgust": ["disgusting", "disgusted", "gross", "sickening", "revolting", "nasty", "yuck"],
}
# A negated positive is a low mood, not a happy one.
_KO_NEGATED = re.compile(r"(안|못)(좋|행복|기쁘|신나|즐겁)|(좋|행복하|기쁘|즐겁|신나)지(않|못|도않)")
_EN_NEGATED = re.compile(r"\b(not|never|n't|no longer)\s+(so\s+|very\s+|really\s+|feeling\s+|feel\s+)?"
                         r"(happy|good|great|fine|okay|ok|glad|excited)\b")
_EN_RE = {label: re.compile(r"\b(" + "|".join(words) + r")\b") for label, words in _EN.items()}
_KO_RE = {label: re.compile("|".join(stems)) for label, stems in _KO.items()}

_VALENCE = {"happy": 1, "angry": -1, "disgust": -1, "fear": -1, "sad": -1, "surprise": 0, "neutral": 0}
MISMATCH_MIN_FACE_CONFIDENCE = 0.5


def estimate_text_emotion(text: str) -> str | None:
    """One of the seven face labels for the words; ``neutral`` when no feeling is named, None when empty."""
    if not text or not text.strip():
        return None
    compact = re.sub(r"\s+", "", text)
    lower = text.lower().replace("\u2019", "'")
    # Per label: how often it is named, then how late (the feeling after a "but" is usually the real one).
    scores = {label: [0, -1.0] for label in LABELS}
    negated = _KO_NEGATED.findall(compact) + _EN_NEGATED.findall(lower)
    compact = _KO_NEGATED.sub("", compact)
    lower = _EN_NEGATED.sub(" ", lower)
    scores["sad"][0] += len(negated)
    for label in _KO:
        for pattern, source in ((_KO_RE[label], compact), (_EN_RE[label], lower)):
            for match in pattern.finditer(source):
                scores[label][0] += 1
                scores[label][1] = max(scores[label][1], match.end() / len(source))
    best = max(LABELS, key=lambda label: scores[label])
    return best if scores[best][0] > 0 else "neutral"


def is_mismatch(face_label: str | None, face_confidence: float, text_emotion: str | None) -> bool:
    """True when a confidently read face and the words point in opposite directions.

    Only a clear disagreement counts: a smiling face with sad or angry words, or a sad/angry/afraid
    face with happy words. Neutral and surprise carry no direction, and an uncertain face
    (below :data:`MISMATCH_MIN_FACE_CONFIDENCE`) is not evidence enough to question the user.
    """
    if face_label is None or text_emotion is None or face_confidence < MISMATCH_MIN_FACE_CONFIDENCE:
        return False
    return _VALENCE.get(face_label, 0) * _VALENCE.get(text_emotion, 0) < 0
