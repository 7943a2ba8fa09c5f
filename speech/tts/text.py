"""Reply text as it should be spoken, cut into sentences as it streams."""

from __future__ import annotations

import re
import unicodedata

from core.text import FIRST_CLAUSE_CHARS, first_clause_end

__all__ = ["SentenceSplitter", "clean_for_speech", "speakable"]

_MARKUP = re.compile(r"https?://\S+|[*_`#>|~]{2,}|^\s*[-*#>]+\s+|[*_`#]", re.MULTILINE)
# Emoji, pictographs, dingbats, joiners and variation selectors are read aloud as
# "smiling face with..." by some voices and as noise by others: drop them.
_DROP_CATEGORIES = {"So", "Sk", "Cs", "Co", "Cn", "Cf"}


def clean_for_speech(text: str) -> str:
    """Reply text as it should be spoken: no markdown, links or emoji."""
    text = _MARKUP.sub(" ", text)
    text = "".join(ch for ch in text
                   if unicodedata.category(ch) not in _DROP_CATEGORIES and ch not in "\ufe0e\ufe0f")
    return re.sub(r"\s+", " ", text).strip()


def speakable(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


class SentenceSplitter:
    """Cuts streamed text into sentences as soon as each one is complete.

    A sentence ends at ``. ! ? … ~`` (and their full-width forms) followed by
    whitespace, or at a line break; the text after the last end waits for more.
    "3.5" and "Mr. Kim" are not cut. A run-on longer than ``max_chars`` is cut at
    its last comma or space so the first audio never waits for a whole paragraph.
    The very first piece may end at a comma once it is ``first_clause_chars`` long:
    the voice starts on "That sounds like a really long day," while a streaming LLM
    is still writing the rest of the sentence.
    """

    _END = re.compile(r"(?:[.!?…~。！？]+[\"'”’)\]]*\s+|\n+)")
    _ABBREVIATIONS = ("mr.", "mrs.", "ms.", "dr.", "prof.", "st.", "e.g.", "i.e.", "vs.", "etc.")

    def __init__(self, max_chars: int = 220, first_clause_chars: int = FIRST_CLAUSE_CHARS) -> None:
        self.max_chars = max_chars
        self.first_clause_chars = first_clause_chars
        self._buffer = ""
        self._started = False

    def feed(self, delta: str) -> list[str]:
        self._buffer += delta
        out = self._sentences()
        if not out and not self._started and self.first_clause_chars:
            if end := first_clause_end(self._buffer, self.first_clause_chars):
                out.append(self._buffer[:end].strip())
                self._buffer = self._buffer[end:]
        self._started = self._started or bool(out)
        return out

    def _sentences(self) -> list[str]:
        out: list[str] = []
        start = 0
        for match in self._END.finditer(self._buffer):
            piece = self._buffer[start:match.end()]
            # Too short to stand alone ("1.", "Mr.", an emoji): keep it with what follows.
            if len(piece.strip()) < 3 or self._is_abbreviation(piece) or not speakable(piece):
                continue
            out.append(piece.strip())
            start = match.end()
        self._buffer = self._buffer[start:]
        while len(self._buffer) > self.max_chars:
            cut = max(self._buffer.rfind(",", 0, self.max_chars), self._buffer.rfind(" ", 0, self.max_chars))
            cut = cut + 1 if cut > 0 else self.max_chars
            out.append(self._buffer[:cut].strip())
            self._buffer = self._buffer[cut:]
        return out

    def flush(self) -> list[str]:
        rest, self._buffer = self._buffer.strip(), ""
        return [rest] if rest else []

    def _is_abbreviation(self, piece: str) -> bool:
        words = piece.strip().lower().split()
        return bool(words) and words[-1] in self._ABBREVIATIONS
