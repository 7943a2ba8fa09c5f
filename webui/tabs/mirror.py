"""The Live mirror tab: webcam frames in, the emotion smoothed over the last frames out."""

from __future__ import annotations

import chat
from webui import render
from webui.common import HandlersBase
from webui.session import NOT_LOGGED_IN, Session

# The mirror needs a face, not a photo: small frames make face finding several times faster.
MIRROR_CAMERA = {"video": {"width": {"ideal": 320}, "height": {"ideal": 240}}}
MIRROR_FRAME_S = 0.08       # the browser offers a frame this often; the server reads as many as it keeps up with


class MirrorHandlers(HandlersBase):
    def mirror(self, session: Session, frame, mirror: chat.Mirror | None):
        """One webcam frame in, the emotion smoothed over the last frames out; no face says why."""
        if session.user_id is None:   # the mirror costs CPU: only for signed-in sessions
            note = NOT_LOGGED_IN.message(session.language)
            return render.emotion_html(None, {}, session.language, note=note), mirror
        mirror = mirror or chat.Mirror(self.companion)
        smoothed, why = mirror.see(frame)
        if smoothed is None:
            note = why.message(session.language) if why is not None else ""
            return render.emotion_html(None, {}, session.language, note=note), mirror
        return render.emotion_html(smoothed.label, smoothed.probs, session.language), mirror
