"""A fresh, empty PostgreSQL schema per test or benchmark run, in the database DATABASE_URL names.

Each gets its own schema (via ``search_path`` in the URL), so runs never see each other's rows and need no
CREATE DATABASE.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

from sqlalchemy import create_engine, text

PG_URL = os.environ.get("DATABASE_URL", "")


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
