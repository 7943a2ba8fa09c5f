"""The banner that says which models are still loading."""

from __future__ import annotations

import threading

import chat
from core import AppConfig
from webui import render
from webui.strings import t

WARMUP_STEPS = ("vision", "speech", "llm")


class Warmup:
    """Background model loading, shared by every session of this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._status: dict[str, str] = {}
        self.done = threading.Event()

    def start(self, config: AppConfig) -> None:
        threading.Thread(target=self._run, args=(config,), name="haru-warmup", daemon=True).start()

    def _run(self, config: AppConfig) -> None:
        try:
            chat.warmup(config, on_progress=self._progress)
        finally:
            self.done.set()

    def _progress(self, name: str, state: str) -> None:
        with self._lock:
            self._status[name] = state

    def html(self, language: str) -> str:
        with self._lock:
            status = dict(self._status)
        failed = [t(f"models.{n}", language) for n, s in status.items() if s.startswith("failed")]
        if self.done.is_set():
            return render.banner_html(notices=[t("models.failed", language, names=", ".join(failed))]
                                      if failed else (), info=() if failed else [t("models.ready", language)])
        loading = [n for n, s in status.items() if s == "loading"]
        current = t(f"models.{loading[-1]}", language) if loading else "…"
        done = sum(1 for s in status.values() if s == "ready")
        return render.banner_html(notices=[t("models.loading", language, done=done, total=len(WARMUP_STEPS),
                                             current=current)])
