"""The embedded offline backend for real: the joined Qwen GGUF, run in-process by xllamacpp."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from chat.backends import get_backend
from chat.backends._model_files import MODEL_SHA256, MODEL_SIZE, ensure_model
from chat.backends.guard import ECHO_MARKERS
from chat.backends.local import LocalBackend
from core.config import AppConfig
from prompts import CompanionSettings, Message, Profile, Prompt, TurnContext, build

pytestmark = pytest.mark.slow

# The repo's ignored .cache/ keeps the 1.1 GB joined model out of the user's real data dir.
CONFIG = AppConfig(data_dir=Path(__file__).resolve().parents[1] / ".cache")
HANGUL = re.compile(r"[\uac00-\ud7a3]")


@pytest.fixture(scope="module")
def backend() -> LocalBackend:
    local = get_backend("local", CONFIG)
    local.warmup()
    return local


def test_joined_model_file_is_complete_and_verified():
    path = ensure_model(CONFIG.data_dir / "models")
    assert path.stat().st_size == MODEL_SIZE
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(16 << 20):
            digest.update(chunk)
    assert digest.hexdigest() == MODEL_SHA256


def reply(backend: LocalBackend, prompt: Prompt) -> list[str]:
    stream = backend.stream(prompt)
    assert isinstance(stream, Iterator)          # a generator: text arrives while the model runs
    return list(stream)


def assert_clean(text: str) -> None:
    assert text.strip()
    assert not any(marker in text.lower() for marker in ECHO_MARKERS), text


@pytest.fixture(scope="module")
def korean(backend) -> tuple[Prompt, list[str]]:
    prompt = build(CompanionSettings(attitude="casual", language="ko", length="short"), Profile("민지"),
                   TurnContext(user_text="오늘 회사에서 발표를 망쳐서 너무 속상해. 다들 나를 어떻게 볼지 걱정돼.",
                               mode="diary"))
    prompt = replace(prompt, temperature=0.0)    # the same reply every run: a pass or a fail is real
    deltas = reply(backend, prompt)
    print(f"ko reply ({len(''.join(deltas))}/{prompt.target_chars} chars, {len(deltas)} deltas): {''.join(deltas)}")
    return prompt, deltas


def test_korean_reply_is_streamed_clean_korean(korean):
    prompt, deltas = korean
    text = "".join(deltas).strip()
    assert_clean(text)
    assert text != prompt.fallback_reply
    letters = re.findall(r"[^\W\d_]", text)
    assert len(HANGUL.findall(text)) / len(letters) >= 0.6
    assert len(text) <= 1.5 * prompt.target_chars


def test_korean_reply_is_at_least_half_the_length_setting(korean):
    prompt, deltas = korean
    assert len("".join(deltas).strip()) >= 0.5 * prompt.target_chars


def test_english_reply_is_streamed_english_and_within_the_length_setting(backend):
    prompt = build(CompanionSettings(attitude="polite", language="en", length="short"), Profile("Sam"),
                   TurnContext(transcript="I had a fight with my sister and I can't stop thinking about it.",
                               mode="conversation"))
    deltas = reply(backend, prompt)
    text = "".join(deltas).strip()
    print(f"en reply ({len(text)}/{prompt.target_chars} chars, {len(deltas)} deltas): {text}")
    assert_clean(text)
    assert text != prompt.fallback_reply and not HANGUL.search(text)
    assert len(deltas) > 1                      # sentence by sentence, not held back until the end
    assert 0.5 * prompt.target_chars <= len(text) <= 1.5 * prompt.target_chars


def test_a_reply_that_stops_short_is_continued_towards_its_length(backend):
    said = TurnContext(transcript="I finally finished my first marathon today!", mode="conversation")
    short = build(CompanionSettings(language="en", length="short"), Profile("Sam"), said)
    long = build(CompanionSettings(language="en", length="long"), Profile("Sam"), said)
    system, *rest = short.local_messages
    # Anna's prompt with short examples, plus a line that makes the model stop after a sentence or two,
    # against the long reply's target.
    terse = (Message("system", system.content + "\nAnswer in one short sentence."), *rest)
    prompt = replace(long, local_messages=terse, temperature=0.0)
    alone = "".join(delta for delta, _ in backend.generate(terse, 0.0, prompt.max_tokens)).strip()
    text = "".join(reply(backend, prompt)).strip()
    print(f"alone ({len(alone)} chars): {alone!r}\ncontinued ({len(text)}/{prompt.target_chars} chars): {text!r}")
    # The model stops early when left alone, and the reply goes on with more sentences. (The two runs may
    # differ in their words even at temperature 0: the second reads the prompt from llama.cpp's cache.)
    assert len(alone) < 0.7 * prompt.target_chars
    assert len(text) >= len(alone) + 30
    assert_clean(text)
    assert not HANGUL.search(text) and len(text) <= 1.5 * prompt.target_chars


def test_a_reply_in_the_wrong_language_is_retried_then_replaced_by_the_safe_template(backend):
    base = build(CompanionSettings(language="ko"), Profile("민지"), TurnContext(user_text="안녕"))
    # Instructions the model will follow into the wrong language, twice.
    wrong = (Message("system", "You only speak English. Never use Korean."),
             Message("user", "Say hello and ask how my day was, in English."))
    prompt = Prompt(messages=base.messages, temperature=0.2, max_tokens=40, language="ko", target_chars=100,
                    local_messages=wrong, fallback_reply=base.fallback_reply)
    assert "".join(reply(backend, prompt)) == base.fallback_reply


def test_the_model_loads_once_per_process(backend):
    again = LocalBackend(CONFIG)
    again.warmup()
    assert again._get_server() is backend._get_server()


def test_priming_reads_the_fixed_prompt_and_the_reply_still_comes(backend):
    prompt = build(CompanionSettings(language="en", length="short"), Profile("Sam"),
                   TurnContext(transcript="My exam is tomorrow and I am nervous.", mode="conversation"))
    backend.prime(prompt)
    text = "".join(reply(backend, prompt)).strip()
    assert_clean(text)
    assert not HANGUL.search(text)


def test_priming_gives_way_to_a_reply_that_starts_waiting(backend):
    import threading
    import time

    from chat.backends import local

    prompt = build(CompanionSettings(language="ko", length="long"), Profile("하늘"),
                   TurnContext(transcript="오늘 너무 피곤해.", mode="conversation"))
    replies: list[str] = []
    generate = backend.generate

    def first_step_then_a_reply(*args, **kwargs):
        # The reply arrives right after the prime's first message is read: deterministic, no race.
        try:
            yield from generate(*args, **kwargs)
        finally:
            backend.generate = generate
            threading.Thread(target=lambda: replies.append("".join(reply(backend, prompt)))).start()
            while not local._ACTIVE.value:
                time.sleep(0.01)

    backend.generate = first_step_then_a_reply
    try:
        read_all = backend.prime(prompt)
    finally:
        backend.generate = generate
    deadline = time.monotonic() + 120
    while not replies and time.monotonic() < deadline:
        time.sleep(0.1)
    assert read_all is False
    assert replies and replies[0].strip()
