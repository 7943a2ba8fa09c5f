"""Speech-to-text accuracy on recorded speech sets (``../shared/data/speech``): CER, WER, language picks.

A set folder holds ``manifest.tsv`` (file, reference, ...) and ``clip_info.tsv`` (speaker, sex,
emotion, ...). Korean is scored by characters with spaces and punctuation removed (Korean spacing
varies freely), English by words. Totals are corpus rates: all edits over all reference units, so a
long clip weighs more than a short one.
"""

from __future__ import annotations

import csv
import math
import os
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from speech.types import NothingHeardError, Transcript

__all__ = ["Clip", "Result", "SHORT_CLIP_S", "Score", "cer", "edits", "group_scores", "load_set", "run", "score",
           "shared_sets", "split_speakers", "wer"]

SHORT_CLIP_S = 4.0
# Dialect speakers by the set's speaker id: the Gyeongsang speaker's transcript is in dialect spelling.
DIALECT_SPEAKERS = frozenset({"emotiontts:pfo"})
# Spellings Whisper writes for words the references spell out; counting them as errors would measure
# formatting, not hearing (the same rule as Whisper's own English text normaliser).
_EN_SPELLINGS = {"mr": "mister", "mrs": "missus", "dr": "doctor"}


@dataclass(frozen=True)
class Clip:
    path: Path
    reference: str
    language: str            # "ko" | "en"
    speaker: str             # the set's id, "unknown" when not known
    sex: str                 # "F" | "M" | "unknown"
    emotion: str             # "neutral" | "happy" | "sad" | "angry"
    duration_s: float

    @property
    def groups(self) -> tuple[str, ...]:
        """The speaker groups this clip counts in (every clip is in "all")."""
        dialect = "dialect" if self.speaker in DIALECT_SPEAKERS else "standard"
        length = "short (<4 s)" if self.duration_s < SHORT_CLIP_S else "long (>=4 s)"
        return ("all", f"sex {self.sex}", f"emotion {self.emotion}", dialect, length)


@dataclass(frozen=True)
class Result:
    clip: Clip
    text: str                # "" when nothing was heard
    language: str            # what the recogniser used ("" when nothing was heard)
    seconds: float           # wall time of the call

    @property
    def errors(self) -> tuple[int, int]:
        return edits(self.clip.reference, self.text, self.clip.language)


@dataclass(frozen=True)
class Score:
    group: str
    clips: int
    error_rate: float        # CER for Korean, WER for English
    language_right: float    # share of clips transcribed in the clip's own language
    rtf: float               # wall seconds per audio second


def shared_sets() -> Path:
    """``../shared/data/speech`` beside the repository (``HARU_SHARED_DATA`` moves ``../shared/data``)."""
    repo = Path(__file__).resolve().parents[2]
    return Path(os.environ.get("HARU_SHARED_DATA", repo.parent / "shared" / "data")) / "speech"


def _tsv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def load_set(folder: Path, language: str) -> tuple[Clip, ...]:
    """The clips listed in ``folder/manifest.tsv``, with speaker facts from ``clip_info.tsv``."""
    info = {row["file"]: row for row in _tsv(Path(folder) / "clip_info.tsv")}
    clips = []
    for row in _tsv(Path(folder) / "manifest.tsv"):
        extra = info.get(row["file"], {})
        speaker = extra.get("speaker") or row.get("speaker_if_known") or "unknown"
        clips.append(Clip(path=Path(folder) / row["file"], reference=row["reference"], language=language,
                          speaker=speaker, sex=extra.get("sex") or "unknown", emotion=extra.get("emotion") or "neutral",
                          duration_s=float(row["duration_s"])))
    return tuple(clips)


def split_speakers(clips: Sequence[Clip], seed: int = 20, dev_share: float = 1 / 3) -> tuple[tuple[Clip, ...],
                                                                                                tuple[Clip, ...]]:
    """(dev, held-out) clips, split by speaker so that no voice is in both."""
    speakers = sorted({c.speaker for c in clips})
    random.Random(seed).shuffle(speakers)
    dev_speakers = set(speakers[:math.ceil(len(speakers) * dev_share)])
    return (tuple(c for c in clips if c.speaker in dev_speakers),
            tuple(c for c in clips if c.speaker not in dev_speakers))


def _edit_distance(ref: Sequence[str], hyp: Sequence[str]) -> int:
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[:], i
        for j, h in enumerate(hyp, 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (r != h))
    return row[-1]


def _words(text: str) -> list[str]:
    # Hyphens and apostrophes join words differently in references and in Whisper ("ill-disposed").
    kept = "".join(ch if ch.isalnum() or ch.isspace() else " " if ch == "-" else "" for ch in text.lower())
    return [_EN_SPELLINGS.get(w, w) for w in kept.split()]


def edits(reference: str, hypothesis: str, language: str) -> tuple[int, int]:
    """(edit distance, reference length): characters without spaces for Korean, words otherwise."""
    ref, hyp = _words(reference), _words(hypothesis)
    if language == "ko":
        ref, hyp = list("".join(ref)), list("".join(hyp))
    return _edit_distance(ref, hyp), len(ref)


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate ignoring spaces and punctuation."""
    errors, length = edits(reference, hypothesis, "ko")
    return errors / max(1, length)


def wer(reference: str, hypothesis: str) -> float:
    errors, length = edits(reference, hypothesis, "en")
    return errors / max(1, length)


def run(clips: Iterable[Clip], recognise: Callable[[Clip], Transcript]) -> tuple[Result, ...]:
    """``recognise`` on every clip; a clip judged silent counts as nothing heard (every unit an error)."""
    out = []
    for clip in clips:
        t0 = time.perf_counter()
        try:
            transcript = recognise(clip)
            text, language = transcript.text, transcript.language
        except NothingHeardError:
            text, language = "", ""
        out.append(Result(clip, text, language, time.perf_counter() - t0))
    return tuple(out)


def score(results: Sequence[Result], group: str = "all") -> Score:
    errors = sum(r.errors[0] for r in results)
    length = sum(r.errors[1] for r in results)
    audio = sum(r.clip.duration_s for r in results)
    return Score(group=group, clips=len(results), error_rate=errors / max(1, length),
                 language_right=sum(r.language == r.clip.language for r in results) / max(1, len(results)),
                 rtf=sum(r.seconds for r in results) / max(audio, 1e-9))


def group_scores(results: Sequence[Result]) -> tuple[Score, ...]:
    """One score per speaker group (see :attr:`Clip.groups`), "all" first, then by name."""
    names = sorted({g for r in results for g in r.clip.groups}, key=lambda g: (g != "all", g))
    return tuple(score([r for r in results if name in r.clip.groups], name) for name in names)
