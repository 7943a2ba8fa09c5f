"""The Profile tab: name and introduction, the data export, and deleting the account."""

from __future__ import annotations

import logging
import secrets
from dataclasses import replace

from webui import render
from webui.common import HandlersBase, guarded, sweep
from webui.session import Session, today
from webui.strings import t

log = logging.getLogger("haru.app")

EXPORT_MAX_AGE_S = 600       # exported files are private data: gone from the temp folder after this
EXPORT_FOLDER = "exports"    # inside the data dir; served to its owner only through the export event


class ProfileHandlers(HandlersBase):
    @guarded
    def save_profile(self, session: Session, name: str, intro: str):
        user = self.store.update_profile(session.user(), name=name, intro=intro)
        session = replace(session, name=user.name, intro=user.intro)
        return session, t("app.hello", session.language, name=user.name), \
            render.banner_html(info=[t("profile.saved", session.language)])

    @guarded
    def export(self, session: Session):
        """The whole diary as JSON (everything) and CSV (one row per entry, for a spreadsheet)."""
        user_id = session.user()
        sweep(self.export_dir, EXPORT_MAX_AGE_S)
        # An unguessable folder: Gradio serves the exports folder to whoever names a file in it.
        folder = self.export_dir / f"{user_id}-{secrets.token_urlsafe(24)}"
        folder.mkdir(parents=True)
        paths = []
        for fmt in ("json", "csv"):
            path = folder / f"haru-{session.username}-{today(session).isoformat()}.{fmt}"
            # utf-8-sig: spreadsheet programs then read the Korean in the CSV correctly.
            path.write_text(self.store.export_user(user_id, fmt), encoding="utf-8-sig" if fmt == "csv" else "utf-8")
            paths.append(str(path))
        return paths

    @guarded
    def delete_account(self, session: Session, password: str):
        user_id = session.user()
        self.store.authenticate(session.username, password)
        self.store.delete_user(user_id)
        log.info("account %s deleted by its owner", user_id)
        out = self.logout(session)     # AuthHandlers.logout, joined in webui.handlers.Handlers
        return out + (render.banner_html(info=[t("profile.deleted", session.language)]),)
