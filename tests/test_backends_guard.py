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


LONG_EN = ("That sounds really hard, and I am glad you told me about it. You did everything you could today. "
           "Maybe a warm shower and an early night would help. Tomorrow you can look at it with fresh eyes. "
           "Whatever happens, I am on your side. Write to me again when you feel like it. ")


def test_the_reply_stops_near_its_target_and_never_far_past_it():
    guard = ReplyGuard("en", 120, spoken=False)
    out = run(guard, LONG_EN)
    assert 0.9 * 120 <= len(out.strip()) <= 1.5 * 120
    assert guard.ended == "target" and not guard.wants_more


def test_the_first_sentence_is_shown_as_soon_as_it_ends():
    guard = ReplyGuard("en", 300, spoken=False)
    assert guard.feed("Oh no. Th") == "Oh no. "


def test_a_long_first_clause_is_shown_before_its_sentence_ends():
    guard = ReplyGuard("en", 300, spoken=False)
    assert guard.feed("That sounds like a really long day, and it") == "That sounds like a really long day, "
    assert guard.feed(" makes sense, you know. ") == "and it makes sense, you know. "   # later clauses wait
    with pytest.raises(Rejected, match="language"):
        ReplyGuard("ko", 100, spoken=False).feed("That sounds like a really long day, 그래도 ")


def test_a_reply_that_ends_well_short_of_its_target_asks_to_be_continued():
    guard = ReplyGuard("en", 300, spoken=False)
    assert run(guard, "Oh no, I'm so sorry. Rest tonight.") == "Oh no, I'm so sorry. Rest tonight."
    assert guard.wants_more and not guard.done
    assert run(guard, " " + LONG_EN).startswith(" That sounds")      # more deltas go on with the same reply
    assert guard.ended == "target" and not guard.wants_more
    nearly = ReplyGuard("en", 40, spoken=False)
    run(nearly, "Oh no, I'm so sorry. Rest tonight.")
    assert not nearly.wants_more


def test_a_looping_model_is_cut_at_the_first_repeat_and_a_short_reply_may_go_on():
    guard = ReplyGuard("ko", 300, spoken=False)
    loop = "오늘은 행복하게 학교를 수리하세요. 오늘은 학교에서 준비하세요. "
    assert run(guard, "힘든 하루였겠다. " + loop * 5) == "힘든 하루였겠다. " + loop
    assert guard.ended == "repeat" and guard.done and guard.wants_more
    guard.resume()
    assert run(guard, "내일은 좋아하는 노래 들으면서 푹 쉬어. " + loop) == "내일은 좋아하는 노래 들으면서 푹 쉬어. "
    assert guard.ended == "repeat"                  # the continuation looping again ends it again
    near = ReplyGuard("ko", 60, spoken=False)
    run(near, "힘든 하루였겠다. " + loop * 5)
    assert near.ended == "repeat" and not near.wants_more


def test_a_stray_full_stop_where_the_model_wanted_to_end_is_dropped():
    guard = ReplyGuard("ko", 300, spoken=False)
    assert run(guard, "힘든 하루였겠다. . 오늘은 푹 쉬어.. 축하해!. 음... 그래.") == "힘든 하루였겠다. 오늘은 푹 쉬어. 축하해! 음... 그래."


def test_a_continuation_after_a_skipped_sentence_keeps_its_space():
    guard = ReplyGuard("ko", 300, spoken=False, earlier=["그래도 노력하신 시간은 어디 가지 않아요."])
    assert run(guard, "면접 떨어져서 속상하겠다. 오늘은 좀 쉬어.") == "면접 떨어져서 속상하겠다. 오늘은 좀 쉬어."
    assert run(guard, " 그래도 노력하신 시간은 어디 가지 않아요. 내일 다시 힘내자.") == " 내일 다시 힘내자."


def test_a_run_on_without_sentence_ends_is_not_waited_for():
    guard = ReplyGuard("ko", 600, spoken=False)
    assert guard.feed("힘든 하루였겠다. ") == "힘든 하루였겠다. "
    guard.feed("그리고 " * 120)
    assert guard.done and guard.ended == "run-on"
    with pytest.raises(Rejected, match="run-on"):
        ReplyGuard("ko", 600, spoken=False).feed("그리고 " * 120)


def test_broken_characters_end_the_reply_without_waiting_for_a_sentence_end():
    guard = ReplyGuard("en", 600, spoken=True)
    assert run(guard, "Get some rest. Goodnight!\ufffd\ufffd//\ufffd") == "Get some rest. "
    assert guard.ended == "garbage"


def test_cjk_full_stops_end_a_sentence_without_a_space():
    with pytest.raises(Rejected, match="language"):
        ReplyGuard("ko", 100, spoken=False).feed("我理解你的感受。你今天")


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
    ("python\n", "en", "code"),
    ("No additional code is required for this solution.", "en", "code"),
    ("print(greeting)", "en", "code"),
    ("I love coding in Python at night.", "en", None),
])
def test_sentence_problems(sentence, language, problem):
    assert sentence_problem(sentence, language) == problem


def test_line_breaks_without_words_end_the_reply_and_paragraph_gaps_shrink():
    guard = ReplyGuard("ko", 600, spoken=False)
    out = run(guard, "힘든 하루였겠다.\n\n\n\n오늘은 푹 쉬어." + "\n" * 200)
    assert out == "힘든 하루였겠다.\n오늘은 푹 쉬어.\n"
    assert guard.ended == "blank"


def test_sentences_taken_from_the_prompts_examples_are_skipped():
    example = "이사 끝낸 거 축하해! 새 집이 마음에 든다니 나도 기쁘다. 오늘은 새 집에서 푹 쉬면서 즐겨."
    said = "<user_words>\n드디어 이사 끝났다! 새 집이 너무 마음에 들어.\n</user_words>"
    guard = ReplyGuard("ko", 100, spoken=False, earlier=[example, said])
    assert run(guard, "새 집이 너무 마음에 들어. 새 집이 마음에 든다니 나도 기뻐. 긴 하루였겠다, 오늘은 푹 쉬어.") == \
        "긴 하루였겠다, 오늘은 푹 쉬어."


@pytest.mark.parametrize("language, words, bad, good", [
    ("ko", "오늘 회사에서 칭찬받아서 기분이 정말 좋아!", "나도 오늘 회사에서 칭찬받았어. ",
     "칭찬받아서 정말 뿌듯하겠다! 어떤 칭찬을 들었어?"),
    ("ko", "오늘 일이 복잡하고 동료랑 싸웠어요.", "오늘 일은 복잡하고 싸웠어요. ",
     "일도 복잡한데 다투기까지 해서 많이 지치셨겠어요. 지금 마음은 좀 어떠세요?"),
    ("en", "I feel really happy today because I passed my exam", "I passed my exam too! ",
     "I'm so happy for you, passing that exam is huge! How are you celebrating?"),
])
def test_the_users_story_told_as_annas_own_is_skipped(language, words, bad, good):
    guard = ReplyGuard(language, 100, spoken=False, user_words=words)
    assert run(guard, bad + good) == good


@pytest.mark.parametrize("language, words, bad, good", [
    ("ko", "오늘 회사에서 칭찬받아서 기분이 정말 좋아!", "이사 끝났고 새 집에서 푹 쉬면서 기분이 정말 좋아요! ",
     "칭찬받아서 기분 좋은 게 여기까지 느껴져. 누구한테 칭찬받았어?"),
    ("en", "I got the scholarship!", "Your mom must be so proud of you. ",
     "Congratulations on the scholarship, you earned it! How do you feel?"),
    ("en", "I got the scholarship!", "Tell Jenny the good news too. ",
     "Congratulations on the scholarship, you earned it! How do you feel?"),
])
def test_people_places_and_events_the_user_never_mentioned_are_skipped(language, words, bad, good):
    guard = ReplyGuard(language, 100, spoken=False, user_words=words, known=words)
    assert run(guard, bad + good) == good


def test_what_the_user_said_earlier_or_in_their_profile_may_be_named():
    known = "Sam\nI take care of my cat.\nMy mom called today."
    guard = ReplyGuard("en", 200, spoken=False, user_words="My mom called today.", known=known)
    reply = "It sounds like your mom's call meant a lot. Did your cat keep you company too?"
    assert run(guard, reply) == reply


@pytest.mark.parametrize("tail", ["어떤 일에 대해 더 물어보고 싶으신가요?: 그리고 더 쓴 문장이에요.", "추천 도움:",
                                  "\u200b. 그리고 더 쓴 문장이에요."])
def test_a_broken_later_sentence_ends_the_reply(tail):
    guard = ReplyGuard("ko", 300, spoken=False)
    assert run(guard, KO + " " + tail).strip() == KO
    assert guard.ended == "broken"


def test_a_sentence_of_the_instructions_is_an_echo():
    system = ("You are Anna, a warm friend of Sam.\nIf Sam talks about wanting to die or hurting themselves, respond "
              "with care and urge them to call a crisis helpline now.")
    reply = ("That's amazing, congratulations! If Sam talks about wanting to die or hurting themselves, respond with "
             "care and urge them to call a help line. How do you feel?")
    guard = ReplyGuard("en", 300, spoken=False, instructions=system)
    assert run(guard, reply).strip() == "That's amazing, congratulations!"
    assert guard.ended == "echo"
