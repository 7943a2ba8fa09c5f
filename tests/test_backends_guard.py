"""The reply checks the embedded model's output passes through, on real reply text."""

from __future__ import annotations

import pytest

from chat.backends.guard import Rejected, ReplyGuard, last_user_words, sentence_problem
from prompts import Message


def run(guard: ReplyGuard, text: str, step: int = 3, truncated: bool = False) -> str:
    """Feed ``text`` in small deltas, as a model streams it."""
    out = [guard.feed(text[i:i + step]) for i in range(0, len(text), step)]
    return "".join(out) + guard.finish(truncated)


KO = "발표 망쳐서 많이 속상했겠다. 그만큼 잘하고 싶었던 거잖아. 오늘은 맛있는 거 먹고 푹 쉬자."


def test_a_good_korean_reply_passes_whole():
    assert run(ReplyGuard("ko", 100, spoken=False), KO) == KO


def test_text_is_released_one_finished_sentence_at_a_time():
    guard = ReplyGuard("ko", 100, spoken=False)
    assert guard.feed("발표 망쳐서 많이") == ""
    assert guard.feed(" 속상했겠다. 그만") == "발표 망쳐서 많이 속상했겠다. "


@pytest.mark.parametrize("start", ["I understand how you feel. ", "我理解你的感受。 ", "Length: about 150 characters. ",
                                   "<user_words> 오늘 발표를 망쳤어. "])
def test_a_wrong_language_or_echoed_start_is_rejected_before_anything_is_shown(start):
    with pytest.raises(Rejected):
        run(ReplyGuard("ko", 100, spoken=False), start + KO)


def test_repeating_the_users_words_as_its_own_is_skipped():
    words = "오늘 회사에서 발표를 망쳐서 너무 속상해. 다들 나를 어떻게 볼지 걱정돼."
    guard = ReplyGuard("ko", 100, spoken=False, user_words=words)
    assert run(guard, "다들 나를 어떻게 볼지 걱정돼요. " + KO) == KO
    with pytest.raises(Rejected, match="empty"):     # nothing but repeats: nothing to show
        run(ReplyGuard("ko", 100, spoken=False, user_words=words), "오늘 회사에서 발표를 망쳐서 너무 속상해요.")
    # Naming what happened in the user's words is empathy, not copying.
    said = "오랜만에 친구들 만나서 너무 즐거웠어! 맛있는 것도 먹고."
    echo = "오랜만에 친구들 만나서 정말 즐거웠겠다! "
    assert run(ReplyGuard("ko", 100, spoken=False, user_words=said), echo) == echo


def test_the_users_words_are_found_in_the_prompt():
    messages = (Message("user", "<user_words>\nold\n</user_words>"), Message("assistant", "hi"),
                Message("user", "Sam said:\n<user_words>\nI'm tired.\n</user_words>"))
    assert last_user_words(messages).strip() == "I'm tired."


def test_an_empty_reply_is_rejected():
    with pytest.raises(Rejected, match="empty"):
        run(ReplyGuard("en", 100, spoken=False), "   ")


def test_a_bad_later_sentence_ends_the_reply_cleanly():
    text = "힘든 하루였겠다. 오늘은 푹 쉬어. Here is a summary of the instructions. 그리고 내일 보자."
    assert run(ReplyGuard("ko", 200, spoken=False), text) == "힘든 하루였겠다. 오늘은 푹 쉬어. "


def test_the_reply_stops_near_its_target_and_never_far_past_it():
    sentence = "That sounds really hard, and I am glad you told me about it. "
    out = run(ReplyGuard("en", 120, spoken=False), sentence * 10)
    assert 0.9 * 120 <= len(out.strip()) <= 1.5 * 120


def test_with_a_minimum_nothing_is_shown_until_half_the_target_is_ready():
    guard = ReplyGuard("en", 100, spoken=False, min_share=0.5)
    assert guard.feed("Oh no. ") == ""                                     # 6 chars: held back
    assert guard.feed("That sounds really hard, I'm so sorry. Please rest tonight. ") == \
        "Oh no. That sounds really hard, I'm so sorry. Please rest tonight. "
    with pytest.raises(Rejected, match="short"):
        run(ReplyGuard("en", 100, spoken=False, min_share=0.5), "Oh no. Rest.")


def test_a_tail_cut_by_the_token_limit_is_dropped():
    text = "I hear you. Take a breath and rest. Tomorrow we can"
    out = run(ReplyGuard("en", 500, spoken=False), text, truncated=True)
    assert out == "I hear you. Take a breath and rest. "


def test_spoken_replies_lose_emoji_and_markdown():
    out = run(ReplyGuard("en", 300, spoken=True), "**You did great** 😊 today! - Rest well 🌙.")
    assert out == "You did great today! Rest well."


@pytest.mark.parametrize("sentence, language, problem", [
    ("오늘 밤편지 — IU 들어 봐.", "ko", None),           # a song title in Latin letters is fine
    ("Okay, 알겠어.", "ko", "language"),
    ("Great job today!", "en", None),
    ("今天辛苦了。", "en", "language"),
    ("Safety rule: never do that.", "en", "echo"),
])
def test_sentence_problems(sentence, language, problem):
    assert sentence_problem(sentence, language) == problem
