"""What every tab's handlers share: their base, the error guard, upload paths and date parsing."""

from __future__ import annotations

import functools
import logging
import shutil
import time
from datetime import date
from pathlib import Path
from typing import Callable

import gradio as gr

import chat
import diary
from core import APOLOGY, AppConfig, HaruError
from webui import tokens
from webui.warmup import Warmup

log = logging.getLogger("haru.app")


class HandlersBase:
    """What the handlers of every tab use; :class:`webui.handlers.Handlers` joins the tabs' handlers."""

    def __init__(self, config: AppConfig, companion: chat.Companion, store: diary.DiaryStore,
                 warmup: Warmup, export_dir: Path) -> None:
        self.config = config
        self.companion = companion
        self.store = store
        self.warmup = warmup
        self.export_dir = export_dir
        # "auto": a reply in the language the person wrote or spoke in this turn.
        self.defaults = chat.Preferences().updated(reply_language="auto", voice_on=config.voice)
        self.token_key = tokens.new_key(config.session_secret)
        # Gradio streams audio through ffmpeg; without it the whole reply is played once it is written.
        self.voice_streaming = shutil.which("ffmpeg") is not None


def guarded(fn: Callable) -> Callable:
    """User-caused errors become a readable message in the session's language; anything else is a bug:
    logged with its traceback, and the user sees only the apology."""
    @functools.wraps(fn)
    def wrapper(self, session, *args, **kwargs):
        try:
            return fn(self, session, *args, **kwargs)
        except HaruError as e:
            raise gr.Error(e.message(session.language), print_exception=False) from e
        except gr.Error:
            raise
        except Exception as e:
            log.exception("%s failed", fn.__name__)
            raise gr.Error(APOLOGY.message(session.language)) from e
    return wrapper


def upload(payload) -> str | None:
    """The server-side path of an upload that reached a handler without Gradio's preprocessing."""
    if isinstance(payload, dict):
        return payload.get("path")
    return payload or None


class BadDateError(HaruError):
    pass


def parse_month(text: str) -> tuple[int, int]:
    try:
        year, month = (int(p) for p in (text or "").strip().split("-"))
        date(year, month, 1)
    except ValueError:
        raise BadDateError(f"Write the month as YYYY-MM, e.g. 2026-11 (got {text!r}).",
                           f"월은 2026-11처럼 YYYY-MM 형식으로 적어 주세요 ({text!r}).") from None
    return year, month


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        raise BadDateError(f"Write the day as YYYY-MM-DD, e.g. 2026-11-23 (got {text!r}).",
                           f"날짜는 2026-11-23처럼 YYYY-MM-DD 형식으로 적어 주세요 ({text!r}).") from None


def sweep(folder: Path, max_age_s: float) -> None:
    """Remove exports older than ``max_age_s``: they hold a whole diary."""
    if not folder.is_dir():
        return
    limit = time.time() - max_age_s
    for sub in folder.iterdir():
        if sub.is_dir() and sub.stat().st_mtime < limit:
            shutil.rmtree(sub, ignore_errors=True)
