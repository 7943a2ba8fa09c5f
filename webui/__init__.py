"""The web UI: :func:`webui.demo.build_demo` builds the page, one handlers module per tab in ``webui/tabs``.

Also the UI strings in Korean and English, and small HTML renderers.
"""

import os

# Before gradio is imported: no version check, no telemetry, no outbound lookups at all.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from webui.render import (  # noqa: E402
                          CSS,
                          TRANSLATE_JS,
                          banner_html,
                          calendar_html,
                          comment_html,
                          emotion_html,
                          entries_html,
                          songs_html,
)
from webui.strings import LANGUAGES, STRINGS, pick_language, t  # noqa: E402

__all__ = ["CSS", "TRANSLATE_JS", "LANGUAGES", "STRINGS", "banner_html", "calendar_html", "comment_html", "emotion_html",
           "entries_html", "pick_language", "songs_html", "t"]
