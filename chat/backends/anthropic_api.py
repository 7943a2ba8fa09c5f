"""Anthropic Messages API, streaming, via the official SDK."""

from __future__ import annotations

from typing import Iterator

import anthropic

from chat.backends._cloud import ended_early, missing_key, timeout, with_retries
from core.config import AppConfig
from prompts.types import Prompt

DEFAULT_MODEL = "claude-haiku-4-5"
KEY_SETTING = "ANTHROPIC_API_KEY"


class AnthropicBackend:
    name = "anthropic"

    def __init__(self, *, api_key: str, model: str, base_url: str | None, timeout_s: float) -> None:
        self.model = model
        self._api_key = api_key
        self._base_url = base_url
        self._timeout_s = timeout_s
        self._client: anthropic.Anthropic | None = None

    def _get_client(self) -> anthropic.Anthropic:
        if self._client is None:
            if not self._api_key:
                raise missing_key("Anthropic", KEY_SETTING)
            self._client = anthropic.Anthropic(api_key=self._api_key, base_url=self._base_url,
                                               timeout=timeout(self._timeout_s), max_retries=0)
        return self._client

    def stream(self, prompt: Prompt) -> Iterator[str]:
        # The Messages API takes the system prompt apart from the conversation, and (since SDK 2.x) no
        # temperature: the intensity setting reaches Claude through the prompt's style line instead.
        system = "\n\n".join(m.content for m in prompt.messages if m.role == "system")
        turns = [{"role": m.role, "content": m.content} for m in prompt.messages if m.role != "system"]

        def attempt() -> Iterator[str]:
            events = self._get_client().messages.create(
                model=self.model, system=system, messages=turns, max_tokens=prompt.max_tokens, stream=True)
            finished = False
            with events:
                for event in events:
                    finished = finished or event.type == "message_stop"
                    if event.type == "content_block_delta" and event.delta.type == "text_delta":
                        yield event.delta.text
            if not finished:
                raise ended_early("Anthropic")

        yield from with_retries(attempt, anthropic, provider="Anthropic", setting=KEY_SETTING, model=self.model)


def create(config: AppConfig, *, api_key: str | None = None, model: str | None = None,
           base_url: str | None = None) -> AnthropicBackend:
    return AnthropicBackend(api_key=api_key or config.anthropic_api_key,
                            model=model or config.llm_model or DEFAULT_MODEL,
                            base_url=base_url or None, timeout_s=config.llm_timeout_s)
