"""What the embedded offline model says to ordinary diary entries, scored by rules anyone can re-run.

40 Korean and 40 English entries (``bench/data/entries.toml``: everyday, sad, happy, angry, mixed) go
through the app's own path at default settings: ``prompts.build`` with the reply language following the
words, a typed Talk turn, and ``LocalBackend.stream`` with its guard. Each reply is checked for:

* **purity**: only the reply language's script (no Chinese characters, Cyrillic, stray Latin in Korean);
* **claims**: Anna telling the user's event as her own ("I passed my exam too", "오늘 일은 복잡하고 싸웠어요");
* **invented**: a person, place or event the user did not mention (from a fixed word list per language);
* **broken**: code-like text, or a Korean sentence with no sentence ending;
* **length**: within ±50 % of the target.

The first three entries of each kind are the development part (looked at while changing the prompt and the
guard); the rows are reported on the other 25 per language, which were only scored.
``python -m bench.bench_replies [--quick] [--dump FILE]`` (``--dump`` writes every reply as JSON).
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from bench.common import Row
from chat.backends.grounding import claims_as_own, invented
from chat.backends.local import LocalBackend
from core.config import AppConfig
from prompts import CompanionSettings, Profile, TurnContext, build

ENTRIES = Path(__file__).parent / "data" / "entries.toml"
DEV_PER_KIND = 3
PROFILES = {"ko": Profile("민지", "대학생이고 고양이를 키워요."), "en": Profile("Sam", "Night-shift nurse.")}

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_FOREIGN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\u0400-\u04ff\u0600-\u06ff\u0e00-\u0e7f]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_CODE = re.compile(r"```|[{}<>\[\]_=|\\]|\b(?:def|return|print|import)\b")
_SENTENCES = re.compile(r"(?<=[.!?…~])\s+|\n+")
# A Korean sentence ends in a verb ending (or a noun and a mark); anything else was cut or garbled.
_KO_END = re.compile(r"(?:[다요어아지야네까죠게래자라며데걸지군나니돼오]|[가-힣]\s*[!?~]|ㅎ|ㅠ|ㅋ)[.!?~…\s\"'”)]*$")

@dataclass(frozen=True)
class Scored:
    language: str
    kind: str
    dev: bool
    text: str
    reply: str
    seconds: float
    target: int
    fallback: bool
    problems: tuple[str, ...]


def entries() -> list[tuple[str, str, str, bool]]:
    data = tomllib.loads(ENTRIES.read_text(encoding="utf-8"))
    rows = []
    for language in ("ko", "en"):
        seen: dict[str, int] = {}
        for item in data[language]:
            seen[item["kind"]] = seen.get(item["kind"], 0) + 1
            rows.append((language, item["kind"], item["text"], seen[item["kind"]] <= DEV_PER_KIND))
    return rows


def problems(reply: str, user_text: str, profile: Profile, language: str, target: int) -> tuple[str, ...]:
    found = []
    letters = len(_HANGUL.findall(reply)) + len(re.findall(r"[A-Za-z]", reply))
    latin_words = _LATIN_WORD.findall(reply)
    if _FOREIGN.search(reply) or (language == "ko" and len(latin_words) > 1) or (
            language == "en" and letters and _HANGUL.search(reply)):
        found.append("impure")
    sentences = [s for s in _SENTENCES.split(reply.strip()) if s.strip()]
    if any(claims_as_own(s, user_text, language) for s in sentences):
        found.append("claims")
    if invented(reply, f"{user_text} {profile.name} {profile.intro}", language):
        found.append("invented")
    if _CODE.search(reply) or (language == "ko" and any(not _KO_END.search(s) for s in sentences)):
        found.append("broken")
    if not 0.5 <= len(reply) / target <= 1.5:
        found.append("length")
    return tuple(found)


def run_replies(backend: LocalBackend, quick: bool = False) -> list[Scored]:
    scored = []
    for language, kind, text, dev in entries():
        if quick and not dev:
            continue
        settings = CompanionSettings(language="auto", default_language="ko")
        prompt = build(settings, PROFILES[language], TurnContext(user_text=text, mode="conversation"))
        t0 = time.perf_counter()
        reply = "".join(backend.stream(prompt)).strip()
        seconds = time.perf_counter() - t0
        scored.append(Scored(language, kind, dev, text, reply, seconds, prompt.target_chars,
                             reply == prompt.fallback_reply,
                             problems(reply, text, PROFILES[language], language, prompt.target_chars)))
    return scored


def rows_for(scored: list[Scored]) -> list[Row]:
    rows = []
    for language in ("ko", "en"):
        for part, dev in (("held-out", False), ("dev", True)):
            group = [s for s in scored if s.language == language and s.dev == dev]
            if not group:
                continue
            n = len(group)
            share = {p: sum(p in s.problems for s in group) for p in ("impure", "claims", "invented", "broken",
                                                                      "length")}
            clean = sum(not s.problems for s in group)
            detail = ", ".join(f"{p} {k}/{n}" for p, k in share.items())
            rows.append(Row("replies", f"offline replies without a problem, {language} {part}", clean / n, "",
                            ">= 0.9", f"{detail}, template {sum(s.fallback for s in group)}/{n}, "
                            f"p50 {statistics.median(s.seconds for s in group):.1f} s"))
    return rows


def run(quick: bool = False, dump: str | None = None) -> list[Row]:
    scored = run_replies(LocalBackend(AppConfig()), quick)
    if dump:
        Path(dump).write_text(json.dumps([s.__dict__ for s in scored], ensure_ascii=False, indent=1),
                              encoding="utf-8")
    return rows_for(scored)


if __name__ == "__main__":
    dump = sys.argv[sys.argv.index("--dump") + 1] if "--dump" in sys.argv else None
    for row in run(quick="--quick" in sys.argv, dump=dump):
        print(f"{row.metric:<55} {row.value:>6.3f} {row.goal:<8} {row.note}")
