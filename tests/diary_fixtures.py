"""Diary test fixtures: a fresh store on SQLite always, and on PostgreSQL when DATABASE_URL names one.

PostgreSQL tests each get their own schema (via ``search_path`` in the URL), so they never see each
other's rows and need no CREATE DATABASE.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from urllib.parse import quote

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text

from diary.db import make_engine, migrate
from diary.store import DiaryStore
from diary.types import EntryDraft

PG_URL = os.environ.get("DATABASE_URL", "")
BACKENDS = ["sqlite"] + ([pytest.param("postgresql", marks=pytest.mark.postgres)]
                         if PG_URL.startswith("postgresql") else [])
# real argon2, cheap parameters: the tests hash dozens of passwords on two shared cores
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@contextmanager
def postgres_schema(prefix: str = "t") -> Iterator[tuple[str, str]]:
    """A fresh, empty schema in the DATABASE_URL database: ``(url that uses it, schema name)``; dropped after."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}", schema
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


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
