""""Test connection" in Settings: does the chosen language model answer, and how fast?"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from core.errors import ErrorCategory, HaruError
from prompts.types import Message, Prompt

CHECK_TIMEOUT_S = 8.0     # a person waits for this button, so it answers within seconds either way
_PING = Prompt(messages=(Message("system", "Reply with one short word."), Message("user", "Say hello.")),
               temperature=0.0, max_tokens=8, language="en", target_chars=10, mode="conversation")


@dataclass(frozen=True)
class BackendCheck:
    backend: str
    model: str
    seconds: float
    reply: str = ""
    error: HaruError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class CheckTimeoutError(HaruError):
    category = ErrorCategory.TIMEOUT

    def __init__(self, seconds: float) -> None:
        super().__init__(f"No answer within {seconds:.0f} s: check the address, that the server is running, "
                         "and that the model is pulled.",
                         f"{seconds:.0f}초 안에 답이 없어요. 주소와 서버 실행 여부, 모델을 받았는지 확인해 주세요.")


def check_backend(backend, timeout_s: float = CHECK_TIMEOUT_S) -> BackendCheck:
    """Ask ``backend`` for a one-word reply in a worker thread; never waits longer than ``timeout_s``."""
    found: dict = {}

    def ask() -> None:
        try:
            found["reply"] = "".join(backend.stream(_PING)).strip()
        except HaruError as e:
            found["error"] = e
        except Exception as e:  # an SDK's own error: still an answer for the person, not a crash
            found["error"] = HaruError(f"The server answered with an error: {e}", f"서버가 오류로 답했어요: {e}",
                                       category=ErrorCategory.UNAVAILABLE)

    started = time.monotonic()
    worker = threading.Thread(target=ask, name="haru-check", daemon=True)
    worker.start()
    worker.join(timeout_s)
    seconds = time.monotonic() - started
    if worker.is_alive():
        return BackendCheck(backend.name, backend.model, seconds, error=CheckTimeoutError(timeout_s))
    return BackendCheck(backend.name, backend.model, seconds, found.get("reply", ""), found.get("error"))
