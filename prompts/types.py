from __future__ import annotations

from dataclasses import dataclass, field, replace

from words.types import Feeling

ATTITUDES = ("casual", "polite")                       # 반말 / 존댓말
COMPOSITIONS = ("advice", "comfort", "empathy")
INTENSITIES = {"creative": 1.0, "normal": 0.75, "honest": 0.5}   # -> temperature
LENGTHS = {"short": 150, "normal": 300, "long": 450}             # target characters (Korean)
MODES = ("conversation", "diary")
REPLY_LANGUAGES = ("auto", "ko", "en")                 # auto: the language the person used this turn


@dataclass(frozen=True)
class CompanionSettings:
    attitude: str = "polite"
    composition: frozenset[str] = frozenset()          # empty = all three
    intensity: str = "normal"
    length: str = "normal"
    language: str = "ko"                               # reply language, or "auto"
    persona_name: str = "Anna"
    default_language: str = "ko"                       # for "auto" when the words show no language

    def __post_init__(self) -> None:
        object.__setattr__(self, "composition", frozenset(self.composition))
        if self.attitude not in ATTITUDES:
            raise ValueError(f"attitude must be one of {ATTITUDES}, got {self.attitude!r}")
        if not self.composition <= set(COMPOSITIONS):
            raise ValueError(f"composition must be a subset of {COMPOSITIONS}, got {sorted(self.composition)}")
        if self.intensity not in INTENSITIES:
            raise ValueError(f"intensity must be one of {tuple(INTENSITIES)}, got {self.intensity!r}")
        if self.length not in LENGTHS:
            raise ValueError(f"length must be one of {tuple(LENGTHS)}, got {self.length!r}")
        if self.language not in REPLY_LANGUAGES:
            raise ValueError(f"language must be one of {REPLY_LANGUAGES}, got {self.language!r}")
        if self.default_language not in ("ko", "en"):
            raise ValueError(f"default_language must be ko or en, got {self.default_language!r}")

    def for_words(self, words: str = "", spoken: str | None = None) -> CompanionSettings:
        """These settings with a concrete reply language: with "auto", the language of ``words`` (or
        ``spoken``, what speech recognition heard); an explicit choice stays as it is."""
        if self.language != "auto":
            return self
        from prompts.language import words_language

        return replace(self, language=words_language(words, spoken, self.default_language))

    @property
    def temperature(self) -> float:
        return INTENSITIES[self.intensity]

    @property
    def target_chars(self) -> int:
        return LENGTHS[self.length]

    @property
    def effective_composition(self) -> tuple[str, ...]:
        return tuple(c for c in COMPOSITIONS if not self.composition or c in self.composition)


@dataclass(frozen=True)
class Profile:
    name: str
    intro: str = ""


@dataclass(frozen=True)
class TurnContext:
    """What the prompt needs to know about this turn, in plain values (no stage objects)."""
    user_text: str = ""                  # typed text or diary entry
    transcript: str = ""                 # what the user said, if they spoke
    mode: str = "conversation"           # "conversation" (spoken, short, no lists/emoji) | "diary" (friend's comment)
    face_label: str | None = None        # None: no face this turn
    face_confidence: float = 0.0
    text_feeling: Feeling | None = None  # the words' feeling (words.read_feeling); None: read here
    songs: tuple[str, ...] = ()          # "Title — Artist" strings
    mood_summary: str = ""               # short summary of recent diary moods


@dataclass(frozen=True)
class Message:
    role: str                            # "system" | "user" | "assistant"
    content: str


@dataclass(frozen=True)
class Prompt:
    messages: tuple[Message, ...]
    temperature: float
    max_tokens: int
    language: str = "ko"
    target_chars: int = 300
    mode: str = "conversation"
    notes: tuple[str, ...] = field(default=())   # e.g. "mismatch" — echoed into the diary
    # The same turn for small local models: English instructions with a reply-language rule and one
    # example exchange (they echo instructions written in Korean). Empty: use ``messages``.
    local_messages: tuple[Message, ...] = field(default=())
    # A safe reply in the right language and tone for when a model's output fails every check.
    fallback_reply: str = ""
    # What the person has said or been shown (name, self-introduction, words, earlier turns, songs): a small
    # model's reply may name only the people, places and events found here.
    known: str = ""
