"""The Settings tab, generated from :class:`chat.Preferences`: one widget per setting, named as the setting.

The widget of ``songs_language`` has the elem_id ``set-songs-language``, the label key
``settings.songs_language`` and is the ``songs_language`` parameter of ``/save_settings``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import gradio as gr

import chat
from chat.prefs import CHOICES, LANGUAGES
from webui import render
from webui.common import HandlersBase, guarded
from webui.labels import Labels
from webui.session import Session
from webui.strings import t

# A setting left empty ("not chosen") shows as this option of its widget.
SHOWN_FOR_EMPTY = {"voice_speech_language": "auto", "songs_submood": "none"}
DEFAULTS = chat.Preferences().values()
COLUMNS = (("reply", "voice", "ui"), ("songs", "backend"))   # parts, by the first word of each setting's name


def option_key(name: str, value: str) -> str:
    shown = value or SHOWN_FOR_EMPTY[name]
    return f"lang.{shown}" if shown in LANGUAGES else f"settings.{name}.{shown}"


def settings_widget(labels: Labels, name: str, value: Any):
    """The widget of one setting, showing ``value``: its kind follows the setting's value type and choices."""
    key, elem_id, lang = f"settings.{name}", "set-" + name.replace("_", "-"), labels.language
    if name == "backend_kind":
        return labels(gr.Dropdown(list(chat.BACKENDS), value=value, label=t(key, lang), elem_id=elem_id), label=key)
    if isinstance(value, bool):
        return labels(gr.Checkbox(value, label=t(key, lang), elem_id=elem_id), label=key)
    if name in CHOICES:
        options = [(option_key(name, v), v or SHOWN_FOR_EMPTY[name]) for v in CHOICES[name]
                   if v or name in SHOWN_FOR_EMPTY]
        kind = gr.CheckboxGroup if isinstance(value, list) else gr.Radio
        return labels.pick(kind, key, options, elem_id, value=value)
    return labels(gr.Textbox(value, label=t(key, lang), elem_id=elem_id,
                             type="password" if name == "backend_api_key" else "text"), label=key)


class SettingsHandlers(HandlersBase):
    def answers_offline(self, session: Session) -> bool:
        """Whether the small embedded model writes this session's replies."""
        return (session.turn_prefs(self.config).backend.kind or self.config.llm_backend) == "local"

    @guarded
    def test_connection(self, session: Session, backend_kind: str, backend_model: str, backend_api_key: str,
                        backend_base_url: str) -> str:
        """Settings' "Test connection": the backend as filled in on the form (saved or not) answers or says why."""
        session.user()
        lang = session.language
        choice = chat.BackendPrefs(kind=backend_kind or self.config.llm_backend, model=(backend_model or "").strip(),
                                   api_key=(backend_api_key or "").strip() or session.prefs.backend.api_key,
                                   base_url=(backend_base_url or "").strip())
        found = self.companion.check_backend(choice)
        if found.ok:
            return render.banner_html(info=[t("settings.test_ok", lang, backend=found.backend,
                                              model=found.model or "-", seconds=f"{found.seconds:.1f}",
                                              reply=found.reply[:40])])
        return render.banner_html([t("settings.test_failed", lang, backend=found.backend,
                                     reason=found.error.message(lang))])

    @guarded
    def save_settings(self, session: Session, **form: Any):
        """``/save_settings``: one named parameter per setting (``chat.Preferences.names()``)."""
        user_id = session.user()
        prefs = session.prefs.updated(**{name: self._from_widget(name, v) for name, v in form.items()})
        self.store.save_settings(user_id, prefs.saved())
        session = replace(session, prefs=prefs, language=prefs.ui_language or session.language)
        return session, render.banner_html(info=[t("settings.saved", session.language)])

    def settings_values(self, session: Session) -> dict[str, Any]:
        """What the form shows for this session, by setting name; the API key is never sent back."""
        shown = dict(session.prefs.values(), backend_api_key="")
        for name, option in SHOWN_FOR_EMPTY.items():
            shown[name] = shown[name] or option
        shown["ui_language"] = shown["ui_language"] or session.language
        shown["backend_kind"] = shown["backend_kind"] or self.config.llm_backend
        return shown

    @staticmethod
    def _from_widget(name: str, value: Any) -> Any:
        """A widget's value as the setting's: the option shown for "not chosen" is empty again."""
        default = DEFAULTS[name]
        if isinstance(default, bool):
            return bool(value)
        if isinstance(default, list):
            return list(value or ())
        value = (value or "").strip() if isinstance(value, str) or value is None else value
        return "" if value == SHOWN_FOR_EMPTY.get(name) else value
