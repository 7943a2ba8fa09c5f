"""The bundled Whisper model is joined once, verified, repaired when damaged; a user's own model is used as is."""

from __future__ import annotations

import pytest

import speech
from core.config import load_config
from core.errors import ErrorCategory, HaruError
from speech.stt import bundled_model_dir, model_dir

pytestmark = pytest.mark.slow


def test_join_is_done_once_and_repaired_when_truncated(tmp_path):
    folder = bundled_model_dir(tmp_path)
    model_bin = folder / "model.bin"
    size = model_bin.stat().st_size
    assert {p.name for p in folder.iterdir() if p.suffix != ".lock"} == {
        "model.bin", "config.json", "tokenizer.json", "vocabulary.txt"}
    stamp = model_bin.stat().st_mtime_ns
    assert bundled_model_dir(tmp_path) == folder and model_bin.stat().st_mtime_ns == stamp   # reused
    with open(model_bin, "r+b") as f:                     # an interrupted copy, a full disk...
        f.truncate(size // 2)
    bundled_model_dir(tmp_path)
    assert model_bin.stat().st_size == size
    assert not list(folder.glob("*.part"))


def test_simultaneous_first_uses_share_one_join(tmp_path):
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(3) as pool:       # warm-up thread and first turns asking at once
        folders = list(pool.map(lambda _: bundled_model_dir(tmp_path), range(3)))
    assert len(set(folders)) == 1
    assert (folders[0] / "model.bin").stat().st_size == 2 * 72_608_766


def test_users_own_model_folder_is_used_and_checked(tmp_path):
    joined = bundled_model_dir(tmp_path / "cache")
    config = load_config(env={"HARU_WHISPER_MODEL": str(joined)}, dotenv=None)
    assert model_dir(speech.WhisperSource.from_config(config)) == joined
    bad = load_config(env={"HARU_WHISPER_MODEL": str(tmp_path)}, dotenv=None)
    with pytest.raises(HaruError) as caught:
        model_dir(speech.WhisperSource.from_config(bad))
    assert caught.value.category == ErrorCategory.CONFIG and "model.bin" in caught.value.message("en")


def test_warmup_loads_every_offline_part(tmp_path):
    timings = speech.warmup(speech.WhisperSource.from_config(load_config(env={"HARU_DATA_DIR": str(tmp_path)},
                                                                        dotenv=None)))
    assert set(timings) == {"whisper", "piper", "espeak"}
    assert (tmp_path / "models" / "whisper-base" / "model.bin").is_file()
