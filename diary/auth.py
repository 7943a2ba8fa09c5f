"""Account rules: what a username, password and profile may be, and the login attempt limit."""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from typing import Callable

from core.errors import ErrorCategory, HaruError
from diary.types import AuthError

USERNAME = re.compile(r"^[\w.-]{3,32}$")
PASSWORD_MIN, PASSWORD_MAX = 8, 256
NAME_MAX, INTRO_MAX = 100, 1000


def clean_username(username: str) -> str:
    username = (username or "").strip().lower()
    if not USERNAME.match(username):
        raise HaruError("A username is 3-32 letters, digits, '.', '_' or '-'.",
                        "아이디는 3~32자의 글자, 숫자, '.', '_', '-'로 만들어 주세요.")
    return username


def check_password(password: str) -> None:
    if not PASSWORD_MIN <= len(password or "") <= PASSWORD_MAX:
        raise HaruError(f"A password needs {PASSWORD_MIN} to {PASSWORD_MAX} characters.",
                        f"비밀번호는 {PASSWORD_MIN}~{PASSWORD_MAX}자로 정해 주세요.")


def clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise HaruError(f"Please tell us your name (at most {NAME_MAX} characters).",
                        f"이름을 알려 주세요 (최대 {NAME_MAX}자).")
    return name


def clean_intro(intro: str) -> str:
    intro = (intro or "").strip()
    if len(intro) > INTRO_MAX:
        raise HaruError(f"The self-introduction can be at most {INTRO_MAX} characters.",
                        f"자기소개는 최대 {INTRO_MAX}자까지 쓸 수 있어요.")
    return intro


def bad_login() -> AuthError:
    # the same words for an unknown username and a wrong password, so neither can be probed
    return AuthError("Wrong username or password.", "아이디 또는 비밀번호가 맞지 않아요.")


def too_many_failures(wait_s: float) -> AuthError:
    wait = max(1, round(wait_s / 60))
    return AuthError(f"Too many failed logins. Please try again in about {wait} min.",
                     f"로그인 실패가 너무 많아요. 약 {wait}분 후에 다시 시도해 주세요.",
                     category=ErrorCategory.RATE_LIMIT)


class LoginLimiter:
    """At most ``max_failures`` failed logins per username in a sliding ``window_s``, per process.

    The diary store counts in its database instead (:class:`diary.accounts.SharedLoginLimiter`), so that
    replicas share the count; this one stays for a store that wants no writes on a failed login.
    """

    def __init__(self, max_failures: int = 5, window_s: float = 300.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, username: str) -> None:
        with self._lock:
            recent = self._recent(username)
            if len(recent) >= self.max_failures:
                raise too_many_failures(recent[0] + self.window_s - self._clock())

    def failed(self, username: str) -> None:
        with self._lock:
            self._recent(username).append(self._clock())

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(username, None)

    def _recent(self, username: str) -> deque[float]:
        recent = self._failures.setdefault(username, deque())
        while recent and recent[0] <= self._clock() - self.window_s:
            recent.popleft()
        return recent
