"""The one pure renderer: settings + profile + turn + history -> :class:`Prompt`.

Everything Anna is told lives in ``templates/*.toml``; this module only chooses fragments and fills
``${...}`` fields with :class:`string.Template` (one pass, so a ``$`` in user text is never expanded).
User-written text (the words, the self-introduction, earlier turns) only ever appears inside
``<user_words>`` / ``<user_intro>`` blocks of user messages, with any look-alike tags removed, and
every system prompt says that text there is data, never instructions.
"""

from __future__ import annotations

import math
import re
import tomllib
from functools import lru_cache
from pathlib import Path
from string import Template
from typing import Sequence

from prompts.types import MODES, CompanionSettings, Message, Profile, Prompt, TurnContext
from words import MISMATCH_MIN_FACE_CONFIDENCE, Feeling, is_mismatch, read_feeling

TEMPLATES = Path(__file__).resolve().parent / "templates"

# Replies in English need about twice the characters of Korean ones for the same content
# (2-3 Korean sentences of ~150 characters read like ~50 English words).
EN_CHAR_FACTOR = 2
CONVERSATION_FACTOR = 2 / 3          # a spoken turn is shorter than a diary comment
CHARS_PER_SENTENCE = {"ko": 45, "en": 90}
CHARS_PER_WORD_EN = 6
# Hard token cap = about twice the target: Korean runs ~1 token per character on the models we
# use (fewer on Qwen, more on Claude), English ~4 characters per token.
TOKENS_PER_CHAR = {"ko": 2.0, "en": 0.5}
MIN_MAX_TOKENS = 64

HISTORY_MAX_MESSAGES = 12            # the last six exchanges of this session
HISTORY_TOKEN_BUDGET = 1200
MAX_NAME_CHARS = 30
MAX_SONGS = 3
MAX_SUMMARY_CHARS = 400
# The mood report: 4-6 sentences, a little longer than a normal diary comment.
REPORT_TARGET_CHARS = 450
REPORT_MAX_TOKENS = 600
REPORT_TEMPERATURE = 0.5

_TAG_RE = re.compile(r"<\s*/?\s*user_(words|intro)\s*>", re.IGNORECASE)


@lru_cache(maxsize=None)
def _load(name: str) -> dict:
    with (TEMPLATES / f"{name}.toml").open("rb") as f:
        return tomllib.load(f)


def templates(flavour: str, language: str) -> dict:
    """The fragment table for ``flavour`` ("full" or "local") and the reply language."""
    if flavour == "local":
        base = _load("local")
        return {**base, **base[language]}
    return _load(language)


def approx_tokens(text: str) -> int:
    """A tokenizer-free estimate that holds for Korean (~0.75/char) and English (~0.25/char)."""
    return len(text.encode("utf-8")) // 4 + 1


def reply_target_chars(settings: CompanionSettings, mode: str) -> int:
    chars = settings.target_chars * (EN_CHAR_FACTOR if settings.language == "en" else 1)
    return round(chars * CONVERSATION_FACTOR) if mode == "conversation" else chars


def clean_user_text(text: str) -> str:
    """User text with the data-block tags removed, so it cannot close its block and add instructions."""
    return _TAG_RE.sub("", text or "").strip()


def _clean_name(name: str, fallback: str) -> str:
    one_line = " ".join(clean_user_text(name).replace("<", "").replace(">", "").split())
    return one_line[:MAX_NAME_CHARS] or fallback


def _fill(template: str, **values) -> str:
    return Template(template).substitute(values)


def _block(tag: str, text: str) -> str:
    return f"<{tag}>\n{clean_user_text(text)}\n</{tag}>"


def _context_lines(t: dict, name: str, profile: Profile, turn: TurnContext,
                   feeling: Feeling | None) -> tuple[list[str], list[str]]:
    lines, notes = [], []
    # The same all day first (a local model reuses it from its cache), this turn's face and songs after.
    if profile.intro.strip():
        lines.append(_fill(t["intro"], name=name))
    if turn.mood_summary.strip():
        lines.append(_fill(t["mood"], summary=" ".join(turn.mood_summary.split())[:MAX_SUMMARY_CHARS]))
    if turn.face_label:
        confident = turn.face_confidence >= MISMATCH_MIN_FACE_CONFIDENCE
        lines.append(_fill(t["face_confident" if confident else "face_uncertain"], name=name,
                           emotion=t["emotions"][turn.face_label], percent=round(turn.face_confidence * 100)))
        if not confident:
            notes.append("face_uncertain")
    if is_mismatch(turn.face_label, turn.face_confidence, feeling):
        lines.append(_fill(t["mismatch"], name=name, face=t["emotions"][turn.face_label],
                           text=t["emotions"][feeling.label]))
        notes.append("mismatch")
    if turn.songs:
        lines.append(_fill(t["songs"], songs=t["joiner"].join(turn.songs[:t.get("max_songs", MAX_SONGS)])))
    return lines, notes


def _system(t: dict, settings: CompanionSettings, name: str, chars: int, mode: str, context: list[str]) -> str:
    items = t["joiner"].join(t["items"][c] for c in settings.effective_composition)
    text = _fill(
        t["system"], persona=_clean_name(settings.persona_name, "Anna"), name=name,
        language_rule=_fill(t.get("language_rule", ""), name=name),
        mode=_fill(t["mode"][mode], name=name),
        attitude=t["attitude"][settings.attitude],
        composition=_fill(t["composition"], items=items),
        intensity=t["intensity"][settings.intensity],
        length=_fill(t["length"], chars=chars, words=round(chars / CHARS_PER_WORD_EN),
                     sentences=max(1, round(chars / CHARS_PER_SENTENCE[settings.language]))),
        context="\n".join(context),
        safety=_fill(t["safety"], name=name),
    )
    return "\n".join(line for line in text.splitlines() if line.strip())


def _user_message(t: dict, name: str, profile: Profile, turn: TurnContext, context: list[str]) -> Message:
    words = "\n".join(part.strip() for part in (turn.transcript, turn.user_text) if part.strip())
    # What stays the same from turn to turn comes first: a local model then reuses it from its cache.
    parts = [_fill(t["user_intro"], name=name), _block("user_intro", profile.intro)] if profile.intro.strip() else []
    if "context_heading" in t and context:
        parts += [_fill(t["context_heading"], name=name), *context]
    parts += [_fill(t["user_" + turn.mode], name=name), _block("user_words", words)]
    return Message("user", "\n".join(parts))


def bound_history(history: Sequence[Message], budget: int = HISTORY_TOKEN_BUDGET,
                  max_messages: int = HISTORY_MAX_MESSAGES) -> tuple[Message, ...]:
    """The most recent user/assistant turns that fit the token budget, user text kept as data.

    System messages from history are dropped (nothing but this renderer writes instructions), and the
    kept part starts with a user turn, as the Anthropic API requires.
    """
    kept: list[Message] = []
    used = 0
    for m in reversed([m for m in history if m.role in ("user", "assistant")][-max_messages:]):
        content = _block("user_words", m.content) if m.role == "user" else m.content.strip()
        used += approx_tokens(content)
        if used > budget:
            break
        kept.append(Message(m.role, content))
    kept.reverse()
    while kept and kept[0].role != "user":
        kept.pop(0)
    return tuple(kept)


def _messages(flavour: str, settings: CompanionSettings, profile: Profile, turn: TurnContext,
              history: tuple[Message, ...], chars: int,
              feeling: Feeling | None) -> tuple[tuple[Message, ...], list[str]]:
    t = templates(flavour, settings.language)
    if flavour == "local":
        # A 1.5B model weaves the self-introduction into every reply (the cat, the night shift), whatever
        # the turn is about: it gets the person's name and this turn only (docs/prompts.md).
        profile = Profile(profile.name)
    name = _clean_name(profile.name, t["anonymous"])
    context, notes = _context_lines(t, name, profile, turn, feeling)
    messages = [Message("system", _system(t, settings, name, chars, turn.mode, context))]
    for example in t.get("examples", {}).get(settings.attitude, ()):
        messages += [Message("user", "\n".join([_fill(t["user_" + turn.mode], name=name),
                                               _block("user_words", example["user"])])),
                     Message("assistant", example[settings.length])]
    messages += [*history, _user_message(t, name, profile, turn, context)]
    return tuple(messages), notes


def build(settings: CompanionSettings, profile: Profile, turn: TurnContext,
          history: Sequence[Message] = ()) -> Prompt:
    """The exact messages, sampling settings and length budget for one reply."""
    settings = settings.for_words(turn.transcript or turn.user_text)
    if turn.mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {turn.mode!r}")
    feeling = turn.text_feeling
    if feeling is None:
        feeling = read_feeling(f"{turn.transcript}\n{turn.user_text}")
    chars = reply_target_chars(settings, turn.mode)
    kept = bound_history(history)
    messages, notes = _messages("full", settings, profile, turn, kept, chars, feeling)
    local_messages, _ = _messages("local", settings, profile, turn, kept, chars, feeling)
    return Prompt(
        messages=messages, temperature=settings.temperature,
        max_tokens=max(MIN_MAX_TOKENS, math.ceil(chars * TOKENS_PER_CHAR[settings.language])),
        language=settings.language, target_chars=chars, mode=turn.mode, notes=tuple(notes),
        local_messages=local_messages,
        fallback_reply=templates("full", settings.language)["fallback"][settings.attitude],
        known="\n".join([profile.name, profile.intro, turn.transcript, turn.user_text, turn.mood_summary,
                         *turn.songs, *(m.content for m in kept)]),
    )


def build_report(settings: CompanionSettings, name: str, period: str, facts: str) -> Prompt:
    """The messages that ask Anna for a short note on a mood report's ``facts`` (diary.ReportFacts.text).

    ``settings.language`` must be concrete ("ko" | "en"): the facts were written in it.
    """
    t = templates("full", settings.language)
    report = t["report"]
    if period not in report["period"]:
        raise ValueError(f"period must be one of {tuple(report['period'])}, got {period!r}")
    name = _clean_name(name, t["anonymous"])
    system = _fill(report["system"], persona=_clean_name(settings.persona_name, "Anna"), name=name,
                   safety=_fill(t["safety"], name=name))
    user = _fill(report["user"], name=name, period=report["period"][period], next=report["next"][period],
                 facts=facts)
    return Prompt(messages=(Message("system", system), Message("user", user)), temperature=REPORT_TEMPERATURE,
                  max_tokens=REPORT_MAX_TOKENS, language=settings.language, target_chars=REPORT_TARGET_CHARS,
                  mode="diary")
