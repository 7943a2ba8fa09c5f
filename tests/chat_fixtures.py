"""Shared fixtures for the conversation-stage tests: an isolated config, a SQLite diary, one person."""

from __future__ import annotations

import pytest

from core import load_config
from diary import open_store
from prompts import Profile

PROFILE = Profile(name="Minji", intro="A student in Seoul who loves running.")


@pytest.fixture
def config(tmp_path):
    return load_config(env={"HARU_DATA_DIR": str(tmp_path)}, dotenv=None)


@pytest.fixture
def store(tmp_path):
    return open_store(f"sqlite:///{tmp_path / 'diary.db'}")


@pytest.fixture
def user(store):
    return store.create_user("minji", "a long enough password", PROFILE.name, PROFILE.intro)
