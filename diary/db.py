"""Engines, schema migration and the one place database errors become :class:`DiaryUnavailableError`."""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Iterator

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session

from core.errors import ErrorCategory, HaruError
from diary.types import DiaryUnavailableError

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_migrate_lock = threading.Lock()


def make_engine(database_url: str, busy_timeout_s: float = 10.0) -> Engine:
    """An engine for ``sqlite:///file`` or ``postgresql+psycopg://...`` with the diary's connection rules.

    ``busy_timeout_s``: how long a SQLite writer waits for another writer before giving up.
    """
    try:
        url = make_url(database_url)
    except ArgumentError as e:
        raise HaruError(f"DATABASE_URL is not a database URL: {e}", f"DATABASE_URL 형식이 올바르지 않아요: {e}",
                        category=ErrorCategory.CONFIG) from e
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            # every pooled connection would get its own empty in-memory database
            raise HaruError("The diary needs a SQLite file, not an in-memory database.",
                            "일기장은 메모리 DB가 아닌 SQLite 파일이 필요해요.", category=ErrorCategory.CONFIG)
        folder = Path(url.database).expanduser().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise HaruError(f"Cannot create the diary folder {folder} ({e.strerror}): check HARU_DATA_DIR / DATABASE_URL.",
                            f"일기장 폴더 {folder} 를 만들 수 없어요 ({e.strerror}). HARU_DATA_DIR / DATABASE_URL 을 확인해 주세요.",
                            category=ErrorCategory.CONFIG) from e
        engine = create_engine(url, pool_size=10, max_overflow=20, pool_timeout=busy_timeout_s)
        event.listen(engine, "connect", partial(_sqlite_connect, busy_ms=round(busy_timeout_s * 1000)))
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _sqlite_connect(dbapi_connection, _record, *, busy_ms: int) -> None:
    # Let SQLAlchemy's "begin" event open transactions itself (see _sqlite_begin) instead of the
    # sqlite3 module's implicit, late BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
    cursor.execute("PRAGMA journal_mode = WAL")
    # FULL: a commit is on disk before save_entry returns, so even a power cut keeps it.
    cursor.execute("PRAGMA synchronous = FULL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_begin(conn) -> None:
    # Writers take the write lock up front: a deferred transaction that reads first and then
    # writes can fail at once with "database is locked" instead of waiting the busy timeout.
    if conn.get_execution_options().get("diary_write"):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision; safe to call from several processes."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with _migrate_lock, unavailable(), engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            # two processes opening a fresh database must not both create the tables
            conn.execute(text("SELECT pg_advisory_lock(7211)"))
            conn.commit()
        try:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
            conn.commit()
        finally:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_unlock(7211)"))
                conn.commit()
    log.info("diary schema ready on %s", engine.url.render_as_string(hide_password=True))


@contextmanager
def unavailable() -> Iterator[None]:
    """Turn any database failure into DiaryUnavailableError; the traceback stays in the log."""
    try:
        yield
    except SQLAlchemyError as e:
        log.warning("diary database error", exc_info=True)
        cause = getattr(e, "orig", None) or e
        raise DiaryUnavailableError(f"({type(cause).__name__})", f"({type(cause).__name__})") from e


@contextmanager
def transaction(engine: Engine, write: bool = False) -> Iterator[Session]:
    """One session in one transaction; ``write`` makes a SQLite writer take the lock up front."""
    with unavailable(), Session(engine, expire_on_commit=False,
                                execution_options={"diary_write": write}) as session, session.begin():
        yield session
