"""OpenAI Chat Completions, streaming, via the official SDK; also any OpenAI-compatible server."""

from __future__ import annotations

from typing import Iterator

import openai

from chat.backends._cloud import BackendError, ended_early, missing_key, timeout, with_retries
from core.config import AppConfig
from core.errors import ErrorCategory
from prompts.types import Prompt

DEFAULT_MODEL = "gpt-4.1-mini"
# Reasoning models take no temperature and spend hidden tokens before the reply.
REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5")
REASONING_TOKEN_ALLOWANCE = 2048


def is_reasoning(model: str) -> bool:
    return model.startswith(REASONING_PREFIXES) and "chat" not in model


class OpenAIBackend:
    """``compatible=True``: a self-hosted server (Ollama, vLLM, llama.cpp, LM Studio) by base URL."""

    def __init__(self, *, name: str, api_key: str, model: str, base_url: str | None, timeout_s: float,
                 key_setting: str, compatible: bool = False) -> None:
        self.name = name
        self.model = model
        self._api_key = api_key
        self._base_url = base_url
        self._timeout_s = timeout_s
        self._setting = key_setting
        self._compatible = compatible
        self._client: openai.OpenAI | None = None
        self._provider = "OpenAI-compatible server" if compatible else "OpenAI"

    def _get_client(self) -> openai.OpenAI:
        if self._client is None:
            if self._compatible and not self._base_url:
                raise BackendError(
                    "Set OPENAI_BASE_URL to your server's address, e.g. http://127.0.0.1:11434/v1 for Ollama.",
                    "OPENAI_BASE_URL에 서버 주소를 설정해 주세요. 예: Ollama는 http://127.0.0.1:11434/v1",
                    category=ErrorCategory.CONFIG)
            if not self._api_key and not self._compatible:
                raise missing_key(self._provider, self._setting)
            # Most self-hosted servers ignore the key, but the SDK refuses to run without one.
            self._client = openai.OpenAI(api_key=self._api_key or "no-key", base_url=self._base_url,
                                         timeout=timeout(self._timeout_s), max_retries=0)
        return self._client

    def _resolve_model(self, client: openai.OpenAI) -> str:
        """A self-hosted server with no model named: take the first one it serves (Ollama lists pulled ones)."""
        if not self.model:
            served = [m.id for m in client.models.list()]
            if not served:
                raise BackendError(f"The server at {self._base_url} serves no model: set HARU_LLM_MODEL.",
                                   f"{self._base_url} 서버에 모델이 없어요. HARU_LLM_MODEL을 설정해 주세요.",
                                   category=ErrorCategory.CONFIG)
            self.model = served[0]
        return self.model

    def _request(self, prompt: Prompt) -> dict:
        request = {"model": self.model, "stream": True,
                   "messages": [{"role": m.role, "content": m.content} for m in prompt.messages]}
        if self._compatible:
            request.update(max_tokens=prompt.max_tokens, temperature=prompt.temperature)
        elif is_reasoning(self.model):
            request.update(max_completion_tokens=prompt.max_tokens + REASONING_TOKEN_ALLOWANCE)
        else:
            request.update(max_completion_tokens=prompt.max_tokens, temperature=prompt.temperature)
        return request

    def stream(self, prompt: Prompt) -> Iterator[str]:
        def attempt() -> Iterator[str]:
            client = self._get_client()
            self._resolve_model(client)
            finished = False
            with client.chat.completions.create(**self._request(prompt)) as chunks:
                for chunk in chunks:
                    for choice in chunk.choices:
                        finished = finished or choice.finish_reason is not None
                        if choice.delta and choice.delta.content:
                            yield choice.delta.content
            if not finished:
                raise ended_early(self._provider)

        yield from with_retries(attempt, openai, provider=self._provider, setting=self._setting,
                                model=self.model or "(default)")


def create(config: AppConfig, *, api_key: str | None = None, model: str | None = None,
           base_url: str | None = None) -> OpenAIBackend:
    return OpenAIBackend(name="openai", api_key=api_key or config.openai_api_key,
                         model=model or config.llm_model or DEFAULT_MODEL, base_url=base_url or None,
                         timeout_s=config.llm_timeout_s, key_setting="OPENAI_API_KEY")
