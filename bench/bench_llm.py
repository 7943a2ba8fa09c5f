"""Companion brain benchmark: prompt building, the embedded offline LLM (load, time to first token,
tokens/s, length compliance per length setting) and the streaming overhead of the cloud path against
a paced fake server.

``python -m bench.bench_llm [--quick]`` prints the rows; ``python -m bench`` collects them.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

from bench.common import Row, p50, p95, timeit
from chat.backends import get_backend
from chat.backends.local import LocalBackend
from core.config import AppConfig
from prompts import CompanionSettings, Message, Profile, TurnContext, build
from prompts.types import LENGTHS

REPO = Path(__file__).resolve().parents[1]
CONFIG = AppConfig(data_dir=REPO / ".cache")       # same model cache as the tests
TEXTS = REPO / "tests" / "data" / "prompts_mismatch.tsv"
PROFILES = {"ko": Profile("민지", "대학생이고 고양이를 키워요."), "en": Profile("Sam", "Night-shift nurse.")}
FAKE_TTFT_S = 0.3
NUMERIC_PATH = "Q4_K_M weights (llama.cpp)"
FAKE_TOKENS_PER_S = 40


def _texts(language: str) -> list[str]:
    rows = [line.split("\t") for line in TEXTS.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]
    return [text for *_, lang, text in rows if lang == language]


def _load_note() -> str:
    return f"load avg {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def _prompt_rows(repeat: int) -> list[Row]:
    settings = CompanionSettings(attitude="casual", length="normal")
    turn = TurnContext(user_text=_texts("ko")[0], face_label="happy", face_confidence=0.8,
                       songs=("Through the Night — IU",), mood_summary="지난 7일: 슬픔 3일")
    history = tuple(Message("user" if i % 2 == 0 else "assistant", "오늘 하루 어땠어? " * 5) for i in range(12))
    times = timeit(lambda: build(settings, PROFILES["ko"], turn, history), repeat=repeat, warmup=20)
    return [Row("llm", "prompts.build (12-turn history) p50", p50(times), "ms", "< 5 ms", f"p95 {p95(times):.2f} ms")]


def _first_token_and_rate(backend: LocalBackend, prompt) -> tuple[float, float, int]:
    """Raw model stream: seconds to the first token, tokens/s after it, tokens."""
    t0 = time.perf_counter()
    first = None
    count = 0
    for delta, _finish in backend.generate(prompt.local_messages, prompt.temperature, prompt.max_tokens):
        if delta:
            count += 1
            first = first if first is not None else time.perf_counter()
    end = time.perf_counter()
    rate = (count - 1) / (end - first) if first and count > 1 and end > first else float("nan")
    return (first or end) - t0, rate, count


def _local_speed_rows(backend: LocalBackend) -> list[Row]:
    t0 = time.perf_counter()
    backend.warmup()
    rows = [Row("llm", "offline model load (join cached)", time.perf_counter() - t0, "s", "< 10 s", _load_note())]
    prompt = build(CompanionSettings(language="en", length="short"), PROFILES["en"],
                   TurnContext(user_text=_texts("en")[0], mode="conversation"))
    cold, rate, count = _first_token_and_rate(backend, prompt)
    warm, rate_warm, _ = _first_token_and_rate(backend, prompt)
    rows += [
        Row("llm", "offline first token, new settings (whole prompt evaluated)", cold, "s", "< 2 s",
            f"{_load_note()}; {backend.threads} threads"),
        Row("llm", "offline first token, same settings (cached prefix)", warm, "s", "< 2 s", _load_note()),
        Row("llm", "offline generation speed", statistics.fmean([rate, rate_warm]), "tokens/s", ">= 15 tokens/s",
            f"{count} tokens; {_load_note()}"),
    ]
    t0 = time.perf_counter()
    stream = backend.stream(prompt)
    next(stream)
    first_sentence = time.perf_counter() - t0
    stream.close()
    rows.append(Row("llm", "offline first shown sentence (after reply checks)", first_sentence, "s", "< 3 s",
                    _load_note()))
    return rows


def _length_rows(backend: LocalBackend, per_language: int) -> list[Row]:
    rows = []
    for length in LENGTHS:
        errors, fallbacks, n = [], 0, 0
        for language in ("ko", "en"):
            for text in _texts(language)[:per_language]:
                prompt = build(CompanionSettings(language=language, length=length), PROFILES[language],
                               TurnContext(user_text=text, mode="diary"))
                reply = "".join(backend.stream(prompt)).strip()
                fallbacks += reply == prompt.fallback_reply
                errors.append(abs(len(reply) - prompt.target_chars) / prompt.target_chars)
                n += 1
        rows.append(Row("llm", f"offline length error, length={length} (mean abs(chars - target) / target)",
                        statistics.fmean(errors), "", "<= 0.5",
                        f"{n} diary replies ko+en, max {max(errors):.2f}, {fallbacks} template fallbacks"))
    return rows


def _fake_cloud_rows(replies: int) -> list[Row]:
    """The SDK streaming path against a server pacing like a cloud model: our overhead on top of it."""
    from testkit.fake_llm_server import FakeLLMServer, Reply

    chunks = tuple(f"word{i} " for i in range(40))
    pace = Reply(chunks=chunks, first_delay_s=FAKE_TTFT_S, tokens_per_s=FAKE_TOKENS_PER_S)
    prompt = build(CompanionSettings(language="en"), PROFILES["en"], TurnContext(user_text=_texts("en")[0]))
    ttfts, rates = [], []
    with FakeLLMServer(default=pace) as server:
        backend = get_backend("openai-compatible", CONFIG, model="fake-model", base_url=server.openai_url)
        for _ in range(replies):
            t0 = time.perf_counter()
            stamps = [time.perf_counter() for _delta in backend.stream(prompt)]
            ttfts.append((stamps[0] - t0) * 1000)
            rates.append((len(stamps) - 1) / (stamps[-1] - stamps[0]))
    return [
        Row("llm", "openai-compatible first token vs paced server p50", p50(ttfts), "ms",
            f"~{FAKE_TTFT_S * 1000:.0f} ms + small",
            f"server waits {FAKE_TTFT_S * 1000:.0f} ms; p95 {p95(ttfts):.0f} ms"),
        Row("llm", "openai-compatible streamed rate vs paced server", statistics.fmean(rates), "tokens/s",
            f"~{FAKE_TOKENS_PER_S}", f"server sends {FAKE_TOKENS_PER_S} tokens/s; {replies} replies"),
    ]


def run(quick: bool = False) -> list[Row]:
    rows = _prompt_rows(200 if quick else 2000)
    rows += _fake_cloud_rows(3 if quick else 10)
    backend = LocalBackend(CONFIG)
    rows += _local_speed_rows(backend)
    rows += _length_rows(backend, 1 if quick else 20)
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv[1:]):
        print(f"{row.metric:<70} {row.value:>9.3f} {row.unit:<8} {row.goal:<14} {row.note}")
