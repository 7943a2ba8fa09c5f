"""Shared inputs for the prompt, backend and safety tests: a rich turn, the labelled data sets, golden files."""

from __future__ import annotations

import os
from itertools import combinations
from pathlib import Path

from prompts import CompanionSettings, Message, Profile, Prompt, TurnContext
from prompts.types import ATTITUDES, COMPOSITIONS, INTENSITIES, LENGTHS, MODES

DATA = Path(__file__).resolve().parent / "data"
GOLDEN = Path(__file__).resolve().parent / "golden" / "prompts"
UPDATE_GOLDEN = os.environ.get("HARU_UPDATE_GOLDEN") == "1"

ALL_COMPOSITIONS = [frozenset(c) for n in range(len(COMPOSITIONS) + 1) for c in combinations(COMPOSITIONS, n)]

PROFILES = {"ko": Profile("민지", "대학교 3학년이고 고양이 두 마리와 살아요. 요즘 취업 준비 중이에요."),
            "en": Profile("Sam", "I'm a nurse who works night shifts and loves hiking.")}
WORDS = {"ko": "오늘 면접에서 떨어졌어. 괜찮은 척 웃었는데 사실 많이 속상해.",
         "en": "I didn't get the job. I smiled through it but honestly I'm really upset."}
HISTORY = {"ko": (Message("user", "안녕, 오늘 좀 긴장돼."), Message("assistant", "무슨 일 있어? 천천히 얘기해 줘.")),
           "en": (Message("user", "Hi, I'm a bit nervous today."),
                  Message("assistant", "What's going on? Take your time."))}
MOODS = {"ko": "지난 7일: 슬픔 3일, 기쁨 2일, 무표정 2일", "en": "last 7 days: sad 3 days, happy 2 days, neutral 2 days"}


def rich_turn(language: str, mode: str) -> TurnContext:
    """A turn with every part of the context: words, a confident smiling face (a mismatch), songs, moods."""
    return TurnContext(user_text=WORDS[language], mode=mode, face_label="happy", face_confidence=0.82,
                       songs=("Through the Night — IU", "Spring Day — BTS", "Fix You — Coldplay", "Yellow — Coldplay"),
                       mood_summary=MOODS[language])


def plain_turn(language: str, mode: str) -> TurnContext:
    """Only the words, spoken: no face, no songs, no diary."""
    return TurnContext(transcript=WORDS[language], mode=mode)


def covering_rows() -> list[dict]:
    """Eight setting rows in which every value of every setting appears at least once."""
    return [dict(attitude=ATTITUDES[i % 2], composition=ALL_COMPOSITIONS[i], intensity=list(INTENSITIES)[i % 3],
                 length=list(LENGTHS)[(i + i // 3) % 3], mode=MODES[(i // 2) % 2]) for i in range(8)]


def all_settings(language: str):
    for attitude in ATTITUDES:
        for composition in ALL_COMPOSITIONS:
            for intensity in INTENSITIES:
                for length in LENGTHS:
                    yield CompanionSettings(attitude=attitude, composition=composition, intensity=intensity,
                                            length=length, language=language)


def settings_key(settings: CompanionSettings, mode: str) -> str:
    comp = "+".join(sorted(settings.composition)) or "all"
    return f"{settings.language}-{mode}-{settings.attitude}-{comp}-{settings.intensity}-{settings.length}"


def dump(prompt: Prompt) -> str:
    """A prompt as reviewable text: parameters, then each message of both flavours."""
    head = (f"temperature={prompt.temperature} max_tokens={prompt.max_tokens} language={prompt.language} "
            f"target_chars={prompt.target_chars} mode={prompt.mode} notes={','.join(prompt.notes) or '-'}\n"
            f"fallback_reply={prompt.fallback_reply}\n")
    parts = [head]
    for flavour, messages in (("messages", prompt.messages), ("local_messages", prompt.local_messages)):
        parts.append(f"===== {flavour}\n")
        parts += [f"----- {m.role}\n{m.content}\n" for m in messages]
    return "".join(parts)


def read_tsv(name: str) -> list[list[str]]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]
