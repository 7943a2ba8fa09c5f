"""Diary test fixtures: a fresh store on SQLite always, and on PostgreSQL when DATABASE_URL names one
(each test in its own schema, :func:`testkit.postgres.postgres_schema`).
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from argon2 import PasswordHasher

from diary.db import make_engine, migrate
from diary.store import DiaryStore
from diary.types import EntryDraft
from testkit.postgres import PG_URL, postgres_schema

BACKENDS = ["sqlite"] + ([pytest.param("postgresql", marks=pytest.mark.postgres)]
                         if PG_URL.startswith("postgresql") else [])
# real argon2, cheap parameters: the tests hash dozens of passwords on two shared cores
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(params=BACKENDS)
def store_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'diary.db'}"
        return
    with postgres_schema() as (url, _):
        yield url


def new_store(url: str, **kwargs) -> DiaryStore:
    engine = make_engine(url)
    migrate(engine)
    return DiaryStore(engine, hasher=kwargs.pop("hasher", FAST_HASHER), **kwargs)


@pytest.fixture
def store(store_url):
    opened = new_store(store_url)
    yield opened
    opened.engine.dispose()


def draft(text: str = "", face: str | None = None, words: str | None = None,
          at: datetime | None = None, **kwargs) -> EntryDraft:
    return EntryDraft(text=text, face_label=face, text_emotion=words, created_at=at, **kwargs)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)
