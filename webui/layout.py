"""The page's widgets: one builder per tab, each adding its widgets to the namespace ``w`` by name."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import gradio as gr

from webui import render, tokens
from webui.handlers import Handlers
from webui.labels import Labels, choices
from webui.strings import t
from webui.tabs.calendar import STATS_DAYS
from webui.tabs.mirror import MIRROR_CAMERA
from webui.tabs.settings import COLUMNS, settings_widget

CALENDAR_JS = """
element.addEventListener('click', (e) => {
  const day = e.target.closest('[data-day]');
  if (day) trigger('click', {day: day.dataset.day});
});
"""


def header(h: Handlers, L: Labels) -> SimpleNamespace:
    lang = L.language
    w = SimpleNamespace()
    w.session = gr.State(h.new_session())
    w.mirror = gr.State(None)        # the webcam stream's chat.Mirror
    w.browser = gr.Textbox(visible=False)
    w.page_language = gr.Textbox(lang, visible=False)   # Gradio's own words follow it (render.TRANSLATE_JS)
    # Encrypted in the browser's local storage with a key Gradio publishes; signed by us with one it never sees.
    w.token = gr.BrowserState("", storage_key="haru-signin", secret=tokens.browser_secret(h.token_key))
    with gr.Row(elem_id="haru-header"):
        L(gr.Markdown(f"## {t('app.title', lang)}"), "## {}", value="app.title")
        w.hello = gr.Markdown("", elem_id="haru-hello")
        w.logout_btn = L(gr.Button(t("app.logout", lang), size="sm", visible=False, scale=0, elem_id="logout-btn"),
                         value="app.logout")
    w.models = gr.HTML(h.warmup.html(lang), elem_id="haru-models")
    w.ticker = gr.Timer(1.0, active=not h.warmup.done.is_set())
    return w


def auth_tab(w: SimpleNamespace, L: Labels) -> None:
    """Sign-up and login, shown until a session has a user."""
    lang = L.language
    with gr.Column(visible=True, elem_id="haru-auth") as w.auth_col:
        L(gr.Markdown(t("auth.intro", lang)), value="auth.intro")
        w.auth_banner = gr.HTML("", elem_id="auth-banner")
        with gr.Tabs() as w.auth_tabs:
            with L(gr.Tab(t("auth.login_tab", lang), id="login"), label="auth.login_tab"):
                w.login_user = L(gr.Textbox(label=t("auth.username", lang), elem_id="login-user"),
                                 label="auth.username")
                w.login_pw = L(gr.Textbox(label=t("auth.password", lang), type="password", elem_id="login-pw"),
                               label="auth.password")
                w.login_btn = L(gr.Button(t("auth.login", lang), variant="primary", elem_id="login-btn"),
                                value="auth.login")
            with L(gr.Tab(t("auth.signup_tab", lang), id="signup"), label="auth.signup_tab"):
                w.su_user = L(gr.Textbox(label=t("auth.username", lang), elem_id="signup-user"),
                              label="auth.username")
                w.su_name = L(gr.Textbox(label=t("auth.name", lang), elem_id="signup-name"), label="auth.name")
                w.su_pw = L(gr.Textbox(label=t("auth.password", lang), type="password", elem_id="signup-pw"),
                            label="auth.password")
                w.su_btn = L(gr.Button(t("auth.signup", lang), variant="primary", elem_id="signup-btn"),
                             value="auth.signup")


def talk_tab(w: SimpleNamespace, h: Handlers, L: Labels) -> None:
    lang = L.language
    with L(gr.Tab(t("tab.talk", lang), id="talk"), label="tab.talk"):
        # Said while the small embedded model answers, with the way to a better one.
        with gr.Row(visible=False, elem_id="talk-offline") as w.offline_row:
            L(gr.Markdown(t("talk.offline_model", lang)), value="talk.offline_model")
            w.better_btn = L(gr.Button(t("talk.open_settings", lang), size="sm", scale=0,
                                       elem_id="talk-open-settings"), value="talk.open_settings")
        with gr.Row():
            with gr.Column(scale=3):
                w.chatbot = L(gr.Chatbot(label=t("talk.chat", lang), height=420, elem_id="talk-chat"),
                              label="talk.chat")
                with gr.Row():
                    w.text = L(gr.Textbox(label=t("talk.text", lang), placeholder=t("talk.text_ph", lang),
                                          scale=4, elem_id="talk-text"), label="talk.text", placeholder="talk.text_ph")
                    w.send = L(gr.Button(t("talk.send", lang), variant="primary", scale=1, elem_id="talk-send"),
                               value="talk.send")
                w.mic = L(gr.Audio(sources=["microphone", "upload"], type="numpy", label=t("talk.mic", lang),
                                   elem_id="talk-mic"), label="talk.mic")
            with gr.Column(scale=2):
                w.face = L(gr.Image(sources=["webcam", "upload"], type="filepath", label=t("talk.face", lang),
                                    height=260, elem_id="talk-face", webcam_options=gr.WebcamOptions(mirror=True)),
                           label="talk.face")
                L(gr.Markdown(f"**{t('talk.emotion', lang)}**"), "**{}**", value="talk.emotion")
                w.emotion = L(gr.HTML(render.emotion_html(None, {}, lang), elem_id="talk-emotion"),
                              render.emotion_html(None, {}, lang, "{}"), value="talk.no_face")
                w.transcript = L(gr.Textbox(label=t("talk.transcript", lang), interactive=False,
                                            elem_id="talk-transcript"), label="talk.transcript")
                w.voice = L(gr.Audio(label=t("talk.voice", lang), streaming=h.voice_streaming, autoplay=True,
                                     interactive=False, elem_id="talk-voice",
                                     format=None if h.voice_streaming else "wav"), label="talk.voice")
                w.muted = L(gr.Checkbox(False, label=t("talk.mute", lang), elem_id="talk-mute"), label="talk.mute")
        w.talk_banner = gr.HTML("", elem_id="talk-banner")
        L(gr.Markdown(f"### {t('talk.songs', lang)}"), "### {}", value="talk.songs")
        w.songs = gr.HTML("", elem_id="talk-songs")
        with gr.Row():
            w.reroll_btn = L(gr.Button(t("talk.reroll", lang), elem_id="talk-reroll"), value="talk.reroll")
            w.clear_btn = L(gr.Button(t("talk.clear", lang), elem_id="talk-clear"), value="talk.clear")


def mirror_tab(w: SimpleNamespace, L: Labels) -> None:
    lang = L.language
    with L(gr.Tab(t("tab.mirror", lang), id="mirror"), label="tab.mirror"):
        L(gr.Markdown(t("mirror.help", lang)), value="mirror.help")
        with gr.Row():
            w.cam = L(gr.Image(sources=["webcam"], streaming=True, type="numpy", label=t("mirror.cam", lang),
                               height=360, elem_id="mirror-cam",
                               webcam_options=gr.WebcamOptions(mirror=True, constraints=MIRROR_CAMERA)),
                      label="mirror.cam")
            w.mirror_out = L(gr.HTML(render.emotion_html(None, {}, lang, t("mirror.waiting", lang)),
                                     elem_id="mirror-emotion"),
                             render.emotion_html(None, {}, lang, "{}"), value="mirror.waiting")


def diary_tab(w: SimpleNamespace, L: Labels) -> None:
    lang = L.language
    with L(gr.Tab(t("tab.diary", lang), id="diary"), label="tab.diary"):
        with gr.Row():
            w.diary_text = L(gr.Textbox(label=t("diary.text", lang), placeholder=t("diary.text_ph", lang), lines=8,
                                        scale=3, elem_id="diary-text"), label="diary.text", placeholder="diary.text_ph")
            w.diary_photo = L(gr.Image(sources=["upload", "webcam"], type="filepath", scale=2,
                                       label=t("diary.photo", lang), height=240, elem_id="diary-photo"),
                              label="diary.photo")
        w.diary_btn = L(gr.Button(t("diary.write", lang), variant="primary", elem_id="diary-write"),
                        value="diary.write")
        w.diary_banner = gr.HTML("", elem_id="diary-banner")
        L(gr.Markdown(f"**{t('diary.comment', lang)}**"), "**{}**", value="diary.comment")
        w.diary_comment = gr.HTML("", elem_id="diary-comment")


def calendar_tab(w: SimpleNamespace, L: Labels) -> None:
    """The calendar, a day's entries, the charts and the mood report."""
    lang = L.language
    with L(gr.Tab(t("tab.calendar", lang), id="calendar"), label="tab.calendar") as w.cal_tab:
        with gr.Row(equal_height=True):
            w.prev_btn = L(gr.Button(t("cal.prev", lang), scale=0, elem_id="cal-prev"), value="cal.prev")
            w.month = L(gr.Dropdown(render.month_choices(date.today(), lang), value=date.today().strftime("%Y-%m"),
                                    label=t("cal.month", lang), allow_custom_value=True, scale=1,
                                    elem_id="cal-month"), label="cal.month")
            w.next_btn = L(gr.Button(t("cal.next", lang), scale=0, elem_id="cal-next"), value="cal.next")
        L(gr.Markdown(t("cal.hint", lang)), value="cal.hint")
        w.cal = gr.HTML("", js_on_load=CALENDAR_JS, elem_id="cal-grid")
        # The day is picked by clicking it in the calendar; this only carries it to the server.
        w.day_box = gr.Textbox(visible=False, elem_id="cal-day")
        w.day_entries = gr.HTML("", elem_id="cal-entries")
        with gr.Row(equal_height=True):
            w.stats_days = L(gr.Dropdown(list(STATS_DAYS), value=30, label=t("stats.days", lang), scale=1),
                             label="stats.days")
            w.stats_btn = L(gr.Button(t("stats.refresh", lang), scale=0, elem_id="stats-refresh"),
                            value="stats.refresh")
        with gr.Row():
            w.counts_plot = L(gr.BarPlot(x="emotion", y="entries", label=t("stats.counts", lang),
                                         elem_id="stats-counts"), label="stats.counts")
            w.series_plot = L(gr.Plot(label=t("stats.series", lang), elem_id="stats-series"), label="stats.series")
        with gr.Row(equal_height=True):
            w.period = L.pick(gr.Radio, "stats.report", choices("stats.period", ("week", "month")), "stats-period",
                              value="week", show_label=False, scale=1)
            w.report_btn = L(gr.Button(t("stats.report", lang), scale=0, elem_id="stats-report"),
                             value="stats.report")
        w.report_md = gr.Markdown("", elem_id="stats-report-text")


def settings_tab(w: SimpleNamespace, h: Handlers, L: Labels) -> None:
    """One widget per setting of :class:`chat.Preferences`, in ``w.form`` by the setting's name."""
    lang = L.language
    w.form = {}
    shown = h.settings_values(h.new_session())   # what a new account has: also the API's defaults
    with L(gr.Tab(t("tab.settings", lang), id="settings"), label="tab.settings"):
        with gr.Row():
            for parts in COLUMNS:
                with gr.Column():
                    for name, value in shown.items():
                        if name.split("_")[0] in parts:
                            w.form[name] = settings_widget(L, name, value)
                    if parts is COLUMNS[-1]:
                        w.test_btn = L(gr.Button(t("settings.test", lang), elem_id="set-test"),
                                       value="settings.test")
                        w.test_out = gr.HTML("", elem_id="set-test-result")
                        L(gr.Markdown(t("settings.better", lang), elem_id="set-better"), value="settings.better")
        if not h.voice_streaming:
            L(gr.Markdown(t("settings.no_ffmpeg", lang), elem_id="set-no-ffmpeg"), value="settings.no_ffmpeg")
        w.save_set_btn = L(gr.Button(t("settings.save", lang), variant="primary", elem_id="set-save"),
                           value="settings.save")
        w.settings_banner = gr.HTML("", elem_id="settings-banner")


def profile_tab(w: SimpleNamespace, L: Labels) -> None:
    lang = L.language
    with L(gr.Tab(t("tab.profile", lang), id="profile"), label="tab.profile"):
        w.p_name = L(gr.Textbox(label=t("profile.name", lang), elem_id="profile-name"), label="profile.name")
        w.p_intro = L(gr.Textbox(label=t("profile.intro", lang), lines=4, elem_id="profile-intro"),
                      label="profile.intro")
        w.p_save = L(gr.Button(t("profile.save", lang), variant="primary", elem_id="profile-save"),
                     value="profile.save")
        w.profile_banner = gr.HTML("", elem_id="profile-banner")
        with gr.Row(equal_height=True):
            w.export_btn = L(gr.Button(t("profile.export", lang), elem_id="profile-export"), value="profile.export")
            w.export_file = L(gr.File(label=t("profile.export_file", lang), interactive=False, file_count="multiple",
                                      elem_id="profile-export-file"), label="profile.export_file")
        with gr.Column(elem_classes="haru-danger"):
            L(gr.Markdown(f"### ⚠️ {t('profile.delete_title', lang)}"), "### ⚠️ {}", value="profile.delete_title")
            L(gr.Markdown(t("profile.delete_warning", lang)), value="profile.delete_warning")
            with gr.Row(equal_height=True):
                w.del_pw = L(gr.Textbox(label=t("profile.delete_password", lang), type="password",
                                        elem_id="profile-delete-pw"), label="profile.delete_password")
                w.del_btn = L(gr.Button(t("profile.delete", lang), variant="stop", scale=0, elem_id="profile-delete"),
                              value="profile.delete")
