"""Tables of the diary. Changing them needs a new Alembic revision in ``diary/migrations``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(100))
    intro: Mapped[str] = mapped_column(Text, default="")
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime)   # naive UTC everywhere


class EntryRow(Base):
    __tablename__ = "entries"
    # Calendar and statistics read only (user_id, created_at, mood): this index answers them
    # without touching the table, which keeps five years of entries fast.
    __table_args__ = (Index("ix_entries_user_time_mood", "user_id", "created_at", "mood"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    mode: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    transcript: Mapped[str] = mapped_column(Text, default="")
    face_label: Mapped[str | None] = mapped_column(String(16))
    face_probs: Mapped[dict] = mapped_column(JSON, default=dict)
    text_emotion: Mapped[str | None] = mapped_column(String(16))
    mood: Mapped[str | None] = mapped_column(String(16))   # Entry.mood, stored so SQL can group on it
    reply: Mapped[str] = mapped_column(Text, default="")
    songs: Mapped[list] = mapped_column(JSON, default=list)
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    face_thumbnail: Mapped[bytes | None] = mapped_column(LargeBinary)


class MessageRow(Base):
    __tablename__ = "chat_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))   # "user" | "assistant"
    content: Mapped[str] = mapped_column(Text)


class LoginFailureRow(Base):
    """One failed login, kept for the limit's window; in the database so every app replica counts it."""
    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)   # as typed, lower-cased: may be no account
    failed_at: Mapped[float] = mapped_column(Float, index=True)      # seconds of the limiter's clock
