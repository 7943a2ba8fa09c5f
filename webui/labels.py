"""Words on widgets that follow the screen language."""

from __future__ import annotations

from typing import Any

import gradio as gr

from chat.prefs import reply_lengths
from webui.strings import t


def text(key: str, language: str) -> str:
    """``t`` for a label; the reply lengths show the numbers the prompt really asks for."""
    prefix, _, length = key.rpartition(".")
    if prefix == "settings.reply_length":
        return t(key, language, **reply_lengths(length, language))
    return t(key, language)


def choices(prefix: str, values) -> list[tuple[str, str]]:
    """(string key, value) pairs for a translated Radio/Dropdown."""
    return [(f"{prefix}.{v}", v) for v in values]


class Labels:
    """Components whose words follow the screen language, and which string keys they show."""

    def __init__(self, language: str) -> None:
        self.language = language             # the language the page is built in
        self._items: list[tuple[Any, str, dict[str, Any]]] = []

    def __call__(self, component, fmt: str = "{}", **keys):
        self._items.append((component, fmt, keys))
        return component

    def pick(self, kind, key: str, pairs: list[tuple[str, str]], elem_id: str, **kwargs):
        """A Radio/CheckboxGroup whose label and option names follow the screen language."""
        lang = self.language
        return self(kind(choices=[(text(k, lang), v) for k, v in pairs], label=t(key, lang), elem_id=elem_id,
                         **kwargs), label=key, choices=pairs)

    @property
    def components(self) -> list:
        return [c for c, _, _ in self._items]

    def updates(self, language: str) -> list:
        out = []
        for _, fmt, keys in self._items:
            values = {}
            for attr, key in keys.items():
                if attr == "choices":
                    values[attr] = [(text(k, language), v) for k, v in key]
                else:
                    values[attr] = fmt.format(t(key, language)) if attr == "value" else t(key, language)
            out.append(gr.update(**values))
        return out
