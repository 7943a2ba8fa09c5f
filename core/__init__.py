"""Shared pieces every stage may use: the settings object and the error family."""

from core.config import LLM_BACKENDS, AppConfig, help_text, load_config
from core.errors import APOLOGY, ErrorCategory, HaruError

__all__ = ["APOLOGY", "AppConfig", "ErrorCategory", "HaruError", "LLM_BACKENDS", "help_text", "load_config"]
