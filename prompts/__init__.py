"""Anna's prompts: settings and context in, exact chat messages out.

Templates are data (``prompts/templates/*.toml``); :func:`build` is the one pure renderer.
See docs/prompts.md for the settings, the mismatch rule and the injection guard.
"""

from prompts.language import words_language
from prompts.render import approx_tokens, bound_history, build
from prompts.types import REPLY_LANGUAGES, CompanionSettings, Message, Profile, Prompt, TurnContext

__all__ = ["CompanionSettings", "Message", "Profile", "Prompt", "REPLY_LANGUAGES", "TurnContext", "approx_tokens",
           "bound_history", "build", "words_language"]
