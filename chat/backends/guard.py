"""Checks on a small model's reply while it streams: language, echoed instructions, repeats, length.

The embedded 1.5B model sometimes answers in the wrong language (English or Chinese for Korean),
copies its instructions back, repeats the user's words as if they were its own, loops on one sentence,
or runs long. :class:`ReplyGuard` lets text through one finished sentence at a time, so a bad start can
be thrown away before the user sees it (the backend retries), a bad or repeated later sentence ends the
reply cleanly, a sentence repeating the user's own words is skipped, and the reply stops near its target
length instead of at a hard token cut in mid-word. A reply that ends by itself well short of the target
says so (:attr:`ReplyGuard.wants_more`), and the backend has the model go on with the same reply.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Sequence

from chat.backends.grounding import claims_as_own, invented
from core.text import first_clause_end
from prompts.types import Message

# Sentence ends: punctuation (Western, Korean tildes) followed by space, CJK full stops, or a line break.
_SENTENCE_END = re.compile(r"(?<=[.!?…~])[\"'”’)\]]*\s+|(?<=[。！？])[\"'”’)\]]*\s*|\n+")
_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")
_HAN_KANA = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200d]")
# The model is a coder: left to write on, it drifts into code fences, language names and code lines.
_CODE = re.compile(r"```|^\s*(?:python|bash|json|javascript|java|c\+\+|sql)\s*$|^\s*(?:def|class|import|from)\s+\w"
                   r"|^\s*[\w.]+\(.*\)\s*:?\s*$|\b(?:additional|following|above|this|the) code\b", re.IGNORECASE)
_PUNCTUATION_ONLY = re.compile(r"[\s.,!?…~·。、！？\"'”’)\]-]+")
_MARKUP = re.compile(r"^\s*(?:[-*•#>]+|\d+[.)])\s+|\*\*|__|`")
# A sentence that ends in a colon or an opening bracket was cut, or announces a list; zero-width spaces come
# with the model's garbled tails ("어떤 일에 대해 더 물어보고 싶으신가요?:", "\u200b.").
_BROKEN = re.compile(r"[.!?][:;]|[:;(\[{]\s*$|[\u200b\u200c\ufeff]")

# Pieces of our own instructions: seeing one in a reply means the model is echoing the prompt.
ECHO_MARKERS = ("user_words", "user_intro", "reply only", "you are anna", "safety rule", "length:",
                "include:", "tone:", "style:", "반말", "해요체", "지침", "안전 규칙", "system:", "assistant:",
                "<|im_", "respond with care", "crisis helpline now", "지시문", "되짚어")

# A sentence that is almost all the user's own words is the model speaking *as* the user. Naming what
# happened in their words is empathy ("오랜만에 친구들 만나서 즐거웠겠다" shares ~80 %), so only
# near-verbatim repeats count.
MIN_COPY_CHARS = 10
MIN_COPY_SHARE = 0.9
MIN_KO_HANGUL_SHARE = 0.6    # of letters; leaves room for a song title or an English word
MAX_EN_FOREIGN_SHARE = 0.1
STOP_AT = 0.9                # stop once this share of the target is out...
MAX_OVER = 1.5               # ...and never let a sentence take the reply past 150 % of it
CONTINUE_BELOW = 0.7         # a reply that ends by itself shorter than this share is continued
MIN_REPEAT_SIMILARITY = 0.8  # a sentence this close to one already shown is the model looping
MAX_SENTENCE_CHARS = 300     # unfinished text this long is a run-on (or a script without spaces)
MAX_BLANK_RUNS = 2           # line breaks and nothing else, again and again
# Ends after which a short reply may still be continued (a loop stops one generation, not the reply).
RESUMABLE = frozenset({"repeat"})


class Rejected(Exception):
    """The reply went wrong before any of it was shown; the caller may retry."""


def _letters_only(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def copies(sentence: str, user_words: str) -> bool:
    a, b = _letters_only(sentence), _letters_only(user_words)
    if not a or not b:
        return False
    shared = sum(block.size for block in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks())
    return shared >= MIN_COPY_CHARS and shared >= MIN_COPY_SHARE * len(a)


def last_user_words(messages: Sequence[Message]) -> str:
    """The text inside the last ``<user_words>`` block the prompt holds."""
    for message in reversed(messages):
        if message.role == "user" and "<user_words>" in message.content:
            return message.content.rsplit("<user_words>", 1)[1].split("</user_words>", 1)[0]
    return ""


def sentence_problem(sentence: str, language: str, user_words: str = "") -> str | None:
    """Why this sentence must not be shown, or None when it is fine."""
    low = sentence.lower()
    if any(marker in low for marker in ECHO_MARKERS):
        return "echo"
    if copies(sentence, user_words):
        return "copy"
    if _CODE.search(sentence):
        return "code"
    if _BROKEN.search(sentence):
        return "broken"
    hangul, han, latin = (len(rx.findall(sentence)) for rx in (_HANGUL, _HAN_KANA, _LATIN))
    letters = hangul + han + latin
    if not letters:
        return None
    if language == "ko" and (han or hangul / letters < MIN_KO_HANGUL_SHARE):
        return "language"
    if language == "en" and (hangul + han) / letters > MAX_EN_FOREIGN_SHARE:
        return "language"
    return None


def clean_sentence(sentence: str, spoken: bool) -> str:
    """Markdown bullets/emphasis removed; emoji too when the reply will be read aloud; the space after
    it one space, or one line break where the model started a new paragraph."""
    text = _MARKUP.sub("", sentence)
    if spoken:
        text = re.sub(r"[ \t]*" + _EMOJI.pattern + r"+", "", text)
    text = re.sub(r"[ \t]{2,}", " ", text)
    # A model that wanted to end but had its end-of-turn token banned (a continuation) often adds a
    # stray full stop: "즐겨..", "축하해!." ("..." is left alone).
    body = re.sub(r"(?<!\.)([.!?~])\.$", r"\1", text.rstrip())
    gap = text[len(text.rstrip()):]
    return body + ("\n" if "\n" in gap else " " if gap else "")


def _repeats(sentence: str, earlier: Sequence[str]) -> bool:
    letters = _letters_only(sentence)
    return bool(letters) and any(SequenceMatcher(None, letters, seen, autojunk=False).ratio()
                                 >= MIN_REPEAT_SIMILARITY for seen in earlier)


def _sentence_letters(texts: Sequence[str]) -> list[str]:
    return [letters for text in texts for piece in _SENTENCE_END.split(text) if (letters := _letters_only(piece))]


class ReplyGuard:
    """Feed raw deltas; get back text that is safe to show, one finished sentence at a time."""

    def __init__(self, language: str, target_chars: int, spoken: bool, user_words: str = "",
                 earlier: Sequence[str] = (), known: str = "", instructions: str = "") -> None:
        """``earlier``: texts already in the conversation (the prompt's examples, past turns); a sentence
        taken from them is skipped like a retelling of the user's words. ``known``: what the person said
        (``Prompt.known``); a sentence naming someone or something not in it is skipped too. A sentence
        close to one of ``instructions`` (the system prompt) is an echo."""
        self.language = language
        self.known = known or user_words
        self._earlier = _sentence_letters(earlier)
        self._instructions = _sentence_letters([instructions])
        self.user_words = user_words
        self.target = target_chars
        self.spoken = spoken
        self.shown = 0
        self.done = False
        self.ended = ""                      # why the guard ended the reply, for the log
        self._pending = ""
        self._sentences: list[str] = []      # letters of each sentence shown, to catch loops
        self._blanks = 0
        self._open = False                   # the text shown so far ends without a space or line break

    def feed(self, delta: str) -> str:
        if self.done:
            return ""
        self._pending += delta
        out = []
        while not self.done and (end := self._sentence_end()):
            sentence, self._pending = self._pending[:end], self._pending[end:]
            out.append(self._accept(sentence))
        if not self.done and len(self._pending) > MAX_SENTENCE_CHARS:
            self._end("run-on")
        elif not self.done and "\ufffd" in self._pending:     # broken bytes: the model is out of words
            self._end("garbage")
        return "".join(out)

    def _sentence_end(self) -> int:
        """Where the first finished sentence in the pending text ends, or 0. Before anything is shown, a
        long enough first clause counts (the voice splitter speaks it alone, so the voice starts sooner)."""
        if m := _SENTENCE_END.search(self._pending):
            return m.end()
        return 0 if self.shown else first_clause_end(self._pending)

    def finish(self, truncated: bool) -> str:
        """The last sentence when generation ended (a tail cut off by the token limit is dropped).

        Raises :class:`Rejected` when the whole reply left nothing to show. Afterwards
        :attr:`wants_more` says whether the reply is worth continuing; more deltas may then be fed.
        """
        keep = not self.done and self._pending.strip() and not (truncated and self.shown)
        text = self._accept(self._pending) if keep else ""
        self._pending = ""
        if not self.shown:
            raise Rejected("empty")
        return text

    @property
    def wants_more(self) -> bool:
        """The reply is well short of its target and may go on: nothing went wrong, or the model only
        started looping (the repeated sentence was not shown; :meth:`resume` takes deltas again)."""
        return (not self.done or self.ended in RESUMABLE) and self.shown < self.target * CONTINUE_BELOW

    def resume(self) -> None:
        """Take the deltas of a continuation after a resumable end; the text shown so far stays."""
        self.done, self.ended, self._pending, self._blanks = False, "", "", 0

    def _accept(self, sentence: str) -> str:
        if not sentence.strip() or _PUNCTUATION_ONLY.fullmatch(sentence):
            # The sentence before already ended with its own space or line break. With its end-of-turn
            # token banned, the model sometimes writes nothing but line breaks until the token limit, or
            # a lone full stop where it wanted to end (a continuation of "...즐기세요." starting with ".").
            self._blanks += 1
            if self._blanks > MAX_BLANK_RUNS:
                self._end("blank")
            return ""
        self._blanks = 0
        problem = sentence_problem(sentence, self.language, self.user_words)
        if problem == "copy" or _repeats(sentence, self._earlier) or self._ungrounded(sentence):
            # The model restating the user's story, an example reply, or a story of its own: skip it, what
            # follows is often fine.
            return ""
        if _repeats(sentence, self._instructions):
            problem = "echo"
        elif _repeats(sentence, self._sentences):
            problem = "repeat"
        too_long = self.shown and self.shown + len(sentence.strip()) > self.target * MAX_OVER
        if problem or too_long:
            self._end(problem or "length")
            return ""
        text = clean_sentence(sentence, self.spoken)
        if not self.shown:
            text = text.lstrip()
        elif self._open and not text[:1].isspace():
            # The shown text ended without a space (its generation ended there) and the continuation's
            # space, if the model wrote one, may have gone with a skipped sentence: "쉬세요.도와드릴".
            text = " " + text
        self._open = not text[-1:].isspace()
        self.shown += len(text.strip())
        self._sentences.append(_letters_only(text))
        if self.shown >= self.target * STOP_AT:
            self.done, self.ended = True, "target"
        return text

    def _ungrounded(self, sentence: str) -> bool:
        # Without the person's words (a bare guard in a test or a tool) there is nothing to compare with.
        return bool(self.known) and (claims_as_own(sentence, self.user_words, self.language)
                                     or bool(invented(sentence, self.known, self.language)))

    def _end(self, why: str) -> None:
        """A bad start is rejected (the caller may retry); after a good start the reply just ends."""
        if not self.shown:
            raise Rejected(why)
        self.done, self.ended = True, why
