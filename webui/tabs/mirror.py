"""The Live mirror tab: webcam frames in, the emotion smoothed over the last frames out."""

from __future__ import annotations

import vision
from core import HaruError
from webui import render
from webui.common import HandlersBase
from webui.session import NOT_LOGGED_IN, Session

# The mirror needs a face, not a photo: small frames make face finding several times faster.
MIRROR_CAMERA = {"video": {"width": {"ideal": 320}, "height": {"ideal": 240}}}
MIRROR_FRAME_S = 0.08       # the browser offers a frame this often; the server reads as many as it keeps up with


class MirrorHandlers(HandlersBase):
    def mirror(self, session: Session, frame, smoother):
        """One webcam frame in, the emotion smoothed over the last frames out; no face says why."""
        if session.user_id is None:   # the mirror costs CPU: only for signed-in sessions
            note = NOT_LOGGED_IN.message(session.language)
            return render.emotion_html(None, {}, session.language, note=note), smoother
        smoother = smoother or vision.EmotionSmoother()
        note = ""
        try:
            reading = vision.read_emotion(frame, choice=vision.ClassifierChoice.from_config(self.config))
        except HaruError as e:
            reading, note = None, e.message(session.language)
        smoothed = smoother.update(reading)
        if smoothed is None:
            return render.emotion_html(None, {}, session.language, note=note), smoother
        return render.emotion_html(smoothed.label, smoothed.probs, session.language), smoother
