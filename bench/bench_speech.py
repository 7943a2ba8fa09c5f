"""Speech on this machine: Whisper's accuracy on recorded Korean and English voices, its real-time
factor and fixed cost, and each voice's time to first audio and real-time factor.

Runs the app's own calls (``speech.transcribe``, ``speech.synthesize_stream``) with the
configured model (joined into ``HARU_DATA_DIR`` on first use). Accuracy uses the recorded sets in
``../shared/data/speech`` (read in place: the Korean clips are research-only); speed uses speech
made by the offline English voice, so nothing is downloaded.

    python -m bench.bench_speech [--quick]     # the rows docs/benchmarks.md gets
    python -m bench.bench_speech --tune        # decoding candidates on the dev speakers (docs/speech.md)
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import replace

import numpy as np

import speech
from bench.common import Row, p50, timeit
from core.config import load_config
from speech.audio import SAMPLE_RATE, load_audio
from speech.stt import DECODING, Decoding, WhisperSource, default_model
from training.speech import evaluate

SENTENCES = (
    "I went for a long walk in the park this morning, and it made me feel much better.",
    "Work was busy today, but I finished the report I was worried about.",
    "In the evening I called my sister and we talked for almost an hour.",
    "Now I am a little tired, but I think I will sleep well tonight.",
)
REPLY = {
    "en": "That sounds like a good day. I'm glad the walk helped. Sleep well tonight.",
    "ko": "정말 좋은 하루였네요. 산책이 도움이 되었다니 다행이에요. 오늘 밤 푹 주무세요.",
}
STT_GOAL = "<= 0.15 x"
ACCURACY_GOAL = {"ko": ("CER", "<= 0.10"), "en": ("WER", "<= 0.08")}
FALLBACK = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)      # Whisper's own temperature schedule
NUMERIC_PATH = "Whisper int8 (CTranslate2); Piper fp32 (ONNX Runtime)"


def _speech_clip(seconds: float) -> np.ndarray:
    """English speech at 16 kHz, sentences repeated and cut to exactly ``seconds``."""
    spoken = [load_audio(speech.synthesize(s, "en", online=False).data) for s in SENTENCES]
    gap = np.zeros(SAMPLE_RATE // 3, np.float32)
    pieces: list[np.ndarray] = []
    while sum(len(p) for p in pieces) < seconds * SAMPLE_RATE:
        for clip in spoken:
            pieces += [clip, gap]
    return np.concatenate(pieces)[: int(seconds * SAMPLE_RATE)]


def _wall_and_cpu(fn, repeat: int) -> tuple[float, float]:
    """Median wall and process CPU milliseconds (CPU time counts every thread of the process).

    On two shared cores wall time mostly measures the neighbours; CPU time does not.
    """
    fn()
    walls, cpus = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append((time.perf_counter() - w) * 1000)
        cpus.append((time.process_time() - c) * 1000)
    return p50(walls), p50(cpus)


def _stt_rows(repeat: int) -> list[Row]:
    source = WhisperSource.from_config(load_config())
    t0 = time.perf_counter()
    model = default_model(source)
    rows = [Row("speech", "Whisper model load (first use, cached join)", (time.perf_counter() - t0) * 1000, "ms",
                "", model.haru_name)]
    clips = {seconds: (SAMPLE_RATE, _speech_clip(seconds)) for seconds in (1, 5, 30)}
    for seconds, mode in [(s, m) for s in clips for m in ("detect ko/en", "language set")]:
        audio = clips[seconds]
        language = None if mode == "detect ko/en" else "en"
        wall, cpu = _wall_and_cpu(
            lambda: speech.transcribe(audio, language=language, model=model, source=source), repeat)
        if seconds == 1:
            # A one-second utterance is almost all fixed cost: VAD, the (shortest) encoder pass, the prompt.
            rows.append(Row("speech", f"STT fixed cost per utterance (1 s clip), {mode}", cpu, "CPU ms", "",
                            f"{wall:.0f} ms wall"))
            continue
        rows += [Row("speech", f"STT real-time factor, {seconds} s clip, {mode}", wall / 1000 / seconds, "x",
                     STT_GOAL, f"whisper base int8, beam {DECODING.beam_size}, {wall:.0f} ms wall"),
                 Row("speech", f"STT CPU seconds per audio second, {seconds} s clip, {mode}", cpu / 1000 / seconds,
                     "x", "", "all threads; idle 2-core wall RTF lies between this / 2 and this")]
    whole = replace(source, short_window=False)
    wall, _ = _wall_and_cpu(lambda: speech.transcribe(clips[5], language="en", model=model, source=whole), repeat)
    rows.append(Row("speech", "STT real-time factor, 5 s clip, language set, whole 30 s window", wall / 1000 / 5,
                    "x", "", f"HARU_WHISPER_SHORT_WINDOW=0, for comparison; {wall:.0f} ms wall"))
    return rows


def _pass(clips, model, source: WhisperSource, language: str | None, decoding: Decoding = DECODING):
    return evaluate.run(clips, lambda c: speech.transcribe(c.path, language=language, model=model, source=source,
                                                           decoding=decoding))


def _accuracy_rows(quick: bool) -> list[Row]:
    """Korean CER and English WER on recorded voices: as the app runs (detection), and (not quick) with the
    language given."""
    sets = evaluate.shared_sets()
    if not all((sets / lang / "manifest.tsv").is_file() for lang in ACCURACY_GOAL):
        return [Row("speech", "STT accuracy on recorded voices", float("nan"), "", "", f"skipped: {sets} not found")]
    source = WhisperSource.from_config(load_config())
    model = default_model(source)
    rows = []
    for lang, (measure, goal) in ACCURACY_GOAL.items():
        clips = evaluate.load_set(sets / lang, lang)
        held = {c.path for c in evaluate.split_speakers(clips)[1]}
        for mode, given in (("detect ko/en", None), ("language set", lang))[:1 if quick else 2]:
            results = _pass(clips, model, source, given)
            overall = evaluate.score(results)
            held_out = evaluate.score([r for r in results if r.clip.path in held])
            rows.append(Row("speech", f"STT {measure}, recorded {lang} voices, {mode}", overall.error_rate, "", goal,
                            f"{len(clips)} clips; held-out speakers {held_out.error_rate:.3f}; RTF {overall.rtf:.3f} "
                            f"(wall, shared machine)"))
            if given:
                continue
            rows += [Row("speech", f"STT {measure}, recorded {lang} voices, group {s.group}", s.error_rate, "", goal,
                         f"{s.clips} clips, detect ko/en") for s in evaluate.group_scores(results)[1:]]
            short = [r for r in results if r.clip.duration_s < evaluate.SHORT_CLIP_S]
            right = sum(r.language == lang for r in short)
            rows.append(Row("speech", f"STT language picked right, recorded {lang} voices", overall.language_right,
                            "share", "", f"{len(clips)} clips; clips under {evaluate.SHORT_CLIP_S:.0f} s: "
                            f"{right} of {len(short)}"))
            if not quick:
                rows += [_first_seconds_row(clips, model, source, seconds) for seconds in (1.0, 1.5)]
    return rows


def _first_seconds_row(clips, model, source: WhisperSource, seconds: float) -> Row:
    """Language detection on each clip cut to its first ``seconds`` (in memory): a one-word answer."""
    picks = []
    for clip in clips:
        try:
            picks.append(speech.transcribe((SAMPLE_RATE, load_audio(clip.path)[:int(seconds * SAMPLE_RATE)]),
                                           model=model, source=source).language)
        except speech.NothingHeardError:
            continue
    right = sum(p == clips[0].language for p in picks)
    return Row("speech", f"STT language picked right, first {seconds} s of recorded {clips[0].language} clips",
               right / max(1, len(picks)), "share", "", f"{right} of {len(picks)} heard ({len(clips)} clips)")


def tune() -> None:
    """Each decoding candidate on the dev speakers only (the held-out ones judge the choice: docs/speech.md)."""
    source = WhisperSource.from_config(load_config())
    model = default_model(source)
    whole = replace(source, short_window=False)
    candidates = {
        "app (detect ko/en)": (None, source, DECODING),
        "language set": ("set", source, DECODING),
        "language set, whole window": ("set", whole, DECODING),
        "language set, beam 5": ("set", source, replace(DECODING, beam_size=5)),
        "language set, beam 1": ("set", source, replace(DECODING, beam_size=1)),
        "language set, temperature fallback": ("set", source, replace(DECODING, temperatures=FALLBACK)),
        "language set, VAD threshold 0.35": ("set", source, replace(DECODING, vad_threshold=0.35)),
        "language set, prompt": ("set", source, replace(DECODING, prompt=True)),
    }
    for lang in ACCURACY_GOAL:
        dev, _ = evaluate.split_speakers(evaluate.load_set(evaluate.shared_sets() / lang, lang))
        for name, (given, cfg, decoding) in candidates.items():
            s = evaluate.score(_pass(dev, model, cfg, lang if given else None, decoding))
            print(f"{lang} dev ({len(dev)} clips) {name:<44} {ACCURACY_GOAL[lang][0]} {s.error_rate:.3f} "
                  f"RTF {s.rtf:.3f} load {os.getloadavg()[0]:.1f}", flush=True)


def _tts_rows(repeat: int) -> list[Row]:
    rows = []
    for voice in speech.available_voices(online=False):
        words = [w + " " for w in REPLY[voice.language].split()]

        def first_audio(v=voice.name, lang=voice.language, deltas=words):
            return next(speech.synthesize_stream(iter(deltas), lang, online=False, voice=v))

        first_audio()                                   # load the voice outside the timing
        ttfa = p50(timeit(first_audio, repeat))
        clip = speech.synthesize(REPLY[voice.language], voice.language, online=False, voice=voice.name)
        audio_s = len(load_audio(clip.data)) / SAMPLE_RATE
        synth = p50(timeit(lambda v=voice: speech.synthesize(REPLY[v.language], v.language, online=False,
                                                            voice=v.name), repeat))
        rows += [Row("speech", f"TTS time to first audio, {voice.name}", ttfa, "ms", "",
                     f"first sentence of a streamed reply, {clip.sample_rate} Hz {clip.format}"),
                 Row("speech", f"TTS real-time factor, {voice.name}", synth / 1000 / audio_s, "x", "",
                     f"{audio_s:.1f} s of audio in {synth:.0f} ms")]
    # gTTS: offline machines measure how long a reply waits before the fallback speaks.
    from speech.tts.gtts_voice import _GTTS_BACKOFF

    _GTTS_BACKOFF.reset()
    t0 = time.perf_counter()
    clip = speech.synthesize(REPLY["ko"], "ko", online=True)
    first = (time.perf_counter() - t0) * 1000
    rows.append(Row("speech", "TTS time to first audio, online chain (gTTS first)", first, "ms", "",
                    f"answered by {clip.voice}" + ("" if clip.voice.startswith("gtts") else
                                                   "; gTTS unreachable, failure detected then fallback")))
    _GTTS_BACKOFF.reset()
    return rows


def run(quick: bool = False) -> list[Row]:
    repeat = 1 if quick else 3
    load_before = os.getloadavg()[0]
    rows = _accuracy_rows(quick) + _stt_rows(repeat) + _tts_rows(3 if quick else 10)
    # Two shared cores make every number here depend on what else runs: say how busy it was.
    rows.append(Row("speech", "machine load average (1 min) before / after", load_before, "",
                    "", f"after: {os.getloadavg()[0]:.1f}; {os.cpu_count()} CPUs"))
    return rows


if __name__ == "__main__":
    if "--tune" in sys.argv[1:]:
        tune()
        sys.exit()
    for row in run(quick="--quick" in sys.argv[1:]):
        print(f"{row.metric:<58} {row.value:>9.3f} {row.unit:<4} {row.goal:<10} {row.note}")
