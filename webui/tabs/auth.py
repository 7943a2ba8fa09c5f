"""Sign-up, login, the stay-signed-in token, logout, and the browser's language and time zone."""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from typing import Callable

import gradio as gr

import chat
import diary
from core import HaruError
from webui import render, tokens
from webui.common import HandlersBase, guarded
from webui.session import Session, today, valid_zone
from webui.strings import pick_language, t

log = logging.getLogger("haru.app")


class AuthHandlers(HandlersBase):
    def models(self, session: Session):
        """Model loading progress; the page polls it until every model has loaded or failed."""
        return self.warmup.html(session.language), gr.Timer(active=not self.warmup.done.is_set())

    def new_session(self) -> Session:
        return Session(language=self.config.language, prefs=self.defaults)

    @guarded
    def signup(self, session: Session, username: str, password: str, name: str):
        user = self.store.create_user(username, password, name)
        log.info("new account %s", user.id)
        return self._entered(session, user)

    @guarded
    def login(self, session: Session, username: str, password: str):
        return self._entered(session, self.store.authenticate(username, password))

    def login_form(self, session: Session, username: str, password: str):
        """The login form in the page: a refusal is said above the form, which stays usable."""
        return self._form(session, lambda: self.store.authenticate(username, password))

    def signup_form(self, session: Session, username: str, password: str, name: str):
        return self._form(session, lambda: self.store.create_user(username, password, name))

    def _form(self, session: Session, get_user: Callable[[], diary.User]):
        try:
            user = get_user()
        except HaruError as e:
            log.info("sign-in refused: %s", e.en)
            return (session, gr.update(), gr.update(), gr.update(), gr.update(), "", "",
                    render.banner_html([e.message(session.language)]), gr.skip())
        return self._entered(session, user) + (render.banner_html(), tokens.issue(self.token_key, user.id))

    def resume(self, session: Session, token: str):
        """A reload signs the browser's person in again while its token is valid."""
        user_id = tokens.verify(self.token_key, token) if session.user_id is None else None
        user = None
        if user_id is not None:
            try:
                user = self.store.get_user(user_id)
            except HaruError:   # deleted meanwhile
                user = None
        if user is None:
            return (session,) + (gr.skip(),) * 6
        return self._entered(session, user)

    def _entered(self, session: Session, user: diary.User):
        session = session.signed_in(user, self.defaults)
        # Today's conversation goes on where it was for a person who signs in again.
        today_entries = self.store.list_entries(session.user(), today(session), tz=session.tz)
        session = replace(session, conversation=chat.Conversation.resumed(self.companion, today_entries))
        # Reading the person's fixed prompt now makes their first reply start sooner.
        threading.Thread(target=self.companion.prime, name="haru-prime", daemon=True,
                         args=(chat.Profile(session.name, session.intro),
                               session.turn_prefs(self.config).reply)).start()
        return (session, gr.update(visible=False), gr.update(visible=True), gr.update(visible=True),
                t("app.hello", session.language, name=session.name), "", "")

    def logout(self, session: Session):
        """Signed out, and the browser's stay-signed-in token forgotten in the same step (a reload right after
        must not sign the person in again)."""
        return (replace(self.new_session(), language=session.language, tz=session.tz),
                gr.update(visible=True), gr.update(visible=False), gr.update(visible=False), "", "", "",
                tokens.SIGNED_OUT)

    def locale(self, session: Session, browser: str):
        """The browser's language and time zone, sent once by the page on load; the calendar opens on
        the browser's current month."""
        lang_tag, _, tz = (browser or "").partition("|")
        language = session.prefs.ui_language or pick_language(lang_tag, self.config.language)
        session = replace(session, language=language, tz=valid_zone(tz.strip() or session.tz))
        return session, today(session).strftime("%Y-%m")
