"""Small HTML renderers for the web UI: pure functions from stage data to escaped markup.

No logic decides anything here; the stages already did. Every piece of user or
catalogue text goes through :func:`html.escape`.
"""

from __future__ import annotations

import calendar
import json
from datetime import date, datetime
from html import escape
from typing import Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

from diary import moods
from webui.strings import t


def _pct(value: float) -> str:
    return f"{max(0.0, min(1.0, value)) * 100:.0f}%"


def emotion_html(label: str | None, probs: Mapping[str, float], language: str, note: str = "") -> str:
    """The detected emotion, its confidence bar and a thin bar per emotion."""
    if label is None:
        return f"<div class='haru-emotion haru-muted'>{escape(note or t('talk.no_face', language))}</div>"
    confidence = probs.get(label, 0.0)
    rows = "".join(
        f"<div class='haru-prob'><span>{moods.EMOJI[name]} {escape(moods.name(name, language))}</span>"
        f"<span class='haru-bar'><i style='width:{_pct(p)};background:{moods.COLOUR[name]}'></i></span>"
        f"<span class='haru-num'>{_pct(p)}</span></div>"
        for name, p in sorted(probs.items(), key=lambda kv: -kv[1]))
    return (
        f"<div class='haru-emotion' data-label='{escape(label)}'>"
        f"<div class='haru-emotion-main'><span class='haru-emoji'>{moods.EMOJI[label]}</span>"
        f"<b>{escape(moods.name(label, language))}</b> "
        f"<span class='haru-num'>{escape(t('talk.confidence', language))} {_pct(confidence)}</span></div>"
        f"<div class='haru-bar haru-bar-main'><i style='width:{_pct(confidence)};"
        f"background:{moods.COLOUR[label]}'></i></div>"
        f"{rows}"
        + (f"<div class='haru-muted'>{escape(note)}</div>" if note else "")
        + "</div>")


def songs_html(tracks: Sequence, language: str) -> str:
    """Song cards: title, artist, why this song now, and search links."""
    if not tracks:
        return ""
    cards = []
    for track in tracks:
        reason = track.reason_in(language)
        links = " ".join(
            f"<a href='{escape(url, quote=True)}' target='_blank' rel='noopener noreferrer' "
            f"class='haru-link haru-link-{escape(site)}'>{escape(site.capitalize())}</a>"
            for site, url in track.links.items())
        cards.append(
            "<div class='haru-song'>"
            f"<div class='haru-song-title'>🎵 {escape(track.title)}</div>"
            f"<div class='haru-song-artist'>{escape(track.artists)} · {escape(track.genre)}</div>"
            + (f"<div class='haru-song-reason'>{escape(reason)}</div>" if reason else "")
            + f"<div class='haru-song-links'>{links}</div></div>")
    return f"<div class='haru-songs' aria-label='{escape(t('talk.songs', language))}'>{''.join(cards)}</div>"


def banner_html(errors: Iterable[str] = (), notices: Iterable[str] = (), info: Iterable[str] = (),
                care: Iterable[str] = ()) -> str:
    """Messages for the user: errors red, notices amber, confirmations green, a gentle check-in blue."""
    parts = [f"<div class='haru-banner haru-{kind}' role='{'alert' if kind == 'error' else 'status'}'>"
             f"{escape(text)}</div>"
             for kind, texts in (("error", errors), ("notice", notices), ("info", info), ("care", care))
             for text in texts]
    return "".join(parts)


def _local(moment: datetime, tz: str) -> str:
    return moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def said_html(text: str, language: str) -> str:
    """What the person wrote or said, as it heads a diary entry."""
    return f"<p class='haru-entry-text'><b>{escape(t('entry.you', language))}</b> {escape(text)}</p>"


def comment_html(persona: str, text: str, when: datetime | None, language: str, tz: str = "UTC") -> str:
    """Anna's reply to a diary entry, drawn like a friend's comment under a post."""
    stamp = (f"<span class='haru-muted'>{escape(t('diary.saved_at', language, when=_local(when, tz)))}"
             "</span>") if when else ""
    return ("<div class='haru-comment'>"
            f"<div class='haru-avatar'>{escape(persona[:1])}</div>"
            f"<div class='haru-comment-body'><b>{escape(persona)}</b> {stamp}"
            f"<p>{escape(text)}</p></div></div>")


def calendar_html(year: int, month: int, cells: Sequence, language: str, selected: date | None = None) -> str:
    """A month grid; every day is a button carrying ``data-day`` for the click handler."""
    by_day = {cell.day: cell for cell in cells}
    head = "".join(f"<th>{escape(d)}</th>" for d in t("cal.weekdays", language).split(","))
    rows = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
        tds = []
        for day in week:
            if day.month != month:
                tds.append("<td class='haru-out'></td>")
                continue
            cell = by_day.get(day)
            mood = cell.emoji if cell and cell.entries else ""
            style = f" style='border-color:{cell.colour}'" if cell and cell.entries else ""
            count = f"<span class='haru-count'>{cell.entries}</span>" if cell and cell.entries else ""
            sel = " haru-selected" if day == selected else ""
            tds.append(f"<td><button type='button' class='haru-day{sel}' data-day='{day.isoformat()}'{style}>"
                       f"<span class='haru-dnum'>{day.day}</span><span class='haru-mood'>{mood}</span>"
                       f"{count}</button></td>")
        rows.append(f"<tr>{''.join(tds)}</tr>")
    return (f"<div class='haru-calendar'><div class='haru-cal-title'>{escape(month_label(year, month, language))}</div>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")


def month_label(year: int, month: int, language: str) -> str:
    return f"{year}년 {month}월" if language == "ko" else f"{MONTHS_EN[month - 1]} {year}"


def month_choices(today: date, language: str, back: int = 35) -> list[tuple[str, str]]:
    """The month picker's options, newest first: this month and the ``back`` before it."""
    out = []
    for k in range(back + 1):
        index = today.year * 12 + today.month - 1 - k
        year, month = divmod(index, 12)
        out.append((month_label(year, month + 1, language), f"{year:04d}-{month + 1:02d}"))
    return out


def entries_html(entries: Sequence, language: str, persona: str, empty_day: date | None = None,
                 tz: str = "UTC") -> str:
    """A day's (or any list of) diary entries, newest last, each with Anna's reply; times in ``tz``."""
    if not entries:
        return (f"<div class='haru-muted'>{escape(t('cal.empty_day', language, day=empty_day.isoformat()))}</div>"
                if empty_day else "")
    out = []
    for entry in entries:
        said = "\n".join(part for part in (entry.text, entry.transcript) if part)
        faces = (f"{moods.EMOJI[entry.face_label]} {escape(t('entry.face', language))}: "
                 f"{escape(moods.name(entry.face_label, language))}") if entry.face_label else ""
        words = (f"{escape(t('entry.words', language))}: {escape(moods.name(entry.text_emotion, language))}"
                 if entry.text_emotion else "")
        songs = ", ".join(f"{s.get('title', '')} — {s.get('artist', '')}" for s in entry.songs)
        out.append(
            f"<div class='haru-entry' data-entry-id='{entry.id}'>"
            f"<div class='haru-muted'>#{entry.id} · {_local(entry.created_at, tz)} · "
            f"{escape(t('entry.mode.' + entry.mode, language))}"
            + "".join(f" · {x}" for x in (faces, words) if x) + "</div>"
            + said_html(said, language)
            + (comment_html(persona, entry.reply, None, language) if entry.reply else "")
            + (f"<div class='haru-muted'>🎵 {escape(songs)}</div>" if songs else "")
            + "</div>")
    return "".join(out)


CSS = """
.haru-muted{color:var(--body-text-color-subdued);font-size:.9em}
.haru-emotion{padding:.4em .2em}
.haru-emotion-main{font-size:1.2em;margin-bottom:.3em}
.haru-emoji{font-size:1.6em;vertical-align:middle;margin-right:.2em}
.haru-bar{display:inline-block;height:.55em;width:100%;background:var(--neutral-200);border-radius:1em;
  overflow:hidden;vertical-align:middle}
.haru-bar i{display:block;height:100%;border-radius:1em;transition:width .25s}
.haru-bar-main{height:.9em;margin-bottom:.5em}
.haru-prob{display:grid;grid-template-columns:7.5em 1fr 3em;gap:.4em;align-items:center;font-size:.85em}
.haru-num{color:var(--body-text-color-subdued);font-variant-numeric:tabular-nums}
.haru-songs{display:grid;grid-template-columns:repeat(auto-fit,minmax(14em,1fr));gap:.6em;width:100%}
.haru-song{border:1px solid var(--border-color-primary);border-radius:.8em;padding:.7em;background:var(--block-background-fill)}
.haru-song-title{font-weight:600}
.haru-song-reason{font-size:.85em;margin:.3em 0}
.haru-link{display:inline-block;margin-right:.5em;font-size:.85em}
.haru-banner{padding:.5em .8em;border-radius:.5em;margin:.2em 0}
.haru-error{background:#fdecea;color:#8a1c12}
.haru-notice{background:#fff4e5;color:#7a4b00}
.haru-info{background:#e8f5e9;color:#1b5e20}
.haru-care{background:#e8f0fe;color:#1a3e72}
.haru-comment{display:flex;gap:.6em;margin:.4em 0;padding:.6em;border-radius:.8em;background:var(--background-fill-secondary)}
.haru-avatar{flex:none;width:2.2em;height:2.2em;border-radius:50%;background:#f48fb1;color:#fff;
  display:flex;align-items:center;justify-content:center;font-weight:700}
.haru-comment-body p{margin:.2em 0;white-space:pre-wrap}
.haru-calendar table{width:100%;border-collapse:separate;border-spacing:.25em;table-layout:fixed;border:none!important}
.haru-calendar th,.haru-calendar td{border:none!important;padding:0!important;background:none!important}
.haru-calendar th{font-weight:500;color:var(--body-text-color-subdued)}
.haru-cal-title{font-size:1.2em;font-weight:600;margin-bottom:.3em}
.haru-day{width:100%;min-height:3.6em;border:2px solid var(--border-color-primary);border-radius:.6em;
  background:var(--block-background-fill);cursor:pointer;position:relative;display:flex;flex-direction:column;
  align-items:center;padding:.2em}
.haru-day:hover,.haru-selected{outline:2px solid var(--color-accent)}
.haru-dnum{font-size:.8em;align-self:flex-start}
.haru-mood{font-size:1.4em;line-height:1.2}
.haru-count{position:absolute;right:.3em;top:.15em;font-size:.7em;color:var(--body-text-color-subdued)}
.haru-entry{border-bottom:1px solid var(--border-color-primary);padding:.5em 0}
.haru-entry-text{white-space:pre-wrap;margin:.3em 0}
#cal-prev,#cal-next,#stats-report,#stats-refresh,#talk-send{white-space:nowrap;min-width:max-content;word-break:keep-all}
.haru-danger{border:2px solid #c62828!important;border-radius:.8em;padding:.6em}
.haru-danger h3{color:#c62828}
#profile-delete{background:#c62828!important;color:#fff!important;border-color:#8e0000!important}
#logout-btn,#talk-open-settings{align-self:center;flex-grow:0!important}
#talk-mic button.record-button,#talk-mic button.stop-button,#talk-face button,#mirror-cam button,
#diary-photo button{min-height:44px}
@media (max-width:640px){
  #haru-header{flex-wrap:wrap!important;gap:.2em!important}
  #haru-header>*{min-width:0!important}
  #haru-header h2{font-size:1.25em;margin:0}
  #talk-offline{flex-wrap:wrap!important}
}
"""

# Gradio's own words (button captions, drop zones, the status "Error") follow the browser's language, not the
# one chosen in Settings; this swaps the few that show in Haru for the chosen language as they appear.
_GRADIO_WORDS = [   # English, our Korean, then Gradio's own Korean where it differs
    ("Click to Access Webcam", "눌러서 웹캠 켜기"), ("Record", "녹음"), ("Stop", "중지"), ("Error", "오류"),
    ("Drop Image Here", "이미지를 여기에 놓으세요", "이미지를 여기에 드롭"),
    ("Drop Audio Here", "오디오를 여기에 놓으세요", "오디오를 여기에 드롭"),
    ("Drop File Here", "파일을 여기에 놓으세요", "파일을 여기에 드롭"), ("or", "또는"),
    ("Click to Upload", "눌러서 올리기", "클릭하여 업로드"), ("Loading...", "불러오는 중..."),
    ("Pause", "일시정지"), ("Resume", "재개"), ("Waiting", "대기 중"),
    ("Use via API", "API로 사용"), ("Settings", "설정"),
]
TRANSLATE_JS = """<script>
(() => {
  const PAIRS = %s;
  let lang = null;
  function fix(root) {
    if (!lang || !root) return;
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = n.nodeValue.trim();
      if (!text || text.length > 40) continue;
      for (const [en, ...ko] of PAIRS) {
        const from = lang === "ko" ? [en] : ko;
        const hit = from.find((word) => word === text);
        if (hit) { n.nodeValue = n.nodeValue.replace(hit, lang === "ko" ? ko[0] : en); break; }
      }
    }
  }
  window.haruTranslate = (l) => { lang = l; document.documentElement.lang = l; fix(document.body); };
  new MutationObserver((changes) => {
    for (const c of changes) {
      if (c.type === "characterData") fix(c.target.parentNode);
      for (const n of c.addedNodes) fix(n.nodeType === Node.TEXT_NODE ? n.parentNode : n);
    }
  }).observe(document.documentElement, {childList: true, subtree: true, characterData: true});
})();
</script>""" % json.dumps(_GRADIO_WORDS, ensure_ascii=False)
