"""Anna's prompts: settings and context in, exact chat messages out.

Templates are data (``prompts/templates/*.toml``); :func:`build` renders a reply,
:func:`build_report` the mood report's note.
See docs/prompts.md for the settings, the mismatch rule and the injection guard.
"""

from prompts.language import words_language
from prompts.render import approx_tokens, bound_history, build, build_report
from prompts.types import REPLY_LANGUAGES, CompanionSettings, Message, Profile, Prompt, TurnContext

__all__ = ["CompanionSettings", "Message", "Profile", "Prompt", "REPLY_LANGUAGES", "TurnContext", "approx_tokens",
           "bound_history", "build", "build_report", "words_language"]
