"""The page: the widgets (:mod:`webui.layout`), then the events that join them to :class:`webui.handlers.Handlers`."""

from __future__ import annotations

import functools
from pathlib import Path
from types import SimpleNamespace

import gradio as gr

import chat
from core import AppConfig
from webui import layout, render
from webui.handlers import Handlers
from webui.labels import Labels
from webui.session import Session, today
from webui.strings import t
from webui.tabs.mirror import MIRROR_FRAME_S
from webui.tabs.profile import EXPORT_FOLDER
from webui.warmup import Warmup

MIC_CHUNK_S = 0.5            # the microphone sends what it heard this often, so speech is transcribed during pauses
BROWSER_JS = "() => (navigator.language || '') + '|' + (Intl.DateTimeFormat().resolvedOptions().timeZone || '')"
PRIVATE = dict(api_visibility="private", queue=False)


def build_demo(config: AppConfig, companion: chat.Companion | None = None,
               warmup: Warmup | None = None) -> gr.Blocks:
    """The whole UI. ``companion`` is injectable; by default the production wiring (nothing loads yet)."""
    companion = companion or chat.build_companion(config)
    h = Handlers(config, companion, companion.store, warmup or Warmup(), Path(config.data_dir) / EXPORT_FOLDER)
    L = Labels(config.language)
    with gr.Blocks(title="Haru", delete_cache=(1800, 3600)) as demo:
        w = layout.header(h, L)
        layout.auth_tab(w, L)
        with gr.Column(visible=False, elem_id="haru-main") as w.main_col:
            with gr.Tabs() as w.main_tabs:
                layout.talk_tab(w, h, L)
                layout.mirror_tab(w, L)
                layout.diary_tab(w, L)
                layout.calendar_tab(w, L)
                layout.settings_tab(w, h, L)
                layout.profile_tab(w, L)
        after_entry = _wire_session(demo, w, h, L)
        _wire_auth(w, h, after_entry)
        _wire_talk(w, h)
        _wire_calendar(w, h)
        _wire_settings(w, h)
    return demo


def launch(demo: gr.Blocks, config: AppConfig, **kwargs):
    """Serve ``demo`` with the queue limits and upload caps this app relies on."""
    demo.queue(default_concurrency_limit=4, max_size=64)
    return demo.launch(
        server_name=config.host, server_port=config.port, share=False, ssr_mode=False, show_error=False,
        max_file_size=f"{config.max_upload_mb}mb", footer_links=["api", "settings"], run_history=False,
        # Exports are written in the data dir, which may be anywhere (~/.haru by default): Gradio serves
        # files only from folders it is told about.
        allowed_paths=[str(Path(config.data_dir) / EXPORT_FOLDER)],
        css=render.CSS, head=render.TRANSLATE_JS, theme=gr.themes.Soft(), **kwargs)


# ------------------------------------------------------------------------------------ wiring
def _wire_session(demo: gr.Blocks, w: SimpleNamespace, h: Handlers, L: Labels):
    """Language, time zone, model banner and sign-in again on reload; returns ``after_entry`` for the forms."""
    form = list(w.form.values())
    banners = [w.auth_banner, w.talk_banner, w.diary_banner, w.profile_banner]
    w.labelled = L.components + [w.hello, w.models, w.month, w.page_language, w.offline_row] + banners
    w.entered = [w.session, w.auth_col, w.main_col, w.logout_btn, w.hello, w.login_pw, w.su_pw]

    def relabel(s: Session):
        """Every word on the screen in the session's language; messages said in the old one go."""
        hello_text = t("app.hello", s.language, name=s.name) if s.user_id is not None else ""
        months = gr.update(choices=render.month_choices(today(s), s.language))
        return (L.updates(s.language) + [hello_text, h.warmup.html(s.language), months, s.language,
                                         gr.update(visible=h.answers_offline(s))] + [""] * len(banners))

    shown = form + [w.p_name, w.p_intro, w.chatbot]

    def show_session(s: Session):
        """Returned by component, so the form's order never matters."""
        if s.user_id is None:
            return {c: gr.skip() for c in shown}
        return {**{w.form[name]: value for name, value in h.settings_values(s).items()},
                w.p_name: s.name, w.p_intro: s.intro,
                w.chatbot: [{"role": m.role, "content": m.content} for m in s.conversation.history]}

    # Registered first so the public endpoint gets the plain name /calendar.
    w.month.input(h.calendar, [w.session, w.month, w.day_box], w.cal, api_name="calendar")

    def after_entry(event):
        """What a session that just signed in sees: its settings, profile, conversation and calendar."""
        return event.then(show_session, w.session, shown, **PRIVATE).then(
            lambda s: relabel(s) if s.user_id is not None else [gr.skip()] * len(w.labelled), w.session,
            w.labelled, **PRIVATE).then(
            lambda s, m: h.calendar(s, m) if s.user_id is not None else gr.skip(), [w.session, w.month], w.cal,
            **PRIVATE)

    w.relabel = relabel
    demo.load(None, None, w.browser, js=BROWSER_JS, **PRIVATE)
    translate = dict(fn=None, inputs=w.page_language, outputs=None,
                     js="(lang) => window.haruTranslate && haruTranslate(lang)", **PRIVATE)
    demo.load(**translate)
    w.page_language.change(**translate)
    after_entry(w.browser.change(h.locale, [w.session, w.browser], [w.session, w.month], **PRIVATE).then(
        relabel, w.session, w.labelled, **PRIVATE).then(h.resume, [w.session, w.token], w.entered, **PRIVATE))
    w.ticker.tick(h.models, w.session, [w.models, w.ticker], api_name="models", queue=False)
    return after_entry


def _wire_auth(w: SimpleNamespace, h: Handlers, after_entry) -> None:
    # The page's forms say a refusal in place; the API endpoints raise it, for programs to catch.
    form = w.entered + [w.auth_banner, w.token]
    for event in (w.login_btn.click, w.login_pw.submit):
        after_entry(event(h.login_form, [w.session, w.login_user, w.login_pw], form, **PRIVATE))
    for event in (w.su_btn.click, w.su_pw.submit):
        after_entry(event(h.signup_form, [w.session, w.su_user, w.su_pw, w.su_name], form, **PRIVATE))
    api_login, api_signup = gr.Button(visible=False), gr.Button(visible=False)
    api_login.click(h.login, [w.session, w.login_user, w.login_pw], w.entered, api_name="login")
    api_signup.click(h.signup, [w.session, w.su_user, w.su_pw, w.su_name], w.entered, api_name="signup")
    w.logout_btn.click(h.logout, w.session, w.entered + [w.token], api_name="logout").then(
        lambda: ([], "", "", "", "", "", gr.Tabs(selected="login")), None,
        [w.chatbot, w.songs, w.cal, w.day_entries, w.report_md, w.diary_comment, w.auth_tabs], **PRIVATE)


def _model_slots(h: Handlers) -> int:
    # The embedded LLM already uses both cores, so local turns go one at a time; a cloud LLM does its
    # work elsewhere and several turns can overlap.
    return 1 if h.config.llm_backend == "local" else 4


def _wire_talk(w: SimpleNamespace, h: Handlers) -> None:
    """Talk, the mirror and the diary: the events that run the models."""
    slots = _model_slots(h)
    # The session is no output: the turn changes only its conversation, which every copy of it shares.
    talk_outputs = [w.chatbot, w.emotion, w.transcript, w.voice, w.songs, w.talk_banner, w.text]
    # preprocess=False: uploads reach the stages as files, so an unreadable photo or recording becomes
    # the stage's own message (and the words still get an answer) instead of failing the whole event.
    talk = dict(fn=h.talk, inputs=[w.session, w.text, w.mic, w.face, w.muted], outputs=talk_outputs,
                preprocess=False, concurrency_id="model", concurrency_limit=slots, time_limit=600)
    # The recording and the photo are cleared once the turn has used them, in an event of their own:
    # the microphone streams, so as an output of the streaming turn Gradio would give it an HLS
    # playlist, which the next turn would send back as an upload it refuses.
    clear_media = dict(fn=lambda: (None, None), inputs=None, outputs=[w.mic, w.face], **PRIVATE)
    w.send.click(api_name="talk", **talk).then(**clear_media)
    w.text.submit(api_visibility="private", **talk).then(**clear_media)
    # A recording is transcribed while it is made (uploads still go through Send): each chunk goes to
    # the conversation's listener, and stopping sends the turn with what it heard.
    w.mic.start_recording(h.listen_start, w.session, None, **PRIVATE)
    w.mic.stream(h.listen, [w.session, w.mic], None, stream_every=MIC_CHUNK_S,
                 time_limit=chat.MAX_RECORDING_SECONDS + 60, concurrency_id="mic", concurrency_limit=16,
                 show_progress="hidden", api_visibility="private")
    w.mic.stop_recording(h.talk_spoken, [w.session, w.text, w.face, w.muted], talk_outputs,
                         preprocess=False, concurrency_id="model", concurrency_limit=slots, time_limit=600,
                         api_visibility="private").then(**clear_media)
    w.reroll_btn.click(h.reroll, w.session, w.songs, api_name="reroll")
    w.clear_btn.click(h.new_conversation, w.session,
                      [w.chatbot, w.transcript, w.songs, w.emotion, w.talk_banner, w.session],
                      api_name="new_conversation")
    w.cam.stream(h.mirror, [w.session, w.cam, w.mirror], [w.mirror_out, w.mirror], api_name="mirror",
                 stream_every=MIRROR_FRAME_S, time_limit=600, concurrency_id="mirror", concurrency_limit=4,
                 show_progress="hidden")
    w.diary_btn.click(h.diary_write, [w.session, w.diary_text, w.diary_photo],
                      [w.diary_comment, w.diary_banner, w.diary_text], api_name="diary_write",
                      preprocess=False, concurrency_id="model", concurrency_limit=slots, time_limit=600).then(
        h.calendar, [w.session, w.month], w.cal, **PRIVATE)


def _wire_calendar(w: SimpleNamespace, h: Handlers) -> None:
    for btn, step in ((w.prev_btn, -1), (w.next_btn, 1)):
        btn.click(functools.partial(h.shift_month, step=step), [w.session, w.month], w.month, **PRIVATE).then(
            h.calendar, [w.session, w.month, w.day_box], w.cal, **PRIVATE)
    w.cal.click(h.pick_day, w.session, w.day_box, **PRIVATE).then(
        h.day, [w.session, w.day_box], w.day_entries, api_name="day")
    entry_id = gr.Number(visible=False)
    entry_id.submit(h.entry, [w.session, entry_id], w.day_entries, api_name="entry")
    w.stats_btn.click(h.stats, [w.session, w.stats_days], [w.counts_plot, w.series_plot], api_name="stats")
    # The charts are drawn as the tab opens, not only on "Refresh" (registered after the public /stats,
    # which would otherwise be renamed /stats_1).
    w.cal_tab.select(h.calendar, [w.session, w.month, w.day_box], w.cal, **PRIVATE).then(
        h.stats, [w.session, w.stats_days], [w.counts_plot, w.series_plot], **PRIVATE)
    w.report_btn.click(h.report, [w.session, w.period], w.report_md, api_name="report",
                       concurrency_id="model", concurrency_limit=_model_slots(h), time_limit=600)


def _wire_settings(w: SimpleNamespace, h: Handlers) -> None:
    """Settings and profile; ``/save_settings`` takes one named parameter per setting."""
    w.save_set_btn.click(h.save_settings, [w.session], [w.session, w.settings_banner], inputs_kwargs=w.form,
                         api_name="save_settings").success(w.relabel, w.session, w.labelled, **PRIVATE).success(
        h.calendar, [w.session, w.month, w.day_box], w.cal, **PRIVATE)
    backend = [w.form[n] for n in ("backend_kind", "backend_model", "backend_api_key", "backend_base_url")]
    w.test_btn.click(h.test_connection, [w.session] + backend, w.test_out, api_name="test_connection",
                     concurrency_limit=4)
    w.better_btn.click(lambda: gr.Tabs(selected="settings"), None, w.main_tabs, **PRIVATE)
    w.p_save.click(h.save_profile, [w.session, w.p_name, w.p_intro], [w.session, w.hello, w.profile_banner],
                   api_name="save_profile")
    w.export_btn.click(h.export, w.session, w.export_file, api_name="export")
    w.del_btn.click(h.delete_account, [w.session, w.del_pw], w.entered + [w.token, w.profile_banner],
                    api_name="delete_account")
