"""End-to-end voice turn: end of speech -> first audio out, and -> reply done.

The turn goes through the app's own wiring (``chat.build_companion``): real Whisper,
real offline voices, a real SQLite diary. Two LLMs: (a) the embedded offline model,
(b) a loopback OpenAI-compatible server that streams like a cloud LLM (300 ms to the
first token, then 40 tokens/s). The same turn also runs through a naive sequential
path (transcribe, then the whole reply, then speak all of it) so the streaming gain
shows as a ratio, and through the live-microphone path: the recording fed in real time,
0.1 s at a time, to a ``speech.Listener`` that transcribes during pauses, the clock
starting when the audio ends. Cold start and peak memory come from a real ``python app.py``.
"""

from __future__ import annotations

import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import time
import wave
from dataclasses import replace
from pathlib import Path

import numpy as np

from bench.common import Row

REPO = Path(__file__).resolve().parents[1]
NUMERIC_PATH = "Whisper int8 (CTranslate2); offline LLM Q4_K_M (llama.cpp); Piper fp32 (ONNX Runtime)"
SENTENCES = {
    "en": "I had a really long day at school and I feel tired. Can you cheer me up a little?",
    "ko": "오늘 학교에서 정말 긴 하루를 보냈어. 조금 힘이 나는 말을 해 줄래?",
}
# A reply of the normal length (~300 characters) cut into ~4-character tokens, as a cloud model streams it.
CLOUD_REPLY = ("That sounds like a really long day, and it makes sense that you feel tired. "
               "You kept going even when it was hard, and that counts for a lot. "
               "Maybe take ten quiet minutes tonight, with a warm drink and a song you love. "
               "Tomorrow can start fresh. I'm proud of you for getting through today.")
# A person presses stop a moment after their last word; the live microphone's work is done by then.
STOP_AFTER_S = 0.7


def _tokens(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r".{1,4}", text, flags=re.S))


def _turn_timings(companion, turn, started: float | None = None) -> tuple[float, float]:
    """Seconds to the first audio and to the end of the reply, from ``started`` (default: now)."""
    from chat import AudioEvent, DoneEvent, ErrorEvent
    t0 = started if started is not None else time.perf_counter()
    first_audio = None
    for event in companion.respond(turn):
        if isinstance(event, AudioEvent) and first_audio is None:
            first_audio = time.perf_counter() - t0
        if isinstance(event, ErrorEvent):
            raise RuntimeError(event.error.en)
        if isinstance(event, DoneEvent):
            break
    done = time.perf_counter() - t0
    return (first_audio if first_audio is not None else float("nan")), done


def _streamed_timings(companion, turn, wav: Path, config, stop_after_s: float = 0.0) -> tuple[float, float, float]:
    """The live microphone: the recording reaches a Listener in real time, 0.1 s per chunk (the Listener
    transcribes pauses in its own threads); from the end of the audio, finish() and then the turn with its
    transcript.
    ``stop_after_s``: the user presses stop this long after the recording's end (the microphone hears
    silence meanwhile). Returns (first audio, reply done, transcript ready) in seconds after the stop."""
    import speech
    with wave.open(str(wav)) as w:
        rate, pcm = w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), np.int16)
    pcm = np.concatenate([pcm, np.zeros(int(stop_after_s * rate), np.int16)])
    listener = speech.Listener(turn.prefs.voice.speech_language or None, source=speech.WhisperSource.from_config(config))

    step, start = rate // 10, time.perf_counter()
    for i in range(0, len(pcm), step):
        listener.feed(rate, pcm[i:i + step])
        time.sleep(max(0.0, start + (i + step) / rate - time.perf_counter()))
    ended = time.perf_counter()
    transcript = listener.finish()
    ready = time.perf_counter() - ended
    return (*_turn_timings(companion, replace(turn, audio=None, transcript=transcript), started=ended), ready)


def _median_run(measure, repeats: int) -> tuple[float, ...]:
    runs = sorted(measure() for _ in range(repeats))
    return runs[len(runs) // 2]


def _sequential_seconds(companion, turn) -> float:
    """The naive path, every stage run to completion before the next: its first audio is its last."""
    import speech
    from prompts import TurnContext, build
    t0 = time.perf_counter()
    transcript = companion.transcribe(turn.audio)
    prompt = build(turn.prefs.reply, turn.profile, TurnContext(transcript=transcript.text), ())
    reply = "".join(companion.backend.stream(prompt))
    speech.synthesize(reply, turn.prefs.reply.language, online=False)
    return time.perf_counter() - t0


def _cold_start(data_dir: Path, database_url: str) -> float:
    """Seconds from ``python app.py`` to the port answering."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, HARU_DATA_DIR=str(data_dir), DATABASE_URL=database_url, HARU_PORT=str(port),
               GRADIO_ANALYTICS_ENABLED="False")
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - t0 < 120:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return time.perf_counter() - t0
            if proc.poll() is not None:
                raise RuntimeError(f"app.py exited with {proc.returncode}")
            time.sleep(0.05)
        raise RuntimeError("app.py did not serve within 120 s")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def run(quick: bool = False) -> list[Row]:
    import chat
    from chat.backends import get_backend
    from core import load_config
    from diary import open_store
    from prompts import Profile
    from testkit.fake_llm_server import FakeLLMServer, Reply
    from testkit.speech import spoken_wav

    rows: list[Row] = []
    work = Path(tempfile.mkdtemp(prefix="haru-bench-"))
    # The user's data dir, for the joined model files only (joining 1.3 GB again would dominate the run);
    # the diary is a fresh SQLite file.
    config = load_config(dotenv=None, online_tts=False, database_url=f"sqlite:///{work / 'bench.db'}")
    rows.append(Row("turn", "cold start: python app.py -> serving",
                    _cold_start(config.data_dir, f"sqlite:///{work / 'cold.db'}"), "s", "<= 8 s"))

    t0 = time.perf_counter()
    status = chat.warmup(config)
    rows.append(Row("turn", "warm-up of all offline models", time.perf_counter() - t0, "s",
                    note=", ".join(f"{k} {v}" for k, v in status.items())))

    store = open_store(config.resolved_database_url)
    user = store.create_user("bench", "a long enough password", "Minji")
    pace = Reply(chunks=_tokens(CLOUD_REPLY), first_delay_s=0.3, tokens_per_s=40)
    repeats = 1 if quick else 3
    with FakeLLMServer(default=pace) as server:
        llms = {
            "offline LLM": chat.build_companion(config, store=store),
            "cloud-like LLM": chat.build_companion(config, store=store, backend=get_backend(
                "openai-compatible", config, base_url=server.openai_url, model="fake-model")),
        }
        for language, sentence in SENTENCES.items():
            wav = spoken_wav(sentence, language, work / f"said-{language}.wav")
            turn = chat.Turn(profile=Profile(name="Minji"), user_id=user.id, audio=str(wav),
                             prefs=chat.Preferences().updated(reply_language=language, reply_length="normal"))
            for llm, companion in llms.items():
                goal = "<= 1.2 s" if llm.startswith("cloud") else "<= 3 s"
                companion.prime(turn.profile, turn.prefs.reply)   # as the app does at login
                runs = [_turn_timings(companion, turn) for _ in range(repeats)]
                first = sorted(r[0] for r in runs)[len(runs) // 2]
                done = sorted(r[1] for r in runs)[len(runs) // 2]
                naive = _sequential_seconds(companion, replace(turn, voice=False))
                live = _median_run(lambda: _streamed_timings(companion, turn, wav, config), repeats)
                rows += [
                    Row("turn", f"{language}, {llm}: end of speech -> first audio", first, "s", goal,
                        f"median of {repeats}"),
                    Row("turn", f"{language}, {llm}: end of speech -> reply done", done, "s"),
                    Row("turn", f"{language}, {llm}: sequential path -> first audio", naive, "s",
                        note=f"streaming is {naive / first:.1f}x sooner"),
                    Row("turn", f"{language}, {llm}: live microphone, end of audio -> first audio", live[0], "s",
                        goal, f"transcript ready {live[2]:.2f} s after the audio ended; median of {repeats}"),
                    Row("turn", f"{language}, {llm}: live microphone, end of audio -> reply done", live[1], "s"),
                ]
                if llm.startswith("cloud"):
                    late = _median_run(lambda: _streamed_timings(companion, turn, wav, config, STOP_AFTER_S), repeats)
                    rows.append(Row("turn", f"{language}, {llm}: live microphone, stop pressed {STOP_AFTER_S} s after "
                                    "the audio -> first audio", late[0], "s", goal,
                                    f"transcript ready {late[2]:.2f} s after the stop; median of {repeats}"))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows.append(Row("turn", "peak RSS, all offline models loaded", peak_mb / 1024, "GB", "<= 2.5 GB"))
    return rows


if __name__ == "__main__":
    from bench.__main__ import table
    print(table(run(quick="--quick" in sys.argv)))
