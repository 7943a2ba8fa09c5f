"""Faults around a turn: a failing cloud LLM, no network for gTTS, a locked or missing database, and
damaged model files. Each must end in a clear message, with the person's words kept."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import pytest

import chat
import diary
import speech
import vision
from chat.backends import get_backend
from chat.backends._cloud import MAX_ATTEMPTS
from chat.backends.local import LocalBackend, load_server
from core.config import AppConfig
from core.errors import ErrorCategory, HaruError
from diary.db import make_engine
from speech.stt import model_dir
from testkit import require
from testkit.fake_llm_server import Reply
from tests.reliability_fixtures import OK, cloud_backend, fake_llm, make_companion, run, turn

PROVIDERS = ("openai", "anthropic", "openai-compatible")
SPARE = "The spare model answers."

# fault -> (scripted replies, backend timeout, requests the primary must see, category of the notice)
FAULTS = {
    "429 rate limit": ([Reply(status=429, retry_after=0)] * MAX_ATTEMPTS, 5.0, MAX_ATTEMPTS, ErrorCategory.RATE_LIMIT),
    "500 server error": ([Reply(status=500, retry_after=0)] * MAX_ATTEMPTS, 5.0, MAX_ATTEMPTS,
                         ErrorCategory.UNAVAILABLE),
    "error event before any text": ([Reply(error_after=0)] * MAX_ATTEMPTS, 5.0, MAX_ATTEMPTS, None),
    # A timeout is not retried: the person already waited a whole timeout.
    "timeout (no first token)": ([Reply(first_delay_s=3.0)], 0.5, 1, ErrorCategory.TIMEOUT),
}


@pytest.fixture
def spare():
    with fake_llm(default=Reply(chunks=(SPARE,))) as server:
        yield server


@pytest.fixture
def store(tmp_path):
    return diary.open_store(f"sqlite:///{tmp_path / 'haru.db'}")


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("fault", FAULTS)
def test_cloud_fault_is_retried_then_falls_back_with_a_notice(provider, fault, spare, store):
    replies, timeout_s, attempts, category = FAULTS[fault]
    user = store.create_user("faulty", "correct horse battery", "Mina")
    with fake_llm(replies) as primary:
        companion = make_companion(cloud_backend(provider, primary, timeout_s=timeout_s),
                                   fallback=cloud_backend("openai-compatible", spare), store=store)
        outcome = run(companion, turn("Work was long today.", user_id=user.id))
        assert len([r for r in primary.requests if r.method == "POST"]) == attempts
    assert not outcome.errors
    [notice] = [e.notice for e in outcome.of(chat.NoticeEvent)]
    assert "instead" in notice.en and notice.ko
    if category is not None:
        assert notice.category == category
    assert outcome.reply == SPARE and outcome.saved[0].reply == SPARE


@pytest.mark.parametrize("provider", PROVIDERS)
def test_one_rate_limit_is_retried_without_bothering_anyone(provider, spare):
    with fake_llm([Reply(status=429, retry_after=0)]) as primary:
        companion = make_companion(cloud_backend(provider, primary),
                                   fallback=cloud_backend("openai-compatible", spare))
        outcome = run(companion, turn("Hello again."))
    assert not outcome.errors and not outcome.notices
    assert outcome.reply.strip() == "".join(OK.chunks).strip()
    assert not spare.requests


def test_unreachable_server_falls_back(spare):
    with socket.socket() as s:   # a port nobody listens on: connection refused
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
    backend = get_backend("openai", AppConfig(), api_key="k", base_url=dead)
    outcome = run(make_companion(backend, fallback=cloud_backend("openai-compatible", spare)), turn("Hi."))
    [notice] = outcome.notices
    assert "Could not reach OpenAI" in notice and outcome.reply == SPARE


@pytest.mark.slow
def test_cloud_failure_falls_back_to_the_real_offline_model(store):
    """The production pairing: a failing cloud backend and the embedded model (loads ~1 GB once)."""
    user = store.create_user("offline", "correct horse battery", "Mina")
    with fake_llm(default=Reply(status=503, retry_after=0)) as primary:
        companion = make_companion(cloud_backend("openai", primary), fallback=LocalBackend(AppConfig()),
                                   store=store)
        outcome = run(companion, turn("I finally finished my project today.", user_id=user.id))
    assert not outcome.errors
    assert any("offline model" in n for n in outcome.notices), outcome.notices
    assert len(outcome.reply) > 10 and outcome.saved[0].settings["llm"].startswith("local:")


def test_no_network_for_gtts_uses_the_offline_voice():
    """This machine really has no network: gTTS fails and the offline voice speaks instead."""
    require(bool(speech.available_voices("en", online=False)), "no offline English voice installed")
    with fake_llm() as server:
        companion = make_companion(cloud_backend("openai-compatible", server),
                                   synthesize_stream=speech.synthesize_stream, online_tts=True)
        outcome = run(companion, turn("Tell me something kind.", voice=True))
    clips = [e.clip for e in outcome.of(chat.AudioEvent)]
    assert clips and all(not c.voice.startswith("gtts") and c.data for c in clips), [c.voice for c in clips]
    assert not outcome.errors and not outcome.notices


# ------------------------------------------------------------------------------------ database
def test_locked_database_keeps_the_turn_and_saves_it_when_the_lock_is_gone(tmp_path):
    path = tmp_path / "haru.db"
    diary.open_store(f"sqlite:///{path}")   # creates and migrates
    store = diary.DiaryStore(make_engine(f"sqlite:///{path}", busy_timeout_s=0.2))
    user = store.create_user("locked", "correct horse battery", "Mina")
    with fake_llm() as server:
        companion = make_companion(cloud_backend("openai-compatible", server), store=store)

        other = sqlite3.connect(path, isolation_level=None)   # another program holding the write lock
        other.execute("BEGIN EXCLUSIVE")
        try:
            first = run(companion, turn("The words I must not lose.", user_id=user.id))
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert first.reply and not first.saved
        [error] = [e.error for e in first.of(chat.ErrorEvent)]
        assert isinstance(error, diary.DiaryUnavailableError) and "kept" in error.en and error.ko
        assert companion.pending_entries == 1

        second = run(companion, turn("And a second note.", user_id=user.id))
    assert any("1 earlier entry saved" in n for n in second.notices), second.notices
    assert companion.pending_entries == 0
    texts = [e.text for e in sorted(store.list_entries(user.id), key=lambda e: e.created_at)]
    assert texts == ["The words I must not lose.", "And a second note."]


def test_database_that_cannot_be_reached_is_a_message_without_the_password():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(diary.DiaryUnavailableError) as caught:
        diary.open_store(f"postgresql+psycopg://haru:s3cret-db-pw@127.0.0.1:{port}/haru")
    assert "unavailable" in caught.value.en and caught.value.ko
    assert "s3cret-db-pw" not in caught.value.en + caught.value.ko


def test_database_folder_that_cannot_be_created_names_it(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    with pytest.raises(HaruError) as caught:
        diary.open_store(f"sqlite:///{blocker / 'haru.db'}")
    assert str(blocker) in caught.value.en and caught.value.category == ErrorCategory.CONFIG


# --------------------------------------------------------------------------------- model files
def _tiny_vit(folder: Path) -> Path:
    from transformers import ViTConfig, ViTForImageClassification

    ViTForImageClassification(ViTConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                        intermediate_size=64, image_size=48, patch_size=12, num_channels=1,
                                        num_labels=7)).save_pretrained(folder)
    return folder


def _damaged_vit(tmp: Path) -> tuple[object, Path]:
    folder = _tiny_vit(tmp / "vit")
    (folder / "model.safetensors").write_bytes(b"\0" * 4096)
    return (lambda: vision.EmotionClassifier.from_pretrained(folder)), folder


def _missing_vit(tmp: Path):
    folder = tmp / "no-weights"
    folder.mkdir()
    return (lambda: vision.EmotionClassifier.from_pretrained(folder)), folder


def _whisper(tmp: Path, damaged: bool):
    folder = tmp / "whisper"
    folder.mkdir()
    if damaged:
        for name in ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt"):
            (folder / name).write_bytes(b"not a model")
    source = speech.WhisperSource(model=str(folder))
    return (lambda: speech.load_model(str(model_dir(source)))), folder


def _gguf(tmp: Path, damaged: bool):
    path = tmp / "model.gguf"
    if damaged:
        path.write_bytes(b"GGUF" + b"\0" * 65_536)
    return (lambda: load_server(str(path), 1)), path


MODEL_FILES = {
    "emotion model damaged": _damaged_vit,
    "emotion model missing": _missing_vit,
    "speech model damaged": lambda tmp: _whisper(tmp, damaged=True),
    "speech model missing": lambda tmp: _whisper(tmp, damaged=False),
    "offline LLM damaged": lambda tmp: _gguf(tmp, damaged=True),
    "offline LLM missing": lambda tmp: _gguf(tmp, damaged=False),
}


@pytest.mark.parametrize("case", MODEL_FILES)
def test_missing_or_damaged_model_file_is_named_in_a_clear_error(case, tmp_path):
    load, named = MODEL_FILES[case](tmp_path)
    with pytest.raises(HaruError) as caught:
        load()
    assert str(named) in caught.value.en, caught.value.en
    assert caught.value.ko and caught.value.category in (ErrorCategory.CONFIG, ErrorCategory.UNAVAILABLE)
