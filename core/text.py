"""Text helpers shared by stages that cut a reply as it streams (speech synthesis, the crisis guard)."""

from __future__ import annotations

import re

__all__ = ["FIRST_CLAUSE_CHARS", "first_clause_end"]

FIRST_CLAUSE_CHARS = 20
_CLAUSE_END = re.compile(r"[,;:，、]\s+")


def first_clause_end(text: str, min_chars: int = FIRST_CLAUSE_CHARS) -> int:
    """Where the first clause of ``text`` that is at least ``min_chars`` long ends (after the comma and
    its space), or 0. Speaking it alone lets the voice start before the first sentence is finished."""
    return next((m.end() for m in _CLAUSE_END.finditer(text) if len(text[:m.start()].strip()) >= min_chars), 0)
