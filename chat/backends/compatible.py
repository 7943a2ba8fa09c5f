"""Any OpenAI-compatible server by base URL: Ollama, vLLM, llama.cpp server, LM Studio.

Example: ``HARU_LLM=openai-compatible OPENAI_BASE_URL=http://127.0.0.1:11434/v1 HARU_LLM_MODEL=qwen2.5:7b``.
With no model named, the first model the server lists is used.
"""

from __future__ import annotations

from chat.backends.openai_api import OpenAIBackend
from core.config import AppConfig


def create(config: AppConfig, *, api_key: str | None = None, model: str | None = None,
           base_url: str | None = None) -> OpenAIBackend:
    return OpenAIBackend(name="openai-compatible", api_key=api_key or config.openai_compatible_api_key,
                         model=model or config.llm_model, base_url=base_url or config.openai_base_url or None,
                         timeout_s=config.llm_timeout_s, key_setting="HARU_COMPAT_API_KEY", compatible=True)
