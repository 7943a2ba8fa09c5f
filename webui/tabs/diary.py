"""The Diary tab: an entry written (maybe with a photo) and Anna's comment on it."""

from __future__ import annotations

from typing import Iterator

import gradio as gr

from webui import render
from webui.common import HandlersBase, upload
from webui.session import Session
from webui.turn import run_turn


class DiaryHandlers(HandlersBase):
    def diary_write(self, session: Session, text: str, photo) -> Iterator[tuple]:
        """Stream Anna's comment on a diary entry: (comment, messages, text box)."""
        for view in run_turn(self.config, session, text, None, upload(photo), mode="diary", voice=False):
            when = view.entry.created_at if view.entry else None
            # The entry stays on screen above Anna's comment once the text box is emptied.
            post = render.said_html(view.said, session.language) if view.said else ""
            comment = render.comment_html(session.persona, view.reply, when, session.language,
                                          session.tz) if view.reply else ""
            yield post + comment, view.banner(), gr.update() if view.done is None else ""
