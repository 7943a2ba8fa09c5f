"""LLM backends behind one protocol: ``stream(prompt) -> Iterator[str]`` of text deltas.

The registry maps a backend name to its module, imported only when chosen, so a missing SDK is an
actionable message instead of an import error at start. Backends raise :class:`core.errors.HaruError`
(categories AUTH, RATE_LIMIT, TIMEOUT, CONNECTIVITY, UNAVAILABLE, CONFIG) before their first text
where they can; the orchestrator then falls back to the local backend with a notice.
"""

from __future__ import annotations

import importlib
from typing import Iterator, Protocol

from core.config import LLM_BACKENDS as BACKENDS
from core.config import AppConfig
from core.errors import ErrorCategory, HaruError
from prompts.types import Prompt

__all__ = ["BACKENDS", "Backend", "get_backend"]

_MODULES = {
    "local": ("chat.backends.local", "xllamacpp==2026.10.11549"),
    "openai": ("chat.backends.openai_api", "openai"),
    "anthropic": ("chat.backends.anthropic_api", "anthropic"),
    "openai-compatible": ("chat.backends.compatible", "openai"),
}


class Backend(Protocol):
    name: str
    model: str

    def stream(self, prompt: Prompt) -> Iterator[str]: ...


def get_backend(name: str, config: AppConfig, *, api_key: str | None = None, model: str | None = None,
                base_url: str | None = None) -> Backend:
    """A backend by registry name; nothing connects or loads until the first ``stream``."""
    if name not in _MODULES:
        raise HaruError(f"Unknown LLM backend {name!r}: choose one of {', '.join(BACKENDS)} (HARU_LLM).",
                        f"알 수 없는 LLM 백엔드 {name!r}예요. {', '.join(BACKENDS)} 중에서 골라 주세요 (HARU_LLM).",
                        category=ErrorCategory.CONFIG)
    module_name, package = _MODULES[name]
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise HaruError(f"The {name} backend needs a package: pip install {package}",
                        f"{name} 백엔드에 패키지가 필요해요: pip install {package}",
                        category=ErrorCategory.CONFIG) from e
    return module.create(config, api_key=api_key, model=model, base_url=base_url)
