"""Songs as text: a note for the LLM prompt and Markdown cards for the reply or the UI."""

from __future__ import annotations

from collections.abc import Sequence

from music.types import Track

_LINK_NAMES = {"youtube": "YouTube", "spotify": "Spotify", "melon": "Melon"}


def songs_for_prompt(tracks: Sequence[Track], language: str = "en") -> str:
    """A note the orchestrator adds to the prompt, so the reply can mention the songs by name."""
    if not tracks:
        return ""
    lines = ["These songs are shown to the user as cards under your reply. Mention one or two "
             "by title naturally if it fits; do not list them all or give links:"]
    lines += [f'- "{t.title}" by {t.artists}: {t.reason_in(language)}' for t in tracks]
    return "\n".join(lines)


def format_songs(tracks: Sequence[Track], language: str = "en") -> str:
    """Markdown, one card-like line per song with its search links."""
    lines = []
    for t in tracks:
        links = " · ".join(f"[{_LINK_NAMES.get(name, name)}]({url})" for name, url in t.links.items())
        lines.append(f"🎵 **{t.title}** — {t.artists}  \n{t.reason_in(language)}  \n{links}")
    return "\n\n".join(lines)
