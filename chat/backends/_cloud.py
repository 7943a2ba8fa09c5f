"""What the cloud backends share: error mapping, retries with backoff, timeouts, the key check.

Both official SDKs are generated from the same template (``APIError`` > ``APIConnectionError`` >
``APITimeoutError``, ``APIStatusError`` with ``status_code``) over httpx2, so one mapping serves both. Retries are
ours, not the SDKs' (clients are built with ``max_retries=0``): that keeps the count small and known,
and lets an error that arrives inside an open stream be retried too, as long as no text was shown.
"""

from __future__ import annotations

import logging
import random
import time
from typing import Callable, Iterator

import httpx2

from core.errors import ErrorCategory, HaruError

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
BACKOFF_S = 0.5                  # then 1 s, with up to 25 % jitter
MAX_WAIT_S = 8.0                 # longest Retry-After we honour before giving up on this turn
CONNECT_TIMEOUT_S = 5.0
RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})


class BackendError(HaruError):
    category = ErrorCategory.UNAVAILABLE


def timeout(seconds: float) -> httpx2.Timeout:
    """``seconds`` for each read (a stalled stream fails fast), a short connect."""
    return httpx2.Timeout(seconds, connect=min(CONNECT_TIMEOUT_S, seconds))


def missing_key(provider: str, setting: str) -> BackendError:
    return BackendError(
        f"{provider} needs an API key: set {setting} (environment or .env) or enter a key in Settings.",
        f"{provider}를 쓰려면 API 키가 필요해요. {setting} 환경 변수(.env)를 설정하거나 설정 화면에서 키를 입력해 주세요.",
        category=ErrorCategory.AUTH)


def map_error(exc: Exception, sdk, *, provider: str, setting: str, model: str) -> BackendError:
    """A user-facing error for an SDK or transport failure; the original stays as ``__cause__``."""
    status = getattr(exc, "status_code", None)
    if isinstance(exc, sdk.AuthenticationError) or status in (401, 403):
        return BackendError(f"{provider} rejected the API key: check {setting}.",
                            f"{provider}가 API 키를 거부했어요. {setting} 값을 확인해 주세요.",
                            category=ErrorCategory.AUTH)
    if status == 429:
        return BackendError(f"{provider} is rate-limiting requests; wait a moment or check your plan's quota.",
                            f"{provider} 요청 한도를 넘었어요. 잠시 후 다시 시도하거나 요금제 한도를 확인해 주세요.",
                            category=ErrorCategory.RATE_LIMIT)
    if status == 404:
        return BackendError(f"{provider} does not know the model {model!r}: check HARU_LLM_MODEL.",
                            f"{provider}에 {model!r} 모델이 없어요. HARU_LLM_MODEL 값을 확인해 주세요.",
                            category=ErrorCategory.CONFIG)
    if isinstance(exc, (sdk.APITimeoutError, httpx2.TimeoutException)):
        return BackendError(f"{provider} did not answer in time.", f"{provider}가 제때 응답하지 않았어요.",
                            category=ErrorCategory.TIMEOUT)
    if isinstance(exc, (sdk.APIConnectionError, httpx2.TransportError)):
        return BackendError(f"Could not reach {provider}: check the network or the server address.",
                            f"{provider}에 연결하지 못했어요. 네트워크나 서버 주소를 확인해 주세요.",
                            category=ErrorCategory.CONNECTIVITY)
    detail = f" (HTTP {status})" if status and status >= 400 else ""
    return BackendError(f"{provider} failed to answer{detail}; please try again.",
                        f"{provider}가 답하지 못했어요{detail}. 다시 시도해 주세요.",
                        category=ErrorCategory.UNAVAILABLE)


def ended_early(provider: str) -> BackendError:
    """The stream closed without its end marker: the reply would be silently cut short."""
    return BackendError(f"The connection to {provider} broke off mid-reply.",
                        f"{provider}와의 연결이 답하는 도중에 끊겼어요.", category=ErrorCategory.CONNECTIVITY)


def _retryable(exc: Exception, sdk) -> bool:
    if isinstance(exc, (sdk.APITimeoutError, httpx2.TimeoutException)):
        return False          # the user already waited a full timeout; fall back instead
    if isinstance(exc, (sdk.APIConnectionError, httpx2.TransportError)):
        return True
    status = getattr(exc, "status_code", None)
    # An error event inside an open stream (e.g. "overloaded") carries no or a 200 status: worth one more try.
    return status is None or status < 400 or status in RETRY_STATUSES


def _retry_after(exc: Exception) -> float | None:
    response = getattr(exc, "response", None)
    raw = response.headers.get("retry-after") if response is not None else None
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None


def with_retries(attempt: Callable[[], Iterator[str]], sdk, *, provider: str, setting: str, model: str,
                 sleep: Callable[[float], None] = time.sleep) -> Iterator[str]:
    """Stream ``attempt()``, retrying 429/5xx/connection failures that happen before any text."""
    for n in range(1, MAX_ATTEMPTS + 1):
        shown = False
        try:
            for delta in attempt():
                shown = True
                yield delta
            return
        except (BackendError, sdk.APIError, httpx2.HTTPError) as e:
            ours = isinstance(e, BackendError)
            error = e if ours else map_error(e, sdk, provider=provider, setting=setting, model=model)
            retryable = error.category == ErrorCategory.CONNECTIVITY if ours else _retryable(e, sdk)
            wait = _retry_after(e)
            wait = BACKOFF_S * 2 ** (n - 1) * (1 + random.random() / 4) if wait is None else wait
            if shown or n == MAX_ATTEMPTS or not retryable or wait > MAX_WAIT_S:
                if ours:
                    raise
                raise error from e
            log.info("%s attempt %d failed (%s); retrying in %.1f s", provider, n, error.category.value, wait)
            sleep(wait)
