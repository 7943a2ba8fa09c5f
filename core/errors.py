"""One exception family for everything a user can cause or fix.

Stages raise :class:`HaruError` (or a subclass) with an English and a Korean
message; only ``app.py`` decides which one to show. Anything that is *not* a
``HaruError`` is a bug: the UI logs it with its traceback and shows
:data:`APOLOGY` instead.
"""

from __future__ import annotations

from enum import Enum


class ErrorCategory(str, Enum):
    BAD_INPUT = "bad_input"
    AUTH = "auth"
    RATE_LIMIT = "rate_limit"
    CONNECTIVITY = "connectivity"
    TIMEOUT = "timeout"
    UNAVAILABLE = "unavailable"
    CONFIG = "config"
    NOT_FOUND = "not_found"


class HaruError(Exception):
    """A failure with a message a person can act on, in English and Korean."""

    category: ErrorCategory = ErrorCategory.BAD_INPUT

    def __init__(self, en: str, ko: str, *, category: ErrorCategory | None = None) -> None:
        super().__init__(en)
        self.en = en
        self.ko = ko
        if category is not None:
            self.category = category

    def message(self, language: str = "en") -> str:
        return self.ko if language == "ko" else self.en

    def __reduce__(self):  # keep pickling (multiprocessing, gradio workers) lossless
        return (_rebuild, (type(self), self.en, self.ko, self.category))


def _rebuild(cls, en, ko, category):
    err = cls.__new__(cls)
    HaruError.__init__(err, en, ko, category=category)
    return err


APOLOGY = HaruError(
    "Sorry, something went wrong on our side. Please try again.",
    "죄송해요, 처리 중에 문제가 생겼어요. 잠시 후 다시 시도해 주세요.",
    category=ErrorCategory.UNAVAILABLE,
)
